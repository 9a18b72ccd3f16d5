"""Reads on rights requests: the confirmation link, the staff queue, the request page's
timeline, the dashboard's figures and the record of processing activities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from statistics import median

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Right, TruncMonth
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dsr_requests import roles
from dsr_requests.models import (
    REFERENCE_CODE_LENGTH,
    AuditAction,
    AuditEvent,
    ExecutionStep,
    NotificationSend,
    RequestExport,
    RequestMessage,
    RequestPause,
    RightsRequest,
    reference_normalise,
)
from dsr_requests.workflow import (
    ANSWERED_STATES,
    OPEN_STATES,
    Action,
    Kind,
    State,
    request_allows,
)
from subjects.compiled import (
    Compiled,
    stand_in_subject,
    statement_fill,
    statements_run,
    values_compile,
)
from subjects.datamap import datamap
from subjects.models import Purpose, PurposeCode, Recipient
from velux_privacy.calendar import add_months, local_date
from velux_privacy.lookups import Array
from velux_privacy.models import normalise_email

CONFIRMATION_SALT = "dsr_requests.confirmation"
FOLLOW_SALT = "dsr_requests.follow"
# The requests a person without an account opened by their signed follow link, in their
# session: a list of request ids (ints). The privacy centre shows only these (and the
# signed-in person's own); the export download view accepts them too.
FOLLOWED_SESSION_KEY = "followed_requests"


def confirmation_token_make(rights_request: RightsRequest) -> str:
    """The token of the confirmation link: the request's id and nonce, signed (no personal
    data in the URL; useless without SECRET_KEY, and once the nonce is used)."""
    return signing.dumps(
        [rights_request.pk, rights_request.confirmation_nonce], salt=CONFIRMATION_SALT
    )


def confirmation_token_read(token: str) -> tuple[int, str] | None:
    try:
        pk, nonce = signing.loads(token, salt=CONFIRMATION_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    return pk, nonce


def confirmation_matches(rights_request: RightsRequest | None, nonce: str, now: datetime) -> bool:
    """The link is the request's current one, not used, not expired, and its state still
    waits for it."""
    return (
        rights_request is not None
        and bool(rights_request.confirmation_nonce)
        and constant_time_compare(rights_request.confirmation_nonce, nonce)
        and rights_request.confirmation_expires_at is not None
        and rights_request.confirmation_expires_at > now
        and request_allows(rights_request, Action.CONFIRM)
    )


def follow_token_make(rights_request: RightsRequest) -> str:
    """The token of the follow link: the request's id and reference, signed and timestamped
    (no personal data in the URL; valid RIGHTS_REQUEST_FOLLOW_DAYS)."""
    return signing.dumps([rights_request.pk, rights_request.reference], salt=FOLLOW_SALT)


def rights_request_for_follow(*, token: str) -> RightsRequest | None:
    """The request a follow link opens, when the link is genuine, not expired, and the
    request is still there to be followed (confirmed, not anonymised); None otherwise."""
    try:
        pk, reference = signing.loads(
            token, salt=FOLLOW_SALT, max_age=timedelta(days=settings.RIGHTS_REQUEST_FOLLOW_DAYS)
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(reference, str):
        return None
    return _for_person().filter(pk=pk, reference=reference).first()


def followed_ids(session) -> list[int]:
    """The request ids a session followed by link (anything else in it ignored)."""
    value = session.get(FOLLOWED_SESSION_KEY, [])
    if not isinstance(value, list):
        return []
    return [pk for pk in value if isinstance(pk, int) and not isinstance(pk, bool)]


def _for_person() -> QuerySet[RightsRequest]:
    return RightsRequest.objects.confirmed().filter(anonymised_at__isnull=True)


def rights_request_list_for_person(
    *, subject_id: int | None, followed: list[int]
) -> QuerySet[RightsRequest]:
    """ "My requests": every confirmed request of the signed-in person's subject, and those
    the session followed by link; newest first. One query, whatever their number."""
    scope = Q(pk__in=followed) if followed else Q(pk__in=[])
    if subject_id is not None:
        scope |= Q(subject_id=subject_id)
    return _for_person().filter(scope).order_by("-received_at", "-pk")


def rights_request_for_person(
    *, reference: str, subject_id: int | None, followed: list[int]
) -> RightsRequest | None:
    """One of the person's requests by its reference; None for anyone else's (a 404). With
    its export, if any, in the same query (the page offers its download).

    On PostgreSQL the query is compiled once per process (`_for_person_statement`: building
    and compiling it cost more than running it, on every request's page); elsewhere, where
    a list of ids is as many placeholders, it is built each time."""
    reference = reference_normalise(reference)
    if not _REFERENCE_CHARACTERS.fullmatch(reference):
        return None  # no reference holds anything else (a NUL byte the server would refuse)
    if connection.vendor != "postgresql":
        return (
            rights_request_list_for_person(subject_id=subject_id, followed=followed)
            .filter(reference=reference)
            .select_related("export")
            .first()
        )
    statement = _for_person_statement()
    stand_ins = {
        stand_in_subject().pk: subject_id,  # None: "subject_id = NULL", true of no row
        _FOLLOWED_STAND_IN.literal: Array(followed).literal,
        _REFERENCE_STAND_IN: reference,
    }
    params = [stand_ins.get(p, p) if isinstance(p, int | str) else p for p in statement.params]
    [fetched] = statements_run([(statement.sql, params)])
    for values in statement.rows(fetched):
        return _with_export(values)
    return None


# What `reference_generate` writes, and `reference_normalise` leaves of what people type.
_REFERENCE_CHARACTERS = re.compile("[A-Z0-9-]+")
_FOLLOWED_STAND_IN = Array([-7_294_651_084])
_REFERENCE_STAND_IN = "VP-STAND-IN"
_REQUEST_FIELDS = tuple(f.attname for f in RightsRequest._meta.concrete_fields)
_EXPORT_FIELDS = tuple(f.attname for f in RequestExport._meta.concrete_fields)
_for_person_compiled: dict[tuple[str, str], Compiled] = {}


def _for_person_statement() -> Compiled:
    """`rights_request_for_person`'s query (`rights_request_list_for_person`'s, for one
    reference, with the export), compiled with stand-ins for the subject, the followed ids
    and the reference."""
    key = (connection.alias, connection.vendor)
    statement = _for_person_compiled.get(key)
    if statement is None:
        queryset = (
            _for_person()
            .filter(Q(pk__in_array=_FOLLOWED_STAND_IN) | Q(subject_id=stand_in_subject().pk))
            .filter(reference=_REFERENCE_STAND_IN)
            .order_by("-received_at", "-pk")
            .values(*_REQUEST_FIELDS, *(f"export__{name}" for name in _EXPORT_FIELDS))[:1]
        )
        statement = _for_person_compiled[key] = values_compile(queryset, key="the person's request")
    return statement


def _with_export(values: dict) -> RightsRequest:
    """The request of one row of `_for_person_statement`, with its export (or None) cached
    both ways, as `select_related("export")` leaves them."""
    alias = connection.alias
    rights_request = RightsRequest.from_db(
        alias, _REQUEST_FIELDS, [values[name] for name in _REQUEST_FIELDS]
    )
    export = None
    if values["export__id"] is not None:
        export = RequestExport.from_db(
            alias, _EXPORT_FIELDS, [values[f"export__{name}"] for name in _EXPORT_FIELDS]
        )
        RequestExport._meta.get_field("rights_request").set_cached_value(export, rights_request)
    RightsRequest._meta.get_field("export").set_cached_value(rights_request, export)
    return rights_request


def rights_request_for_confirmation(
    *, token: str, now: datetime | None = None
) -> RightsRequest | None:
    """The request a confirmation link is for, when the link is still good; None otherwise."""
    read = confirmation_token_read(token)
    if read is None:
        return None
    pk, nonce = read
    rights_request = RightsRequest.objects.filter(pk=pk).first()
    if not confirmation_matches(rights_request, nonce, now or timezone.now()):
        return None
    return rights_request


# The staff queue


def rights_request_queue(*, viewer, include_unconfirmed: bool = False) -> QuerySet[RightsRequest]:
    """The requests staff work, for the queue (Django admin's change list), with what each
    row shows in the same query: the assignee, the request it duplicates, whether an e-mail to
    the person failed, whether a step of its execution failed. The number of queries does not
    grow with the rows. Confirmed ones only unless `include_unconfirmed` (web submissions not
    confirmed are not requests yet)."""
    if not viewer.has_perm(roles.VIEW):
        return RightsRequest.objects.none()
    failed = NotificationSend.objects.filter(
        rights_request=OuterRef("pk"), status=NotificationSend.Status.FAILED
    )
    step_failed = ExecutionStep.objects.filter(
        rights_request=OuterRef("pk"), status=ExecutionStep.Status.FAILED
    )
    requests = RightsRequest.objects.all()
    if not include_unconfirmed:
        requests = requests.confirmed()
    return requests.select_related("assignee", "duplicate_of").annotate(
        email_failed=Exists(failed), step_failed=Exists(step_failed)
    )


def rights_request_search(queryset: QuerySet[RightsRequest], term: str) -> QuerySet[RightsRequest]:
    """Search by reference (whole, or its last characters) or by e-mail address (the
    person's or their representative's, whole): both use an index, at any size."""
    term = term.strip()
    if not term:
        return queryset
    if "@" in term:
        email = normalise_email(term)
        return queryset.filter(Q(email=email) | Q(representative_email=email))
    reference = reference_normalise(term)
    if reference.startswith("VP-"):
        return queryset.filter(reference=reference)
    if len(reference) == REFERENCE_CODE_LENGTH:
        # The code of a reference: the expression index dsr_rr_reference_code.
        return queryset.alias(code=Right("reference", REFERENCE_CODE_LENGTH)).filter(code=reference)
    return queryset.filter(reference__endswith=reference)


def week_end(today: date) -> date:
    """The Sunday of `today`'s week: "due this week" runs to it."""
    return today + timedelta(days=6 - today.weekday())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "message", "email"
    title: str
    actor: str = ""
    body: str = ""
    status: str = ""
    detail: str = ""


# What the person does not see of their request's trail: staff's internal notes, who opened
# which document, and the execution's internal steps (a failed step, its retry, the export's
# review before its release, reminders and escalations of recipients).
_STAFF_ONLY_ACTIONS = (
    AuditAction.NOTE_ADDED,
    AuditAction.ATTACHMENT_VIEWED,
    AuditAction.STEP_FAILED,
    AuditAction.EXECUTION_RETRIED,
    AuditAction.EXPORT_BUILT,
    AuditAction.ROW_WITHHELD,
    AuditAction.ROW_RESTORED,
    AuditAction.RECIPIENT_REMINDED,
    AuditAction.RECIPIENT_ESCALATED,
)


def rights_request_timeline(
    *, rights_request: RightsRequest, for_person: bool = False
) -> list[TimelineEntry]:
    """What happened on the request, in order: the audit trail's events (pauses begin and
    end with them), the messages both ways and the notes, the e-mails sent and failed. Three
    statements, whatever the length, compiled once per process (`_timeline_statements`) and
    sent together (`subjects.compiled.statements_run`: building and compiling them as ORM
    queries cost more than the rest of the request's page).

    `for_person`: the request's page in the privacy centre. Without staff's internal notes,
    who opened a document, or e-mails not sent; staff appear as VELUX Belgium, never by
    their address."""
    statements = _timeline_statements(for_person)
    fetched = statements_run(
        [(s.sql, statement_fill(s.params, rights_request)) for s in statements]
    )
    events, messages, notifications = (
        statement.rows(rows) for statement, rows in zip(statements, fetched, strict=True)
    )
    entries: list[TimelineEntry] = []
    for event in events:
        if for_person:
            actor = _person_sees(event["actor_kind"])
        elif event["actor__email"] is not None:
            actor = event["actor__email"]
        else:
            actor = _label(AuditEvent, "actor_kind", event["actor_kind"])
        entries.append(
            TimelineEntry(
                at=event["at"],
                kind="event",
                title=_label(AuditEvent, "action", event["action"]),
                actor=actor,
                detail=_event_detail(event),
            )
        )
    for message in messages:
        if for_person:
            actor = (
                str(_("VELUX Belgium"))
                if message["kind"] == RequestMessage.Kind.TO_PERSON
                else str(_("you"))
            )
        else:
            actor = message["author__email"] or ""
        entries.append(
            TimelineEntry(
                at=message["created_at"],
                kind=f"message-{message['kind']}",
                title=_label(RequestMessage, "kind", message["kind"]),
                actor=actor,
                body=message["body"],
            )
        )
    for notification in notifications:
        entries.append(
            TimelineEntry(
                at=notification["sent_at"]
                or notification["last_attempt_at"]
                or notification["created_at"],
                kind="email",
                title=_label(NotificationSend, "kind", notification["kind"]),
                status=notification["status"],
                detail=_label(NotificationSend, "status", notification["status"]),
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


_timeline_compiled: dict[tuple, tuple[Compiled, Compiled, Compiled]] = {}


def _timeline_statements(for_person: bool) -> tuple[Compiled, Compiled, Compiled]:
    """The timeline's events, messages and e-mails, each a `.values()` query in the order
    written, compiled once per process with the stand-in's id where the request's id stands
    (`subjects.compiled`; `statement_fill` puts the request's in its place)."""
    key = (connection.alias, connection.vendor, for_person)
    statements = _timeline_compiled.get(key)
    if statements is None:
        request_id = stand_in_subject().pk
        events = AuditEvent.objects.filter(rights_request_id=request_id).order_by("at", "pk")
        messages = RequestMessage.objects.filter(rights_request_id=request_id)
        notifications = NotificationSend.objects.filter(rights_request_id=request_id)
        event_fields = ["at", "action", "actor_kind", "details", "from_state", "to_state"]
        message_fields = ["created_at", "kind", "body"]
        if for_person:
            events = events.exclude(action__in=_STAFF_ONLY_ACTIONS)
            messages = messages.exclude(kind=RequestMessage.Kind.NOTE)
            notifications = notifications.filter(status=NotificationSend.Status.SENT)
        else:
            event_fields.append("actor__email")
            message_fields.append("author__email")
        statements = _timeline_compiled[key] = (
            values_compile(events.values(*event_fields), key="timeline events"),
            values_compile(
                messages.order_by("created_at", "pk").values(*message_fields),
                key="timeline messages",
            ),
            values_compile(
                notifications.order_by("created_at", "pk").values(
                    "sent_at", "last_attempt_at", "created_at", "kind", "status"
                ),
                key="timeline e-mails",
            ),
        )
    return statements


@cache
def _choices(model: type, name: str) -> dict:
    return dict(model._meta.get_field(name).flatchoices)


def _label(model: type, name: str, value) -> str:
    """What `get_<name>_display()` says of `value` (itself where it is no choice), in the
    active language."""
    return force_str(_choices(model, name).get(value, value), strings_only=True)


def _person_sees(actor_kind: str) -> str:
    if actor_kind == AuditEvent.ActorKind.PERSON:
        return str(_("you"))
    return str(_("VELUX Belgium"))


def _event_detail(event: dict) -> str:
    """What an audit event of the timeline adds to its title, from its values."""
    details = event["details"] or {}
    parts = []
    if event["action"] == AuditAction.RECEIVED:
        parts.append(str(RightsRequest.Channel(details.get("channel", "web")).label))
    elif event["from_state"] != event["to_state"]:
        parts.append(f"{State(event['from_state']).label} → {State(event['to_state']).label}")
    if "method" in details:
        parts.append(str(RightsRequest.IdentityMethod(details["method"]).label))
    if "reason" in details and details["reason"] in RequestPause.Reason.values:
        parts.append(str(RequestPause.Reason(details["reason"]).label))
    if "ground" in details:
        parts.append(str(RightsRequest.RejectionGround(details["ground"]).label))
    if "months" in details:
        parts.append(
            ngettext("%(months)s month", "%(months)s months", details["months"])
            % {"months": details["months"]}
        )
    if "paused_days" in details:
        parts.append(
            ngettext("paused %(days)s day", "paused %(days)s days", details["paused_days"])
            % {"days": details["paused_days"]}
        )
    if "step" in details:
        parts.append(details["step"])
    if "steps" in details:
        parts.append(", ".join(details["steps"]))
    for key in ("duplicate_of_reference", "into_reference"):
        if key in details:
            parts.append(details[key])
    if details.get("mandate_checked"):
        parts.append(str(_("proof of mandate checked")))
    return " · ".join(parts)


# The dashboard


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day
    on_time: int
    late: int

    @property
    def total(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class DashboardFigures:
    today: date
    open_by_kind_and_state: dict[str, dict[str, int]]
    open_total: int
    due_this_week: int
    overdue: int
    paused: int
    months: list[MonthFigures]
    median_days_to_answer: float | None
    answered_in_period: int

    def open_states(self) -> list[str]:
        return [s for s in State.values if s in OPEN_STATES]


def dashboard_figures(*, viewer, today: date | None = None, months: int = 12) -> DashboardFigures:
    """The figures of the staff dashboard and the DPO's annual report: open requests by kind
    and state, due this week, overdue, answered on time or late per month (the last `months`
    months, this one included), and the median of days from receipt to answer. A handful of
    grouped queries, whatever the number of requests."""
    today = today or local_date()
    if not viewer.has_perm(roles.VIEW):
        raise PermissionDenied
    requests = RightsRequest.objects.all()
    grid: dict[str, dict[str, int]] = {
        kind: dict.fromkeys(sorted(OPEN_STATES), 0) for kind in Kind.values
    }
    open_total = 0
    for kind, state, count in (
        requests.open().values_list("kind", "state").annotate(n=Count("pk")).order_by()
    ):
        grid[kind][state] = count
        open_total += count
    running = requests.open().exclude(state=State.AWAITING_SUBJECT)
    due_this_week = running.filter(due_on__gte=today, due_on__lte=week_end(today)).count()
    overdue = requests.overdue(today).count()
    paused = requests.filter(state=State.AWAITING_SUBJECT).count()

    first_month = add_months(today.replace(day=1), -(months - 1))
    answered = requests.filter(state__in=sorted(ANSWERED_STATES), closed_on__gte=first_month)
    by_month = {
        (row["month"].year, row["month"].month): row
        for row in answered.annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(
            on_time=Count("pk", filter=Q(closed_on__lte=F("due_on"))),
            late=Count("pk", filter=Q(closed_on__gt=F("due_on"))),
        )
        .order_by()
    }
    month_rows = []
    for index in range(months):
        month = add_months(first_month, index)
        row = by_month.get((month.year, month.month), {})
        month_rows.append(MonthFigures(month, row.get("on_time", 0), row.get("late", 0)))
    durations = sorted(
        (closed - received).days
        for received, closed in answered.values_list("received_on", "closed_on")
    )
    return DashboardFigures(
        today=today,
        open_by_kind_and_state=grid,
        open_total=open_total,
        due_this_week=due_this_week,
        overdue=overdue,
        paused=paused,
        months=month_rows,
        median_days_to_answer=median(durations) if durations else None,
        answered_in_period=len(durations),
    )


# The record of processing activities (GDPR Art. 30(1))

# How long each purpose keeps its data (policy §2, §5, §6 and the laws the data map's keep
# rules cite). The data map holds the rules; these are the words the record shows for them.
RETENTION = {
    PurposeCode.COMMERCIAL_ACTIVITY: _(
        "While the business relationship lasts and the contract is in force; contracts and "
        "accounting documents 7 years from 1 January after their year (Art. III.88 WER)."
    ),
    PurposeCode.ANSWERING_REQUESTS: _(
        "Until the request is answered; then deleted after two years without activity on "
        "the website (§6)."
    ),
    PurposeCode.CUSTOMERS: _(
        "While the order is open; then kept, anonymised, 7 years from 1 January after the "
        "year of delivery (Art. III.88 WER), invoices 10 years (Art. 60 §4 VAT Code)."
    ),
    PurposeCode.BUSINESS_DEVELOPMENT: _(
        "Deleted after two years without activity on the website (§6), and with the "
        "marketing consent where it was collected under it."
    ),
    PurposeCode.COMMERCIAL_COMMUNICATION: _(
        "As long as the consent stands; deleted within two months of unsubscribing (§2.5)."
    ),
    PurposeCode.SURVEYS: _("Deleted after two years without activity on the website (§6)."),
    PurposeCode.CANDIDATES: _(
        "While the application is considered; then deleted after two years without activity (§6)."
    ),
    PurposeCode.LEGAL_OBLIGATIONS: _(
        "As long as the law requires: legal holds until released; rights requests as "
        "proof of their handling, without what identifies the person once they are erased."
    ),
}


@dataclass(frozen=True)
class RecordCategory:
    label: str
    fields: list[str]


@dataclass(frozen=True)
class RecordRecipient:
    name: str
    category: str
    role: str
    country: str
    outside_eea: bool
    safeguard: str
    note: str


@dataclass(frozen=True)
class RecordEntry:
    section: str
    name: str
    description: str
    legal_basis: str
    data_subjects: str
    categories: list[RecordCategory]
    recipients: list[RecordRecipient]
    retention: str

    @property
    def transfers(self) -> list[RecordRecipient]:
        return [r for r in self.recipients if r.outside_eea]


def processing_record_build(*, viewer) -> list[RecordEntry]:
    """The record of processing activities (GDPR Art. 30(1)), per purpose of the register:
    legal basis, categories of persons (the register) and of data (the data map's categories
    serving the purpose, with their fields), recipients and transfers outside the EEA with
    their safeguard (the recipient register), and retention. Two queries."""
    if not viewer.has_perm("subjects.view_purpose"):
        raise PermissionDenied
    purposes = Purpose.objects.prefetch_related(
        Prefetch("recipients", queryset=Recipient.objects.filter(is_active=True).order_by("name"))
    ).order_by("section")
    entries = []
    for purpose in purposes:
        categories = [
            RecordCategory(
                label=str(category.label),
                fields=[str(field.label) for field in category.fields],
            )
            for category in datamap.categories()
            if purpose.code in category.purposes
        ]
        recipients = [
            RecordRecipient(
                name=recipient.name,
                category=recipient.get_category_display(),
                role=recipient.get_role_display(),
                country=recipient.country.upper(),
                outside_eea=recipient.outside_eea,
                safeguard=recipient.get_transfer_safeguard_display(),
                note=recipient.safeguard_note,
            )
            for recipient in purpose.recipients.all()
        ]
        entries.append(
            RecordEntry(
                section=purpose.section,
                name=purpose.name,
                description=purpose.description,
                legal_basis=purpose.get_legal_basis_display(),
                data_subjects=purpose.data_subjects,
                categories=categories,
                recipients=recipients,
                retention=str(RETENTION.get(purpose.code, "")),
            )
        )
    return entries
