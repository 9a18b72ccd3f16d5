"""Consent (policy §1, §2.4, §2.5, §5, §9): what a person can consent to, the append-only
ledger of every change, the current state kept beside it, newsletter subscriptions, policy
versions with re-consent, and the national Do Not Call Me list.

Every model here is declared in `consent/privacy.py`. `__str__` never shows personal data.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subjects.models import DataSubject, PurposeCode, Recipient
from velux_privacy.appendonly import AppendOnlyModel, append_only_triggers

# The policy purposes a consent can be asked for: §2.5 (commercial communication, tracking)
# needs prior consent; §2.4 (consumer insight) uses cookies that need it (ePrivacy).
CONSENT_POLICY_PURPOSES = (PurposeCode.COMMERCIAL_COMMUNICATION, PurposeCode.BUSINESS_DEVELOPMENT)


class ConsentPurpose(models.Model):
    """One thing a person can consent to (the consent register), tied to its policy purpose.

    Its text (name and description, in nl, fr, de and en) is versioned: a change of text makes
    a new `ConsentPurposeVersion` (consent.services.consent_purpose_save) and the ledger names
    the version each consent was given to. Seeded by a data migration, edited in the admin.
    """

    class ContactChannel(models.TextChoices):
        NONE = "", _("none (not a way of contacting)")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone and text message")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    policy_purpose = models.CharField(
        _("policy purpose"),
        max_length=40,
        choices=[(c.value, c.label) for c in CONSENT_POLICY_PURPOSES],
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("text shown to the person"))
    version = models.PositiveIntegerField(_("text version"), default=1, editable=False)
    contact_channel = models.CharField(
        _("contacting by"),
        max_length=8,
        choices=ContactChannel.choices,
        blank=True,
        default=ContactChannel.NONE,
        help_text=_("Phone marketing also respects the Do Not Call Me list."),
    )
    in_cookie_banner = models.BooleanField(_("a cookie banner category"), default=False)
    cookie_names = models.JSONField(
        _("cookies set under it"),
        default=list,
        blank=True,
        help_text=_("Names (or name prefixes ending in *) the banner deletes on withdrawal."),
    )
    consent_mode_signals = models.JSONField(
        _("Google Consent Mode signals"),
        default=list,
        blank=True,
        help_text=_("e.g. analytics_storage, ad_storage, ad_user_data, ad_personalization."),
    )
    gpc_opt_out = models.BooleanField(
        _("off under Global Privacy Control"),
        default=False,
        help_text=_(
            "Sale or sharing of data, or personalised advertising: a GPC signal refuses it."
        ),
    )
    recipients = models.ManyToManyField(
        Recipient, verbose_name=_("vendors and recipients"), related_name="+", blank=True
    )
    # Consent receipts (Kantara CR v1.1): the categories of its appendix.
    purpose_categories = models.JSONField(_("receipt purpose categories"), default=list)
    pii_categories = models.JSONField(_("receipt categories of personal data"), default=list)
    display_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")

    def __str__(self) -> str:
        return self.name

    @property
    def is_marketing(self) -> bool:
        """A §2.5 consent: its withdrawal (the last one) starts the unsubscribe clock."""
        return self.policy_purpose == PurposeCode.COMMERCIAL_COMMUNICATION


class ConsentPurposeVersion(AppendOnlyModel):
    """The text of a consent purpose as it was shown, kept forever (the ledger points here)."""

    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("text shown to the person"))
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["purpose", "-number"]
        verbose_name = _("consent purpose version")
        verbose_name_plural = _("consent purpose versions")
        constraints = [
            models.UniqueConstraint(fields=["purpose", "number"], name="consent_cpv_unique")
        ]
        # The reverse of the seeding migration deletes the seeded versions under the flag.
        triggers = append_only_triggers("consent_cpv", erasable=("created_by_id",))

    def __str__(self) -> str:
        return f"{self.purpose.code} v{self.number}"


class Newsletter(models.Model):
    """A newsletter or alert (§5 "adjust your subscription choices"): its own switch, under the
    e-mail marketing consent. Withdrawing that consent ends every subscription; unsubscribing
    from the last newsletter withdraws nothing else."""

    class Kind(models.TextChoices):
        NEWSLETTER = "newsletter", _("newsletter")
        ALERT = "alert", _("alert")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("under the consent"),
        on_delete=models.PROTECT,
        related_name="newsletters",
        limit_choices_to={"contact_channel": ConsentPurpose.ContactChannel.EMAIL},
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    display_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("newsletter or alert")
        verbose_name_plural = _("newsletters and alerts")

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    """A version of the privacy policy (§9). Publishing a material one asks again for the
    consents it changes (consent.services.policy_version_publish)."""

    number = models.CharField(_("version"), max_length=20, unique=True)
    effective_on = models.DateField(_("in force from"))
    summary = models.TextField(_("summary of the changes"))
    url = models.URLField(_("address of its text"), max_length=300)
    material = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Consent is asked again for the purposes it changes."),
    )
    changed_purposes = models.ManyToManyField(
        ConsentPurpose,
        verbose_name=_("consents asked again"),
        related_name="+",
        blank=True,
        help_text=_("For a material change: the consents it changes. None chosen: all of them."),
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-published_at", "-effective_on"]
        verbose_name = _("privacy policy version")
        verbose_name_plural = _("privacy policy versions")

    def __str__(self) -> str:
        return f"{self.number}"


class ConsentEvent(AppendOnlyModel):
    """The ledger: one consent given or withdrawn (or a newsletter subscribed to or left),
    appended, never changed or deleted (PostgreSQL triggers; the ORM guards elsewhere).

    It records who (the subject, and a keyed hash of their e-mail that outlives an erasure),
    what (the purpose and the version of its text, the newsletter), given or withdrawn, when,
    through which channel, under which policy version, who acted, and the evidence (form and
    page, a keyed hash of the IP address, the source system, the banner version shown and the
    language; never the raw IP). An erasure unlinks the subject and blanks the staff note.
    """

    class Action(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Channel(models.TextChoices):
        WEB = "web", _("consent page")
        EMAIL_LINK = "email_link", _("link in an e-mail")
        ONE_CLICK = "one_click", _("one-click unsubscribe")
        API = "api", _("API")
        LETTER = "letter", _("letter (recorded by staff)")
        PHONE = "phone", _("phone call (recorded by staff)")
        BRANCH = "branch", _("branch visit (recorded by staff)")
        COOKIE_BANNER = "cookie_banner", _("cookie banner")
        GPC = "gpc", _("Global Privacy Control signal")

    STAFF_CHANNELS = (Channel.LETTER, Channel.PHONE, Channel.BRANCH)

    class ActorKind(models.TextChoices):
        SUBJECT = "subject", _("the person")
        STAFF = "staff", _("staff on the person's behalf")
        API_CLIENT = "api_client", _("API client")
        SYSTEM = "system", _("the portal")

    receipt_id = models.UUIDField(_("receipt ID"), default=uuid.uuid4, unique=True, editable=False)
    # PROTECT: only an erasure unlinks (anonymises) ledger rows, never a cascade.
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_events",
    )
    subject_hash = models.CharField(_("keyed hash of the e-mail address"), max_length=64)
    purpose = models.ForeignKey(
        ConsentPurpose, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="+"
    )
    purpose_version = models.ForeignKey(
        ConsentPurposeVersion,
        verbose_name=_("text version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    newsletter = models.ForeignKey(
        Newsletter,
        verbose_name=_("newsletter or alert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("given or withdrawn"), max_length=10, choices=Action.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("privacy policy in force"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_kind = models.CharField(_("who acted"), max_length=12, choices=ActorKind.choices)
    language = models.CharField(_("language shown"), max_length=8, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    note = models.TextField(_("staff note"), blank=True)
    recorded_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent ledger entry")
        verbose_name_plural = _("consent ledger")
        indexes = [
            models.Index(fields=["subject", "recorded_at"], name="consent_event_subject_at"),
            models.Index(fields=["subject_hash"], name="consent_event_hash"),
        ]
        permissions = [("record_on_behalf", _("Can record a consent on a person's behalf"))]
        triggers = append_only_triggers(
            "consent_event", erasable=("subject_id", "note", "actor_id"), erasure_deletes=False
        )

    def __str__(self) -> str:
        return f"Consent ledger entry #{self.pk}"


class ConsentState(models.Model):
    """The current state of one consent of one subject: the ledger's last word about it,
    written in the ledger's transaction (consent.services)."""

    class Status(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="consent_states"
    )
    purpose = models.ForeignKey(
        ConsentPurpose, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("state"), max_length=10, choices=Status.choices)
    purpose_version = models.ForeignKey(
        ConsentPurposeVersion,
        verbose_name=_("text version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_event = models.ForeignKey(
        ConsentEvent, verbose_name=_("last entry"), on_delete=models.PROTECT, related_name="+"
    )
    # When the consent now given was given (a re-consent after a material policy change
    # counts from its answer); empty while withdrawn.
    given_at = models.DateTimeField(_("given on"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed on"))

    class Meta:
        verbose_name = _("consent state")
        verbose_name_plural = _("consent states")
        constraints = [
            models.UniqueConstraint(fields=["subject", "purpose"], name="consent_state_unique")
        ]

    def __str__(self) -> str:
        return f"Consent state #{self.pk}"


class NewsletterSubscription(models.Model):
    """A newsletter or alert the subject receives: the row exists while they are subscribed
    (the ledger holds the history)."""

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="newsletter_subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter,
        verbose_name=_("newsletter or alert"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_event = models.ForeignKey(
        ConsentEvent, verbose_name=_("last entry"), on_delete=models.PROTECT, related_name="+"
    )
    subscribed_at = models.DateTimeField(_("subscribed on"))

    class Meta:
        verbose_name = _("newsletter subscription")
        verbose_name_plural = _("newsletter subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "newsletter"], name="consent_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Newsletter subscription #{self.pk}"


class ReconsentRequest(models.Model):
    """A person asked again for their consent after a material policy change (§9): listed at
    publication, e-mailed by a batch task, answered when they choose again."""

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="reconsent_requests"
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("privacy policy version"),
        on_delete=models.PROTECT,
        related_name="reconsent_requests",
    )
    created_at = models.DateTimeField(_("asked on"), default=timezone.now)
    emailed_at = models.DateTimeField(_("e-mailed on"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-consent request")
        verbose_name_plural = _("re-consent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "policy_version"], name="consent_reconsent_unique"
            )
        ]
        indexes = [
            models.Index(fields=["policy_version", "emailed_at"], name="consent_reconsent_mail")
        ]

    def __str__(self) -> str:
        return f"Re-consent request #{self.pk}"


class DoNotCallImport(models.Model):
    """One import of the Do Not Call Me list's file (Bel-me-niet-meer / Ne-m'appelez-plus,
    Code of Economic Law Art. VI.111-114)."""

    class Mode(models.TextChoices):
        REPLACE = "replace", _("replace the list (the file is the whole list)")
        ADD = "add", _("add to the list")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    file_name = models.CharField(_("file"), max_length=255, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    lines_read = models.PositiveIntegerField(_("lines read"), default=0)
    numbers_valid = models.PositiveIntegerField(_("numbers read"), default=0)
    lines_rejected = models.PositiveIntegerField(_("lines not understood"), default=0)
    numbers_added = models.PositiveIntegerField(_("numbers new on the list"), default=0)
    numbers_removed = models.PositiveIntegerField(_("numbers taken off the list"), default=0)
    started_at = models.DateTimeField(_("started on"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("Do Not Call Me import")
        verbose_name_plural = _("Do Not Call Me imports")

    def __str__(self) -> str:
        return f"Do Not Call Me import #{self.pk}"


class DoNotCallNumber(models.Model):
    """A number on the Do Not Call Me list, as a keyed hash (HMAC-SHA256 under
    DO_NOT_CALL_HASH_KEY) of its E.164 form: the list is checked, never read back."""

    number_hash = models.CharField(_("keyed hash of the number"), max_length=64, unique=True)
    last_import = models.ForeignKey(
        DoNotCallImport, verbose_name=_("last import"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Do Not Call Me number")
        verbose_name_plural = _("Do Not Call Me numbers")

    def __str__(self) -> str:
        return f"Do Not Call Me number #{self.pk}"
