"""The personal data of rights requests, in the data map, and the hold an open access or
portability request puts on the person's data.

On erasure (GDPR Art. 17) the request stays as the proof that it was handled (Art. 5(2),
12): reference, kind, channel, dates, due date, state and the codes of what was decided, with
its clock (pauses), audit trail and the record of the e-mails sent, none of which holds
personal data of its own. What identifies the person goes: the link to them, their address,
name, contact details and what they wrote; the messages and documents are deleted. A request
still open is kept as it is until it is closed (the erasure is then finished by the daily
re-check). A web submission never confirmed is deleted.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from dsr_requests.models import (
    AuditEvent,
    ExecutionStep,
    ExportWithholding,
    NotificationSend,
    RecipientNotice,
    RectificationItem,
    RequestAttachment,
    RequestExport,
    RequestMessage,
    RequestPause,
    RightsRequest,
)
from dsr_requests.workflow import CLOSED_STATES, HOLDING_KINDS, OPEN_STATES
from subjects.datamap import Anonymise, KeepReason, KeepRule, RowAction, datamap
from subjects.models import PurposeCode


def _open(prefix: str = "") -> Q:
    return Q(**{f"{prefix}state__in": sorted(OPEN_STATES)})


def _closed(prefix: str = "") -> Q:
    return Q(**{f"{prefix}state__in": sorted(CLOSED_STATES)})


# Kept as it is while its request is open.
WHILE_OPEN = KeepRule(KeepReason.OPEN_RIGHTS_REQUEST, lambda c: _open("rights_request__"))


def _register_part_of_request(model, *, fields, keep=(WHILE_OPEN,), **options) -> None:
    """A model that belongs to one request: the person's through the request (its subject, or
    its address while it is linked to nobody), for the request's purpose, shown with the
    request's reference first."""
    datamap.register(
        model,
        purposes=PURPOSES,
        subject_path="rights_request__subject",
        match_email="rights_request__email",
        fields=[("rights_request__reference", _("request")), *fields],
        keep=list(keep),
        **options,
    )


# Answering rights requests is a legal obligation (§2.8; GDPR Art. 12).
PURPOSES = [PurposeCode.LEGAL_OBLIGATIONS]

datamap.register(
    RightsRequest,
    key="rights_requests",
    retention=_(
        "While the request is being handled; afterwards the request stays as the proof that "
        "it was answered on time, without your name, address or what you wrote."
    ),
    source=_("From you, or from who asked on your behalf, when the request was made."),
    purposes=PURPOSES,
    subject_path="subject",
    # Also a request whose address was not confirmed yet, or entered by staff: it is theirs.
    match_email="email",
    fields=[
        "reference",
        "kind",
        "state",
        "channel",
        "received_at",
        "due_on",
        "email",
        "name",
        "phone",
        "postal_address",
        "details",
        "purpose",
        "limit_ends_on",
        "objection_grounds",
        "representative_name",
        "representative_email",
        "representation",
        "identity_method",
        "extension_months",
        "extension_reason",
        "rejection_ground",
        "rejection_reason",
        "outcome",
        "closed_at",
        "language",
    ],
    # Deleted: only what no keep rule keeps, a web submission never confirmed.
    keep=[
        KeepRule(KeepReason.OPEN_RIGHTS_REQUEST, lambda c: _open()),
        KeepRule(
            KeepReason.REQUEST_HANDLED,
            lambda c: _closed(),
            action=RowAction.ANONYMISE,
            anonymise=Anonymise(
                {
                    "subject": None,
                    "email": "",
                    "name": "",
                    "phone": "",
                    "postal_address": "",
                    "details": "",
                    "representative_name": "",
                    "representative_email": "",
                    "extension_reason": "",
                    "rejection_reason": "",
                    "outcome": "",
                    "objection_grounds": "",
                    "confirmation_nonce": "",
                    "anonymised_at": lambda c: c.now,
                }
            ),
        ),
    ],
    order_by=["-received_at"],
)

# What the person and VELUX wrote, and the documents: deleted once the request is closed.
_register_part_of_request(
    RequestMessage,
    key="rights_request_messages",
    retention=_("While the request is being handled; deleted when it is closed and erased."),
    source=_("From you and from us, about the request."),
    fields=["kind", "body", "created_at"],
    order_by=["-created_at"],
)
_register_part_of_request(
    RequestAttachment,
    key="rights_request_attachments",
    retention=_("While the request is being handled; deleted when it is closed and erased."),
    source=_("From you, or added by us (a letter we received, proof of a mandate)."),
    # The file itself is deleted by the daily sweep once its row is gone (tasks.py).
    fields=[
        "kind",
        "original_name",
        "size",
        "uploaded_at",
    ],
)

# The answer to an access or portability request: the export (its file is deleted when its
# link expires, or by the nightly sweep once the row is gone) and the rows staff withheld from
# it, with the reason the person was given. Deleted with the request's personal data.
_register_part_of_request(
    RequestExport,
    key="rights_request_exports",
    retention=_(
        "The file until its download link expires; what it held (counts) while the request "
        "is kept with your details."
    ),
    source=_("Made by us from the data we hold on you, to answer your request."),
    fields=[
        "portability",
        "size",
        "built_at",
        "released_at",
        "expires_at",
        "downloads",
    ],
)
_register_part_of_request(
    ExportWithholding,
    key="rights_request_export_withholdings",
    retention=_("While the request is kept with your details."),
    source=_("Decided by us when we reviewed the answer to your request (GDPR Art. 15(4))."),
    fields=["category", "reason", "withheld_at"],
)
# Art. 19 notices to recipients and the proposed corrections: what a recipient answered (a
# note, a file) and the values proposed may name the person. Kept while the request is open;
# deleted when it is closed and erased: the audit trail keeps, in codes, who was told and
# what they answered, and what was decided.
_register_part_of_request(
    RecipientNotice,
    key="rights_request_recipient_notices",
    retention=_(
        "While the request is being handled; deleted when it is closed and erased (the audit "
        "trail keeps which recipients were told and what they answered)."
    ),
    source=_("Made by us, and answered by the recipients we told of your request."),
    # The file itself is deleted by the daily sweep once its row is gone (tasks.py).
    fields=[
        ("recipient__name", _("recipient")),
        "reason",
        "categories",
        "answer",
        "note",
        "file_name",
        "answered_at",
    ],
)
_register_part_of_request(
    RectificationItem,
    key="rights_request_corrections",
    retention=_(
        "While the request is being handled; deleted when it is closed and erased (the audit "
        "trail keeps what was decided)."
    ),
    source=_("From you, when you asked for the correction, and our decision."),
    fields=[
        "category",
        "field",
        "current_value",
        "proposed_value",
        "decision",
        "reason",
        "decided_at",
    ],
    provided=["proposed_value"],
    rectifiable=False,  # a request's record: corrected by a new proposal on that request
)

# The clock, the trail, the e-mails sent and the execution's steps hold no personal data of
# their own (dates, codes, ids): they stay with the request they prove was handled on time.
for model, key, fields in (
    (RequestPause, "rights_request_pauses", ["reason", "started_at", "ended_at"]),
    (AuditEvent, "rights_request_audit", ["action", "actor_kind", "at"]),
    (NotificationSend, "rights_request_emails", ["kind", "status", "created_at", "sent_at"]),
    (ExecutionStep, "rights_request_steps", ["name", "status", "finished_at"]),
):
    _register_part_of_request(
        model,
        key=key,
        retention=_(
            "With the request, as the proof of when and how it was handled; they name "
            "nobody once the request no longer does."
        ),
        source=_("Made by us while handling the request."),
        fields=fields,
        keep=[
            WHILE_OPEN,
            KeepRule(KeepReason.REQUEST_HANDLED, lambda c: _closed("rights_request__")),
        ],
    )

# EDPB 01/2022 §2.3.3: the answer to an access or portability request reflects the data held
# when it was received; until it is closed, no erasure (by request or by schedule) takes any
# of the person's data. The erasure a request itself executes passes over this hold
# (subjects.services.IGNORABLE_HOLDS).
datamap.register_subject_hold(
    KeepReason.OPEN_RIGHTS_REQUEST,
    lambda now: Q(
        Exists(
            RightsRequest._base_manager.filter(
                subject=OuterRef("pk"),
                kind__in=sorted(HOLDING_KINDS),
                state__in=sorted(OPEN_STATES),
            )
        )
    ),
)
