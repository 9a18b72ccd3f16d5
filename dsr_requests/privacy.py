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
    NotificationSend,
    RequestAttachment,
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
                    "confirmation_nonce": "",
                    "anonymised_at": lambda c: c.now,
                }
            ),
        ),
    ],
    order_by=["-received_at"],
)

# What the person and VELUX wrote, and the documents: deleted once the request is closed.
datamap.register(
    RequestMessage,
    key="rights_request_messages",
    retention=_("While the request is being handled; deleted when it is closed and erased."),
    source=_("From you and from us, about the request."),
    purposes=PURPOSES,
    subject_path="rights_request__subject",
    match_email="rights_request__email",
    fields=[("rights_request__reference", _("request")), "kind", "body", "created_at"],
    keep=[KeepRule(KeepReason.OPEN_RIGHTS_REQUEST, lambda c: _open("rights_request__"))],
    order_by=["-created_at"],
)
datamap.register(
    RequestAttachment,
    key="rights_request_attachments",
    retention=_("While the request is being handled; deleted when it is closed and erased."),
    source=_("From you, or added by us (a letter we received, proof of a mandate)."),
    purposes=PURPOSES,
    subject_path="rights_request__subject",
    match_email="rights_request__email",
    # The file itself is deleted by the daily sweep once its row is gone (tasks.py).
    fields=[
        ("rights_request__reference", _("request")),
        "kind",
        "original_name",
        "size",
        "uploaded_at",
    ],
    keep=[KeepRule(KeepReason.OPEN_RIGHTS_REQUEST, lambda c: _open("rights_request__"))],
)

# The clock, the trail, the e-mails sent and the execution's steps hold no personal data of
# their own (dates, codes, ids): they stay with the request they prove was handled on time.
for model, key, fields in (
    (RequestPause, "rights_request_pauses", ["reason", "started_at", "ended_at"]),
    (AuditEvent, "rights_request_audit", ["action", "actor_kind", "at"]),
    (NotificationSend, "rights_request_emails", ["kind", "status", "created_at", "sent_at"]),
    (ExecutionStep, "rights_request_steps", ["name", "status", "finished_at"]),
):
    datamap.register(
        model,
        key=key,
        retention=_(
            "With the request, as the proof of when and how it was handled; they name "
            "nobody once the request no longer does."
        ),
        source=_("Made by us while handling the request."),
        purposes=PURPOSES,
        subject_path="rights_request__subject",
        match_email="rights_request__email",
        fields=[("rights_request__reference", _("request")), *fields],
        keep=[
            KeepRule(KeepReason.OPEN_RIGHTS_REQUEST, lambda c: _open("rights_request__")),
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
