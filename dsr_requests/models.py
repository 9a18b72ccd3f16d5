"""Rights requests and complaints (policy §5, §10), their legal clock and their audit trail.

The clock's facts are stored: when the request reached VELUX (`received_at`, any official
channel, EDPB 01/2022 §159) and its Brussels date, each pause (`RequestPause`: VELUX asked the
person for identity proof or clarification, until the answer came), the extension and its
reason. The due date is derived from them by one function (`due_on_compute`) and kept in a
column for the queue; the services that change a fact recompute it.

Every model here is in the data map (dsr_requests/privacy.py). `__str__` names a request by
its reference, never the person.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Right, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dsr_requests.workflow import (
    ANSWERED_STATES,
    CLOSED_STATES,
    EXECUTED_KINDS,
    OPEN_STATES,
    Kind,
    State,
)
from subjects.models import DataSubject, Language, PurposeCode
from velux_privacy.appendonly import AppendOnlyModel, append_only_triggers
from velux_privacy.calendar import BRUSSELS, legal_deadline, local_date

# References: "VP-<year of receipt>-<6 characters>" of Crockford's base32 (no I, L, O, U:
# nothing to misread on the phone). Not the id, not sequential: a reference tells nobody how
# many requests VELUX receives. 32**6 is a billion a year: collisions are retried.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_CODE_LENGTH = 6
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def reference_generate(year: int) -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CODE_LENGTH))
    return f"VP-{year}-{code}"


def reference_normalise(text: str) -> str:
    """What a person or staff types for a reference, as stored: upper case, no spaces, the
    letters people confuse with digits read as those digits ("vp 2026 k7q4m9" becomes
    "VP-2026-K7Q4M9")."""
    compact = "".join(text.split()).upper().replace("-", "")
    if compact.startswith("VP") and len(compact) == 2 + 4 + REFERENCE_CODE_LENGTH:
        year, code = compact[2:6], compact[6:].translate(_READ_AS)
        return f"VP-{year}-{code}"
    return compact.translate(_READ_AS)


def due_on_compute(
    *,
    received_on: date,
    pauses: Iterable[tuple[date, date | None]],
    extension_months: int,
    today: date,
) -> date:
    """The last day to answer (GDPR Art. 12(3), EDPB 01/2022 §158–164): one month from the
    Brussels date of receipt, plus the extension's months, plus the days the clock was paused
    (a pause still open counts until `today`), moved to the next working day.

    A pause counts only when VELUX asked while the clock still ran (EDPB §159: asked "without
    undue delay"): a question sent after the time limit ran out suspends nothing, or asking
    would turn a late request into one on time.

    The one derivation of the due date from the clock's facts (`RightsRequest.due_on`).
    """
    months = 1 + extension_months
    paused = 0
    for started, ended in sorted(pauses, key=lambda pause: pause[0]):
        if started > legal_deadline(received_on, months, paused_days=paused):
            continue
        paused += paused_days_count(pauses=[(started, ended)], today=today)
    return legal_deadline(received_on, months, paused_days=paused)


def paused_days_count(*, pauses: Iterable[tuple[date, date | None]], today: date) -> int:
    """Calendar days the clock stood still: from the Brussels date a pause began to the date
    it ended (a question asked and answered the same day pauses nothing)."""
    return sum(((ended or today) - started).days for started, ended in pauses)


class RightsRequestQuerySet(models.QuerySet):
    def confirmed(self) -> RightsRequestQuerySet:
        """Requests VELUX must answer or has answered: not the web submissions still waiting
        for the person to confirm them."""
        return self.exclude(state=State.UNCONFIRMED)

    def open(self) -> RightsRequestQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, today: date) -> RightsRequestQuerySet:
        """Open and past the due date, the clock running. A paused clock is not late, unless
        the question went out after the time limit had run out: that pause suspends nothing
        (`due_on_compute`), and the request stays late while it waits."""
        paused_too_late = Exists(
            RequestPause.objects.filter(rights_request=OuterRef("pk"), ended_at__isnull=True)
            .annotate(day=TruncDate("started_at", tzinfo=BRUSSELS))
            .filter(day__gt=OuterRef("due_on"))
        )
        return (
            self.open()
            .filter(due_on__lt=today)
            .filter(~Q(state=State.AWAITING_SUBJECT) | paused_too_late)
        )


class RightsRequest(models.Model):
    """One request of policy §5 (access, rectification, erasure, restriction, objection,
    portability) or one complaint (§10), received by any channel."""

    Kind = Kind
    State = State

    class Channel(models.TextChoices):
        WEB = "web", _("privacy centre")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        LETTER = "letter", _("letter")
        BRANCH = "branch", _("branch")
        API = "api", _("API")

    class IdentityMethod(models.TextChoices):
        """How identity was checked (EDPB 01/2022 §65, §70–79): recorded instead of any copy
        of an identity document, which is never stored."""

        SIGNED_IN = "signed_in", _("signed in with a verified e-mail address")
        EMAIL_CONFIRMED = "email_confirmed", _("confirmed from the address it concerns")
        KNOWN_DETAILS = "known_details", _("details match what VELUX holds")
        CALL_BACK = "call_back", _("called back on a number VELUX holds")
        IN_PERSON = "in_person", _("seen in person at a branch")
        DOCUMENT_SEEN = "document_seen", _("identity document seen, no copy kept")

    class Representation(models.TextChoices):
        LAWYER = "lawyer", _("lawyer")
        PARENT = "parent", _("parent or guardian")
        OTHER = "other", _("other representative")

    class RejectionGround(models.TextChoices):
        """GDPR Art. 12(5), and the cases where VELUX cannot act (Art. 11(2), 12(2))."""

        MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("manifestly unfounded (Art. 12(5))")
        EXCESSIVE = "excessive", _("excessive, in particular repetitive (Art. 12(5))")
        IDENTITY_NOT_ESTABLISHED = (
            "identity_not_established",
            _("the person's identity could not be established (Art. 11(2), 12(2))"),
        )
        OTHER = "other", _("another reason, written out")

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RECEIVED
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )

    # Who it concerns. The subject is found (or created) by the e-mail address only once the
    # address is confirmed (DESIGN.md); until then it is only the address given.
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        # Never deleted by deleting the person: erasure anonymises the request first.
        on_delete=models.PROTECT,
        related_name="rights_requests",
    )
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    details = models.TextField(_("what is asked"), blank=True)
    # Objection and restriction may name the one purpose they concern (empty: all).
    purpose = models.CharField(
        _("purpose concerned"), max_length=40, choices=PurposeCode.choices, blank=True
    )
    # Restriction: the last day the person asked it to last (GDPR Art. 18; empty: until VELUX
    # lifts it, telling the person first, Art. 18(3)).
    limit_ends_on = models.DateField(_("restricted until (inclusive)"), null=True, blank=True)
    # Objection: staff's compelling legitimate grounds (GDPR Art. 21(1)), sent to the person.
    # Empty: the objection is granted.
    objection_grounds = models.TextField(_("compelling legitimate grounds"), blank=True)

    # Filed on someone's behalf (a lawyer, a parent): the representative, and the proof of
    # mandate (an attachment), checked before the request is verified.
    representative_name = models.CharField(_("representative"), max_length=200, blank=True)
    representative_email = models.EmailField(_("representative's e-mail address"), blank=True)
    representation = models.CharField(
        _("acts as"), max_length=8, choices=Representation.choices, blank=True
    )

    # The clock's facts.
    received_at = models.DateTimeField(
        _("received on"),
        help_text=_("When the request reached an official channel of VELUX."),
    )
    received_on = models.DateField(_("date of receipt (Brussels)"), editable=False)
    extension_months = models.PositiveSmallIntegerField(
        _("extension (months)"), default=0, validators=[MaxValueValidator(2)]
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extended_at = models.DateTimeField(_("extended on"), null=True, blank=True)
    # Derived from the facts above and the pauses (due_on_compute); kept for the queue.
    due_on = models.DateField(_("due date"), null=True, blank=True, editable=False)

    # Confirmation from the address (web intake, and staff intake not otherwise verified):
    # the e-mailed link carries a signed token naming the request and this nonce. Single use:
    # the nonce is cleared once used.
    confirmation_nonce = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The privacy centre's form puts a random key in each form it shows: a second POST of the
    # same form (a double click, a reload) finds the request the first one made.
    submission_key = models.CharField(max_length=64, blank=True, editable=False)

    identity_method = models.CharField(
        _("identity checked by"), max_length=16, choices=IdentityMethod.choices, blank=True
    )
    identity_verified_at = models.DateTimeField(_("identity checked on"), null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rights_requests_assigned",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("entered on"), default=timezone.now, editable=False)

    # The answer.
    rejection_ground = models.CharField(
        _("ground for rejection"), max_length=24, choices=RejectionGround.choices, blank=True
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    outcome = models.TextField(_("answer"), blank=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    closed_on = models.DateField(_("date closed (Brussels)"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state since"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("anonymised on"), null=True, blank=True)

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        ordering = ["due_on", "received_at", "pk"]
        permissions = [
            ("work_rightsrequest", _("Can work rights requests assigned to them or to nobody")),
            ("work_any_rightsrequest", _("Can work any rights request and assign it to anyone")),
        ]
        indexes = [
            # The queue's order (soonest due first): read from the index, never sorted, at
            # any page and with any filter on state, assignee or kind.
            models.Index(fields=["due_on", "received_at", "id"], name="dsr_rr_queue_order"),
            models.Index(fields=["state", "due_on"], name="dsr_rr_state_due"),
            # Search by the last characters of a reference (what people read out): indexed.
            models.Index(Right("reference", REFERENCE_CODE_LENGTH), name="dsr_rr_reference_code"),
            models.Index(fields=["assignee", "state"], name="dsr_rr_assignee_state"),
            models.Index(fields=["subject", "kind", "state"], name="dsr_rr_subject_kind"),
            models.Index(fields=["email"], name="dsr_rr_email"),
            models.Index(fields=["received_on"], name="dsr_rr_received_on"),
            models.Index(fields=["closed_on"], name="dsr_rr_closed_on"),
            models.Index(fields=["confirmation_expires_at"], name="dsr_rr_confirm_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extension_months__lte=2), name="dsr_rr_extension_at_most_2"
            ),
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~models.Q(submission_key=""),
                name="dsr_rr_submission_key",
            ),
            # A complaint carries the complainant's name (policy §10); the address is there.
            models.CheckConstraint(
                condition=~models.Q(kind=Kind.COMPLAINT, name="")
                | models.Q(anonymised_at__isnull=False),
                name="dsr_rr_complaint_has_name",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def is_answered(self) -> bool:
        return self.state in ANSWERED_STATES

    @property
    def needs_execution(self) -> bool:
        return self.kind in EXECUTED_KINDS

    @property
    def is_paused(self) -> bool:
        return self.state == State.AWAITING_SUBJECT

    @property
    def contact_email(self) -> str:
        """Where VELUX writes about the request: the representative when one acts."""
        return self.representative_email or self.email

    def pause_facts(self) -> list[tuple[date, date | None]]:
        return [
            (local_date(p.started_at), local_date(p.ended_at) if p.ended_at else None)
            for p in self.pauses.all()
        ]

    def due_on_derive(self, *, now: datetime | None = None) -> date:
        """The due date from the stored facts (`due_on_compute`)."""
        return due_on_compute(
            received_on=self.received_on,
            pauses=self.pause_facts(),
            extension_months=self.extension_months,
            today=local_date(now),
        )

    def first_month_ends_on(self, *, now: datetime | None = None) -> date:
        """The due date without any extension: an extension must be decided by then
        (GDPR Art. 12(3): the person is told within the first month)."""
        return due_on_compute(
            received_on=self.received_on,
            pauses=self.pause_facts(),
            extension_months=0,
            today=local_date(now),
        )

    def days_left(self, *, today: date | None = None) -> int | None:
        if self.due_on is None:
            return None
        return (self.due_on - (today or local_date())).days


class RequestPause(models.Model):
    """The clock stood still: VELUX asked the person for identity proof or clarification
    (EDPB 01/2022 §159) and waited for the answer."""

    class Reason(models.TextChoices):
        IDENTITY = "identity", _("identity proof")
        CLARIFICATION = "clarification", _("clarification of the request")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(_("waiting for"), max_length=16, choices=Reason.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    # The state the request goes back to when the answer comes.
    resume_state = models.CharField(max_length=16, choices=State.choices, editable=False)

    class Meta:
        verbose_name = _("pause of the clock")
        verbose_name_plural = _("pauses of the clock")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rights_request"],
                condition=models.Q(ended_at__isnull=True),
                name="dsr_pause_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"Pause #{self.pk}"

    @property
    def days(self) -> int:
        return paused_days_count(
            pauses=[
                (local_date(self.started_at), local_date(self.ended_at) if self.ended_at else None)
            ],
            today=local_date(),
        )


class RequestMessage(models.Model):
    """What VELUX wrote to the person about the request, what they answered, and staff's
    internal notes."""

    class Kind(models.TextChoices):
        TO_PERSON = "to_person", _("to the person")
        FROM_PERSON = "from_person", _("from the person")
        NOTE = "note", _("internal note")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message #{self.pk}"


def attachment_upload_to(instance: RequestAttachment, filename: str) -> str:
    """A random name under the year: the person's file name (often their name) never reaches
    the file system; it is kept on the row, which erasure deletes."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"dsr_requests/{timezone.now():%Y}/{secrets.token_hex(16)}.{suffix}"


class RequestAttachment(models.Model):
    """A scanned letter, the original e-mail, or a proof of mandate, in private storage
    (never a copy of an identity document: the check's method is recorded instead)."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("scanned letter")
        EMAIL = "email", _("original e-mail")
        MANDATE = "mandate", _("proof of mandate")
        OTHER = "other", _("other document")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded on"), default=timezone.now)

    class Meta:
        verbose_name = _("request attachment")
        verbose_name_plural = _("request attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"Attachment #{self.pk}"


class AuditAction(models.TextChoices):
    RECEIVED = "received", _("received")
    IDENTITY_VERIFIED = "identity_verified", _("identity verified")
    INFORMATION_REQUESTED = "information_requested", _("asked the person")
    ANSWER_RECEIVED = "answer_received", _("the person answered")
    EXTENDED = "extended", _("deadline extended")
    ASSIGNED = "assigned", _("assigned")
    NOTE_ADDED = "note_added", _("internal note")
    ATTACHMENT_ADDED = "attachment_added", _("document added")
    ATTACHMENT_VIEWED = "attachment_viewed", _("document opened")
    DUPLICATE_LINKED = "duplicate_linked", _("linked as a duplicate")
    EXECUTION_STARTED = "execution_started", _("execution started")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    MERGED = "merged", _("merged")
    EMAIL_RESENT = "email_resent", _("e-mail sent again")
    STEP_FAILED = "step_failed", _("a step of the execution failed")
    EXECUTION_RETRIED = "execution_retried", _("execution retried")
    EXPORT_BUILT = "export_built", _("export built")
    ROW_WITHHELD = "row_withheld", _("row withheld from the export")
    ROW_RESTORED = "row_restored", _("withheld row put back in the export")
    EXPORT_RELEASED = "export_released", _("export released to the person")
    EXPORT_DOWNLOADED = "export_downloaded", _("export downloaded")
    EXPORT_EXPIRED = "export_expired", _("export file deleted after its expiry")
    ERASURE_EXECUTED = "erasure_executed", _("personal data erased")
    ERASURE_WAITING = "erasure_waiting", _("erasure waits for a reason to end")
    RECIPIENT_NOTIFIED = "recipient_notified", _("recipient informed (Art. 19)")
    RECIPIENT_REMINDED = "recipient_reminded", _("recipient reminded")
    RECIPIENT_ESCALATED = "recipient_escalated", _("recipient notice escalated to the DPO")
    RECIPIENT_ANSWERED = "recipient_answered", _("recipient answered")
    CORRECTION_DECIDED = "correction_decided", _("correction decided")
    CORRECTIONS_APPLIED = "corrections_applied", _("corrections applied")
    LIMIT_SET = "limit_set", _("restriction or objection recorded on the person")
    OBJECTION_GROUNDS = "objection_grounds", _("compelling grounds recorded")
    LIMIT_LIFT_ANNOUNCED = "limit_lift_announced", _("lifting of the restriction announced")


class AuditEvent(AppendOnlyModel):
    """One step on a request: who (a staff login, the person, or the system), what, when,
    the state before and after. Append-only (velux_privacy.appendonly; a trigger refuses
    UPDATE and DELETE on PostgreSQL). No personal data beyond ids and the request's
    reference: `details` holds codes and ids only (a method, a number of months, a ground),
    never free text, which stays on the request and its messages."""

    class ActorKind(models.TextChoices):
        STAFF = "staff", _("staff")
        PERSON = "person", _("the person")
        SYSTEM = "system", _("the system")

    rights_request = models.ForeignKey(
        RightsRequest,
        verbose_name=_("rights request"),
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    reference = models.CharField(_("reference"), max_length=20)
    action = models.CharField(_("action"), max_length=24, choices=AuditAction.choices)
    # Staff only: the person's own login is erased with them, the trail is not.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_kind = models.CharField(_("by whom"), max_length=8, choices=ActorKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_state = models.CharField(_("state before"), max_length=16, choices=State.choices)
    to_state = models.CharField(_("state after"), max_length=16, choices=State.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["rights_request", "at"], name="dsr_audit_request_at"),
            models.Index(fields=["at"], name="dsr_audit_at"),
        ]
        triggers = append_only_triggers("dsr_audit", erasable=("actor_id",))

    def __str__(self) -> str:
        return f"Audit event #{self.pk}"


class NotificationSend(models.Model):
    """One e-mail to the person about their request, and what became of it: sent by a Celery
    task after commit (dsr_requests.tasks), retried when the mail server fails, a failure
    shown in the queue until a send succeeds."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("confirm your request")
        ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement")
        INFORMATION_REQUEST = "information_request", _("request for information")
        EXTENSION = "extension", _("extension notice")
        COMPLETION = "completion", _("completion")
        REJECTION = "rejection", _("rejection")
        WITHDRAWAL = "withdrawal", _("withdrawal confirmed")
        MERGE = "merge", _("merged with another request")
        LIMIT_LIFT = "limit_lift", _("the restriction is to be lifted")

    class Status(models.TextChoices):
        PENDING = "pending", _("to send")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("e-mail"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    # The message sent to the person with it (a request for information).
    message = models.ForeignKey(
        RequestMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The exception's class only: a mail server's message may quote the address.
    last_error = models.CharField(_("last error"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("queued on"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail to the person")
        verbose_name_plural = _("e-mails to the person")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["rights_request"],
                condition=models.Q(status="failed"),
                name="dsr_notification_failed",
            )
        ]

    def __str__(self) -> str:
        return f"E-mail #{self.pk}"


class ExecutionStep(models.Model):
    """One named step of a request's execution (building an export, erasing, notifying a
    recipient…) and what became of it (dsr_requests.execution.step_run): a step is done at
    most once; a failure is shown in the queue and on the request page with a retry button.
    No personal data: the error is the exception's class and code only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField(_("step"), max_length=40)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("planned on"), default=timezone.now)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)
    # What the step produced, for the steps after it (ids, counts, codes; no personal data).
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("execution step")
        verbose_name_plural = _("execution steps")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rights_request", "name"], name="dsr_step_unique")
        ]
        indexes = [
            models.Index(
                fields=["rights_request"],
                condition=models.Q(status="failed"),
                name="dsr_step_failed",
            )
        ]

    def __str__(self) -> str:
        return f"Step #{self.pk}"


# How long a confirmation link stays valid (web intake; staff intake by letter or phone).
def confirmation_expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.RIGHTS_REQUEST_CONFIRMATION_DAYS)


def export_upload_to(instance: RequestExport, filename: str) -> str:
    """A random name under the year: nothing in the path says whose export it is."""
    return f"exports/{timezone.now():%Y}/{secrets.token_hex(16)}.zip"


class RequestExport(models.Model):
    """The answer to an access (GDPR Art. 15) or portability (Art. 20) request: the ZIP built
    from the data map into private storage (subjects.exports), what it holds (categories and
    row counts, no personal data), and its release to the person after staff's review
    (Art. 15(4)). The file is deleted once its link expires (`exports_expire`); the row stays
    with the request until the request is erased."""

    rights_request = models.OneToOneField(
        RightsRequest, on_delete=models.CASCADE, related_name="export"
    )
    portability = models.BooleanField(_("portability"), default=False)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    file = models.FileField(
        _("file"), upload_to=export_upload_to, max_length=200, blank=True, editable=False
    )
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # [{"key", "label", "rows", "withheld", "withheld_reason"}] as the ZIP's manifest says.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # The withheld rows the file leaves out, as [category key, row id] pairs: a release
    # rebuilds the file when staff's withholdings differ.
    withheld_applied = models.JSONField(default=list, blank=True, editable=False)
    built_at = models.DateTimeField(_("built on"), null=True, blank=True)
    builds = models.PositiveSmallIntegerField(_("builds"), default=0)
    # Staff's release: asked (the rebuild and the e-mail follow in the worker), then done.
    release_requested_at = models.DateTimeField(_("release asked on"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released on"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True)
    # In the signed download link: a new release (or an expiry) makes older links void.
    download_nonce = models.CharField(max_length=32, blank=True, editable=False)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    file_deleted_at = models.DateTimeField(_("file deleted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("request export")
        verbose_name_plural = _("request exports")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=~models.Q(file=""),
                name="dsr_export_file_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"Export #{self.pk}"

    @property
    def rows(self) -> int:
        return sum(c.get("rows", 0) for c in self.categories)

    @property
    def withheld(self) -> int:
        return sum(c.get("withheld", 0) for c in self.categories)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class ExportWithholding(models.Model):
    """One row staff leave out of an access or portability export because it would reveal
    other people (GDPR Art. 15(4)): a service note naming a neighbour, an installer's address.
    The person is told how many rows of the category were left out, and this reason."""

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="export_withholdings"
    )
    category = models.CharField(_("category"), max_length=64)
    # The row's primary key as text (every category's key type fits).
    row_id = models.CharField(_("row"), max_length=64)
    reason = models.TextField(_("reason given to the person"))
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withheld by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withheld_at = models.DateTimeField(_("withheld on"), default=timezone.now)

    class Meta:
        verbose_name = _("row withheld from an export")
        verbose_name_plural = _("rows withheld from exports")
        ordering = ["category", "withheld_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rights_request", "category", "row_id"], name="dsr_withholding_once"
            )
        ]

    def __str__(self) -> str:
        return f"Withholding #{self.pk}"


def recipient_notice_upload_to(instance: RecipientNotice, filename: str) -> str:
    """A random name under the year, outside the request documents' folder (their sweep
    keeps only the files of request attachments)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"recipient_notices/{timezone.now():%Y}/{secrets.token_hex(16)}.{suffix}"


class RecipientNotice(models.Model):
    """GDPR Art. 19: one recipient of the register that received categories an erasure (or a
    rectification) touched, told of it. Staff tick it off with a note, or the recipient's
    privacy contact answers on a small form reached by a signed, expiring link
    (dsr_requests.recipient_notices). Each answer is an audit event; the request completes
    when all its notices are answered."""

    class Reason(models.TextChoices):
        ERASURE = "erasure", _("erasure")
        RECTIFICATION = "rectification", _("rectification")

    class Answer(models.TextChoices):
        ERASED = "erased", _("erased (or corrected) as asked")
        NONE_HELD = "none_held", _("no data on the person held")
        COULD_NOT = "could_not", _("could not do it")

    class AnsweredVia(models.TextChoices):
        STAFF = "staff", _("ticked off by staff")
        FORM = "form", _("the recipient's form")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="recipient_notices"
    )
    recipient = models.ForeignKey(
        "subjects.Recipient",
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    reason = models.CharField(_("about"), max_length=16, choices=Reason.choices)
    # The data map's category keys the recipient received and the erasure touched.
    categories = models.JSONField(_("categories"), default=list)
    # Where it was e-mailed (the recipient's privacy contact when it was made), else blank:
    # staff tick it off.
    contact_email = models.EmailField(_("sent to"), blank=True)
    # The signed link names the notice and this nonce; cleared once answered.
    link_nonce = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    sent_at = models.DateTimeField(_("last sent on"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    escalated_at = models.DateTimeField(_("escalated to the DPO on"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices, blank=True)
    answered_via = models.CharField(
        _("answered through"), max_length=8, choices=AnsweredVia.choices, blank=True
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ticked off by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    file = models.FileField(
        _("file"), upload_to=recipient_notice_upload_to, max_length=200, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_type = models.CharField(_("file type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("recipient notice (Art. 19)")
        verbose_name_plural = _("recipient notices (Art. 19)")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rights_request", "recipient", "reason"],
                name="dsr_notice_one_per_recipient",
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(answered_at__isnull=True),
                name="dsr_notice_open",
            )
        ]

    def __str__(self) -> str:
        return f"Recipient notice #{self.pk}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class RectificationItem(models.Model):
    """GDPR Art. 16: one value the person proposes for one field of a category of the data
    map, with what VELUX held when it was proposed, and staff's decision and its reason."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    rights_request = models.ForeignKey(
        RightsRequest, on_delete=models.CASCADE, related_name="rectification_items"
    )
    category = models.CharField(_("category"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    # The row the value is on (the person's one row of the category when proposed).
    object_id = models.BigIntegerField(_("row"))
    current_value = models.TextField(_("value held"), blank=True)
    proposed_value = models.TextField(_("value proposed"), blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied on"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposed correction")
        verbose_name_plural = _("proposed corrections")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rights_request", "category", "field"], name="dsr_rectification_once"
            )
        ]

    def __str__(self) -> str:
        return f"Proposed correction #{self.pk}"
