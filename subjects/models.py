"""The data subject, the personal data VELUX holds on them (policy §2.1–2.8), and the purpose
and recipient registers (§2, §4).

Every model here that holds personal data is declared in `subjects/privacy.py`, which puts it
in the data map. `__str__` never shows personal data (STYLE.md §5): it names the row by id.
"""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from velux_privacy.models import normalise_email


class LegalBasis(models.TextChoices):
    """GDPR Art. 6(1); policy §1 and §8: every purpose carries exactly one."""

    CONTRACT = "contract", _("contract, or steps before a contract")
    CONSENT = "consent", _("consent")
    LEGITIMATE_INTEREST = "legitimate_interest", _("legitimate interest")
    LEGAL_OBLIGATION = "legal_obligation", _("legal obligation")


class PurposeCode(models.TextChoices):
    """The eight purposes of policy §2, as stable codes the data map refers to."""

    COMMERCIAL_ACTIVITY = "commercial_activity", "2.1"
    ANSWERING_REQUESTS = "answering_requests", "2.2"
    CUSTOMERS = "customers", "2.3"
    BUSINESS_DEVELOPMENT = "business_development", "2.4"
    COMMERCIAL_COMMUNICATION = "commercial_communication", "2.5"
    SURVEYS = "surveys", "2.6"
    CANDIDATES = "candidates", "2.7"
    LEGAL_OBLIGATIONS = "legal_obligations", "2.8"


class Language(models.TextChoices):
    DUTCH = "nl", "Nederlands"
    FRENCH = "fr", "Français"
    GERMAN = "de", "Deutsch"
    ENGLISH = "en", "English"


class Purpose(models.Model):
    """The purpose register (§2): what personal data is processed for, and on which basis.

    Seeded by a data migration; names and descriptions are translated (modeltranslation).
    """

    code = models.CharField(_("code"), max_length=40, choices=PurposeCode.choices, unique=True)
    section = models.CharField(_("policy section"), max_length=8)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    data_subjects = models.TextField(_("whose data"), blank=True)

    class Meta:
        ordering = ["section"]
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")

    def __str__(self) -> str:
        return f"§{self.section} {self.name}"

    @property
    def requires_consent(self) -> bool:
        return self.legal_basis == LegalBasis.CONSENT


# Countries of the European Economic Area: transfers inside need no extra safeguard (§4, §7).
EEA_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip


class Recipient(models.Model):
    """The recipient register (§4): who personal data may go to, and on what safeguard.

    Policy §7 still names the EU-US Privacy Shield, annulled in 2020 (Schrems II); the register
    records the safeguard actually relied on instead.
    """

    class Role(models.TextChoices):
        PROCESSOR = "processor", _("processor")
        THIRD_PARTY = "third_party", _("third party")
        AUTHORITY = "authority", _("authority")

    class Category(models.TextChoices):
        GROUP_PARENT = "group_parent", _("VELUX group parent company")
        GROUP_SALES = "group_sales", _("other VELUX sales companies")
        INSTALLERS_DISTRIBUTORS = "installers_distributors", _("installers and distributors")
        SUBCONTRACTORS = "subcontractors", _("delivery and customer-service subcontractors")
        HOSTING = "hosting", _("hosting")
        WEB_CHAT = "web_chat", _("web chat")
        CONTENT_ENGAGEMENT = "content_engagement", _("content engagement")
        ANALYTICS = "analytics", _("analytics, tracking and targeting technology")
        ADVERTISERS = "advertisers", _("advertisers and ad networks")
        SOCIAL_NETWORKS = "social_networks", _("social networks")
        AUTHORITIES = "authorities", _("authorities")

    class TransferSafeguard(models.TextChoices):
        WITHIN_EEA = "within_eea", _("none needed: inside the EEA")
        ADEQUACY_DECISION = "adequacy_decision", _("adequacy decision (GDPR Art. 45)")
        EU_US_DPF = "eu_us_dpf", _("EU-US Data Privacy Framework (adequacy decision of 2023)")
        STANDARD_CONTRACTUAL_CLAUSES = "scc", _("standard contractual clauses (GDPR Art. 46)")
        BINDING_CORPORATE_RULES = "bcr", _("binding corporate rules (GDPR Art. 47)")

    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    country = models.CharField(_("country (ISO code)"), max_length=2, default="BE")
    transfer_safeguard = models.CharField(
        _("transfer safeguard"),
        max_length=24,
        choices=TransferSafeguard.choices,
        default=TransferSafeguard.WITHIN_EEA,
    )
    safeguard_note = models.TextField(_("note on the safeguard"), blank=True)
    description = models.TextField(_("description"), blank=True)
    purposes = models.ManyToManyField(Purpose, related_name="recipients", blank=True)
    requires_consent = models.BooleanField(
        _("only with consent"),
        default=False,
        help_text=_("Data may go to this recipient only when the person consented (§2.5)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # GDPR Art. 19: where a notice of an erasure or a rectification is e-mailed (a business
    # address, e.g. privacy@…); without one, staff inform the recipient and tick it off.
    privacy_contact_email = models.EmailField(
        _("privacy contact e-mail"),
        blank=True,
        help_text=_(
            "Erasure and rectification notices (GDPR Art. 19) are e-mailed here with a link "
            "to answer. Leave empty when staff inform this recipient themselves."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(fields=["name", "category"], name="subjects_recipient_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def outside_eea(self) -> bool:
        return self.country.upper() not in EEA_COUNTRIES

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.country = self.country.upper()
        within = self.transfer_safeguard == self.TransferSafeguard.WITHIN_EEA
        if self.outside_eea and within:
            raise ValidationError(
                {"transfer_safeguard": _("A recipient outside the EEA needs a transfer safeguard.")}
            )


class DataSubject(models.Model):
    """The person VELUX holds data on. Not a login: a login may link to one (DESIGN.md).

    The e-mail is stored normalised (trimmed, lower-cased) and unique case-insensitively.
    """

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BE")
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_subject",
    )
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    # Policy §6: data is deleted after two years without activity on the website.
    last_activity_at = models.DateTimeField(_("last website activity"), null=True, blank=True)
    # Policy §2.5: set when the person no longer holds any marketing consent (the consent
    # app's ledger), two calendar months after the withdrawal; the unsubscribe purge erases
    # what served marketing by then. Cleared when a marketing consent is given again.
    marketing_purge_due_on = models.DateField(
        _("marketing data to be erased by"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="subjects_datasubject_email_ci_unique",
                violation_error_message=_("A data subject with this e-mail address exists."),
            )
        ]
        indexes = [
            # Lookups by the stored, normalised address (the unique constraint's index is on
            # LOWER(email), which an equality on the column cannot use).
            models.Index(fields=["email"], name="subjects_ds_email"),
            models.Index(fields=["last_activity_at"], name="subjects_ds_last_activity"),
            models.Index(fields=["marketing_purge_due_on"], name="subjects_ds_purge_due"),
        ]

    def __str__(self) -> str:
        return f"Data subject #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        self.email = normalise_email(self.email)


class BusinessContact(models.Model):
    """§2.1: suppliers, customers and stakeholders in VELUX's general commercial activity."""

    class Relationship(models.TextChoices):
        SUPPLIER = "supplier", _("supplier")
        SERVICE_PROVIDER = "service_provider", _("service provider")
        CUSTOMER = "customer", _("business customer")
        STAKEHOLDER = "stakeholder", _("stakeholder")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="business_contacts"
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    company_name = models.CharField(_("company"), max_length=200)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    contract_reference = models.CharField(_("contract reference"), max_length=40, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)

    class Meta:
        verbose_name = _("business contact")
        verbose_name_plural = _("business contacts")

    def __str__(self) -> str:
        return f"Business contact #{self.pk}"


class ContactRequest(models.Model):
    """§2.2: a request for information, a quote or an after-sales visit, by any channel."""

    class Channel(models.TextChoices):
        BRANCH = "branch", _("branch")
        PHONE = "phone", _("phone")
        EMAIL = "email", _("e-mail")
        POST = "post", _("post")
        WEB_FORM = "web_form", _("web form")

    class Kind(models.TextChoices):
        INFORMATION = "information", _("information")
        QUOTE = "quote", _("quote")
        AFTER_SALES_VISIT = "after_sales_visit", _("after-sales visit")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="contact_requests"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    product_interest = models.CharField(_("product"), max_length=120, blank=True)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    received_at = models.DateTimeField(_("received on"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        indexes = [models.Index(fields=["status"], name="subjects_cr_status")]

    def __str__(self) -> str:
        return f"Contact request #{self.pk}"


class Order(models.Model):
    """§2.3: a customer order. Kept, anonymised, for the statutory accounting period.

    Only the card brand and its last four digits are ever stored, never a card number: the
    column holds nothing or exactly four digits (a database constraint on every backend).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DELIVERED = "delivered", _("delivered")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    class CardBrand(models.TextChoices):
        NONE = "", _("no card")
        BANCONTACT = "bancontact", "Bancontact"
        MAESTRO = "maestro", "Maestro"
        MASTERCARD = "mastercard", "Mastercard"
        VISA = "visa", "Visa"
        AMEX = "amex", "American Express"

    # PROTECT: an order is never deleted by deleting its subject; erasure anonymises it first.
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    number = models.CharField(_("order number"), max_length=20, unique=True)
    placed_at = models.DateTimeField(_("placed on"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total_amount = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=0)
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=16, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(_("delivery country"), max_length=2, default="BE")
    installer_name = models.CharField(_("installer"), max_length=200, blank=True)
    distributor_name = models.CharField(_("distributor"), max_length=200, blank=True)
    payment_card_brand = models.CharField(
        _("card brand"), max_length=12, choices=CardBrand.choices, blank=True, default=""
    )
    payment_card_last4 = models.CharField(
        _("card last four digits"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^\d{4}$", _("Enter exactly the last four digits."))],
    )
    delivered_at = models.DateTimeField(_("delivered on"), null=True, blank=True)
    # The invoice's date: from it the VAT Code's 10 years run (Art. 60 §4 WBTW).
    invoiced_on = models.DateField(_("invoice date"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised on"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment_card_last4="")
                | models.Q(payment_card_last4__regex=r"^[0-9]{4}$"),
                name="subjects_order_card_last4_only",
            )
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_code = models.CharField(_("product code"), max_length=32)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"Order line #{self.pk}"


class DeviceIdentifier(models.Model):
    """§2.5: a cookie or device identifier tied to the person (with consent)."""

    class Kind(models.TextChoices):
        COOKIE_ID = "cookie_id", _("cookie ID")
        DEVICE_ID = "device_id", _("device ID")
        ADVERTISING_ID = "advertising_id", _("advertising ID")

    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("identifier"), max_length=128)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("device identifier")
        verbose_name_plural = _("device identifiers")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="subjects_device_unique")
        ]

    def __str__(self) -> str:
        return f"Device identifier #{self.pk}"


class BrowsingEvent(models.Model):
    """§2.5 and §2.4: tracked browsing history, by device identifier."""

    class EventType(models.TextChoices):
        PAGE_VIEW = "page_view", _("page view")
        PRODUCT_VIEW = "product_view", _("product view")
        CONFIGURATOR = "configurator", _("configurator use")
        DOWNLOAD = "download", _("download")
        SEARCH = "search", _("search")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="browsing_events"
    )
    device = models.ForeignKey(
        DeviceIdentifier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="browsing_events",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    event_type = models.CharField(_("event"), max_length=16, choices=EventType.choices)
    path = models.CharField(_("page"), max_length=500)

    class Meta:
        verbose_name = _("browsing event")
        verbose_name_plural = _("browsing events")
        # A person's events newest first, a page at a time ("my data", the exports' review:
        # the category's order with the id breaking ties, subjects.datamap.Category.
        # page_order), read from this index rather than all of them sorted.
        indexes = [
            models.Index(fields=["subject", "occurred_at", "id"], name="subjects_be_subject_at_id")
        ]

    def __str__(self) -> str:
        return f"Browsing event #{self.pk}"


class SurveyResponse(models.Model):
    """§2.6: satisfaction surveys and "Find an installer" ratings. Not for marketing."""

    class Survey(models.TextChoices):
        SATISFACTION = "satisfaction", _("customer satisfaction")
        FIND_INSTALLER = "find_installer", _("Find an installer rating")
        SITE_VISIT = "site_visit", _("website visit")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="survey_responses"
    )
    survey = models.CharField(_("survey"), max_length=16, choices=Survey.choices)
    installer_name = models.CharField(_("installer rated"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted on"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="subjects_survey_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"Survey response #{self.pk}"


class Application(models.Model):
    """§2.7: a job or supplier application, with experience, references and checks."""

    class Kind(models.TextChoices):
        JOB = "job", _("job application")
        SUPPLIER = "supplier", _("supplier application")

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("provided by the applicant")
        FORMER_EMPLOYER = "former_employer", _("former employer or reference")
        PUBLIC_SOURCE = "public_source", _("public source")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_REVIEW = "in_review", _("in review")
        OFFERED = "offered", _("offer made")
        HIRED = "hired", _("hired or contracted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    OPEN_STATUSES = (Status.RECEIVED, Status.IN_REVIEW, Status.OFFERED)

    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="applications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    position = models.CharField(_("position or offer"), max_length=200)
    experience = models.TextField(_("professional experience"), blank=True)
    references = models.TextField(_("references"), blank=True)
    checks = models.TextField(_("checks done"), blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.APPLICANT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    submitted_at = models.DateTimeField(_("submitted on"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"Application #{self.pk}"


class LegalHoldQuerySet(models.QuerySet):
    def active(self, now: datetime | None = None) -> models.QuerySet:
        return self.filter(LegalHold.active_q(now=now))


class LegalHold(models.Model):
    """§2.8: data that must be kept because the law requires it. While active, nothing about
    the subject is erased, by request or by schedule.

    A hold is active until its release moment has passed: `released_at` may be set ahead (a
    retention order that ends on a known date), and the hold holds until then. The subject
    hold, the keep rule and the admin all use `active_q`.
    """

    # PROTECT: deleting a subject never silently removes what the law says must stay.
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="legal_holds")
    legal_reference = models.CharField(_("legal reference"), max_length=200)
    reason = models.TextField(_("reason"))
    authority = models.CharField(_("authority"), max_length=200, blank=True)
    placed_at = models.DateTimeField(_("placed on"), default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(
        _("released on"),
        null=True,
        blank=True,
        help_text=_("Empty while the hold applies. A moment ahead: the hold applies until then."),
    )

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"Legal hold #{self.pk}"

    @staticmethod
    def active_q(*, now: datetime | None = None, prefix: str = "") -> models.Q:
        """Holds whose release has not passed at `now` (through `prefix`, e.g. "legal_holds__")."""
        return models.Q(**{f"{prefix}released_at__isnull": True}) | models.Q(
            **{f"{prefix}released_at__gt": now or timezone.now()}
        )

    def is_active_at(self, now: datetime | None = None) -> bool:
        return self.released_at is None or self.released_at > (now or timezone.now())

    @property
    def is_active(self) -> bool:
        return self.is_active_at()


class ProcessingLimit(models.Model):
    """A restriction (GDPR Art. 18) or an objection (Art. 21) that limits what VELUX may do
    with the person's data, with its reason, start and end. Flags several apps respect live on
    the subject (DESIGN.md): consent's "may VELUX contact" selector, and every processing of
    §2.4 and §2.6, ask `subjects.selectors.subject_processing_allowed`.

    `purpose` empty: every purpose (a restriction of all processing but storage); otherwise the
    one purpose objected to or restricted (one row per purpose).
    """

    class Kind(models.TextChoices):
        RESTRICTION = "restriction", _("restriction of processing (GDPR Art. 18)")
        OBJECTION = "objection", _("objection to processing (GDPR Art. 21)")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="processing_limits"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    purpose = models.CharField(
        _("purpose"),
        max_length=40,
        choices=PurposeCode.choices,
        blank=True,
        help_text=_("Empty: every purpose."),
    )
    reason = models.TextField(_("reason"))
    # The rights request (or other cause) it comes from, by reference: no import upwards.
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("processing limit")
        verbose_name_plural = _("processing limits")
        indexes = [models.Index(fields=["subject", "ended_at"], name="subjects_pl_subject_end")]

    def __str__(self) -> str:
        return f"Processing limit #{self.pk}"

    @staticmethod
    def active_q(*, now: datetime | None = None) -> models.Q:
        now = now or timezone.now()
        return models.Q(started_at__lte=now) & (
            models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=now)
        )


class DeletionReceipt(models.Model):
    """The proof that an erasure happened, without the data (DESIGN.md): categories and counts,
    the cause, when, and a keyed hash of the person's normalised e-mail (HMAC-SHA256 under
    RECEIPT_HASH_KEY), never a name or an address. Written by the erase service in the
    erasure's own transaction; never erased, never changed."""

    class Cause(models.TextChoices):
        RIGHTS_REQUEST = "rights_request", _("erasure request (GDPR Art. 17)")
        UNSUBSCRIBE_PURGE = "unsubscribe_purge", _("two months after unsubscribing (§2.5)")
        INACTIVITY = "inactivity", _("two years without activity (§6)")
        KEEP_REASON_ENDED = "keep_reason_ended", _("what was kept, once its reason ended")

    subject_hash = models.CharField(_("keyed hash of the e-mail address"), max_length=64)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    # The request's reference or the retention run's id: what a person or auditor can quote.
    cause_reference = models.CharField(_("cause reference"), max_length=40, blank=True)
    purposes = models.JSONField(_("purposes erased"), null=True, blank=True)
    summary = models.JSONField(_("categories and counts"))
    subject_deleted = models.BooleanField(_("person deleted"))
    rows_kept = models.PositiveIntegerField(_("rows kept"), default=0)
    erased_at = models.DateTimeField(_("erased on"), default=timezone.now)

    class Meta:
        verbose_name = _("deletion receipt")
        verbose_name_plural = _("deletion receipts")
        ordering = ["-erased_at"]
        indexes = [
            models.Index(fields=["subject_hash"], name="subjects_receipt_hash"),
            models.Index(fields=["cause", "cause_reference"], name="subjects_receipt_cause"),
        ]

    def __str__(self) -> str:
        return f"Deletion receipt #{self.pk}"


class ErasurePending(models.Model):
    """An erasure that kept rows back for a reason that ends (an open order, a contract in
    force, a legal hold…): it must be finished when the reason ends. The daily re-check
    (retention) erases again with the same cause and purposes; the row goes when nothing is
    kept any more."""

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="erasures_pending"
    )
    cause = models.CharField(_("cause"), max_length=20, choices=DeletionReceipt.Cause.choices)
    cause_reference = models.CharField(_("cause reference"), max_length=40, blank=True)
    purposes = models.JSONField(_("purposes to erase"), null=True, blank=True)
    kept_for = models.JSONField(_("kept for"), default=list)
    recorded_at = models.DateTimeField(_("recorded on"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked on"), default=timezone.now)

    class Meta:
        verbose_name = _("erasure pending")
        verbose_name_plural = _("erasures pending")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "cause", "cause_reference"], name="subjects_pending_unique"
            )
        ]
        indexes = [models.Index(fields=["checked_at"], name="subjects_pending_checked")]

    def __str__(self) -> str:
        return f"Erasure pending #{self.pk}"
