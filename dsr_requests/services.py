"""Writes on rights requests: intake by every channel, each step of the state machine
(dsr_requests.workflow), the clock, and the e-mails to the person.

Every public service is keyword-only and one transaction (STYLE.md §4): it locks the request,
checks who may act (dsr_requests.roles) and what the state allows, writes, records an
`AuditEvent` in the same transaction, recomputes the due date when a fact of the clock
changed, and enqueues the e-mail to the person after commit (`notification_send_task`). A
refused step raises a `RightsRequestError` with a stable code.

Actors: a staff login; the person themselves (their login, linked to the request's subject:
withdrawing, answering); or nobody (`actor=None`: the person by a confirmation link, the
system by an execution).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dsr_requests import execution, roles
from dsr_requests.exceptions import (
    AttachmentRefused,
    ConfirmationInvalid,
    ExtensionRefused,
    IntakeInvalid,
    NotAllowed,
    RightsRequestError,
    TransitionRefused,
)
from dsr_requests.files import file_type_detect, max_bytes
from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    ExecutionStep,
    NotificationSend,
    RequestAttachment,
    RequestMessage,
    RequestPause,
    RightsRequest,
    confirmation_expiry,
    reference_generate,
)
from dsr_requests.selectors import (
    confirmation_matches,
    confirmation_token_make,
    confirmation_token_read,
    follow_token_make,
)
from dsr_requests.workflow import CLOSED_STATES, OPEN_STATES, Action, Kind, State, request_allows
from subjects.models import Language, PurposeCode
from subjects.services import subject_get_or_create_for_email
from velux_privacy.calendar import local_date
from velux_privacy.mail import email_build
from velux_privacy.models import User, normalise_email

logger = logging.getLogger(__name__)

Method = RightsRequest.IdentityMethod
Channel = RightsRequest.Channel
Ground = RightsRequest.RejectionGround
PERSON = AuditEvent.ActorKind.PERSON
# What each kind asks for, as the e-mails say it.
KIND_IN_WORDS = {
    Kind.ACCESS: _("access to your personal data"),
    Kind.RECTIFICATION: _("rectification of your personal data"),
    Kind.ERASURE: _("erasure of your personal data"),
    Kind.RESTRICTION: _("restriction of the processing of your personal data"),
    Kind.OBJECTION: _("objection to the processing of your personal data"),
    Kind.PORTABILITY: _("a copy of the data you provided, to take elsewhere (portability)"),
    Kind.COMPLAINT: _("a complaint"),
}
# Errors of the mail server or the network: worth another try later.
TRANSIENT_SEND_ERRORS = (smtplib.SMTPException, OSError)
# A send claimed this long ago and never finished: the worker died; it may be taken again.
SENDING_STALE_AFTER = timedelta(minutes=10)


# Intake


@dataclass(frozen=True)
class Submission:
    """What `rights_request_submit` made: a request VELUX must now answer (the person was
    signed in with the address verified), or one waiting for the person to confirm it from
    the address (an e-mail with the link is on its way)."""

    rights_request: RightsRequest
    # False for a repeated submission (same key) by someone not signed in as the request's
    # address: they are told to check that address, never handed the request (attack10).
    submitter_may_follow: bool = True

    @property
    def needs_confirmation(self) -> bool:
        return self.rights_request.state == State.UNCONFIRMED or not self.submitter_may_follow


def rights_request_submit(
    *,
    kind: str,
    email: str,
    language: str,
    details: str = "",
    name: str = "",
    phone: str = "",
    postal_address: str = "",
    purpose: str = "",
    representative_name: str = "",
    representative_email: str = "",
    representation: str = "",
    user: User | None = None,
    channel: str = Channel.WEB,
    submission_key: str = "",
    now: datetime | None = None,
) -> Submission:
    """A request filed by the person (privacy centre, API), without staff.

    It reached VELUX now (EDPB 01/2022 §159: the clock starts at an official channel). A
    person signed in whose login has `email` as a verified address is verified at once
    (EDPB §65: no more checks than needed) and gets the acknowledgement. Anyone else gets an
    e-mail with a confirmation link (single use, valid RIGHTS_REQUEST_CONFIRMATION_DAYS): the
    request waits `unconfirmed`, is no request to answer yet, and is deleted unconfirmed by
    `rights_request_intake_expire`; once confirmed, the wait counts as a pause of the clock
    (identity).

    `submission_key` (the privacy centre's form's own random key): a second submission with
    the same key (a double click, a reload of the POST) makes nothing and returns the request
    the first one made, even when both arrive at once (a unique constraint decides).

    Raises IntakeInvalid (with `fields`) for a complaint without the complainant's name, a
    representative without an address, an unknown kind, purpose or language.
    """
    now = now or timezone.now()
    raw = {
        "kind": kind,
        "email": email,
        "language": language,
        "details": details,
        "name": name,
        "phone": phone,
        "postal_address": postal_address,
        "purpose": purpose,
        "representative_name": representative_name,
        "representative_email": representative_email,
        "representation": representation,
        "channel": channel,
    }
    submission_key = submission_key.strip()[:64]
    if not submission_key:
        return _rights_request_submit(user=user, now=now, **raw)
    earlier = RightsRequest.objects.filter(submission_key=submission_key).first()
    if earlier is not None and _same_submission(earlier, kind=kind, email=email):
        return _repeated_submission(earlier, user=user)
    if earlier is not None:
        # A key seen with another address or kind is no double submit of this form (and
        # must never lead to someone else's request): filed as a request of its own.
        return _rights_request_submit(user=user, now=now, **raw)
    try:
        return _rights_request_submit(user=user, now=now, submission_key=submission_key, **raw)
    except IntegrityError:
        # The same form submitted twice at once: the other submission made the request.
        earlier = RightsRequest.objects.filter(submission_key=submission_key).first()
        if earlier is None or not _same_submission(earlier, kind=kind, email=email):
            raise
        return _repeated_submission(earlier, user=user)


def _repeated_submission(earlier: RightsRequest, *, user: User | None) -> Submission:
    """The request a repeated submission made already. Its key came from the form, so anyone
    can repeat it: only the address's verified login may follow it from here; anyone else
    (e.g. who filed it in a stranger's address, which the stranger then confirmed) gets the
    answer of a request to confirm."""
    return Submission(earlier, submitter_may_follow=_signed_in_with(user, earlier.email))


def _same_submission(earlier: RightsRequest, *, kind: str, email: str) -> bool:
    return earlier.kind == kind.strip() and earlier.email == normalise_email(email or "")


def _rights_request_submit(
    *, user: User | None, now: datetime, submission_key: str = "", **raw: str
) -> Submission:
    fields = _intake_clean(**raw)
    channel = fields["channel"]
    signed_in = _signed_in_with(user, fields["email"]) and not fields["representative_email"]
    with transaction.atomic():
        rights_request = _rights_request_create(
            fields,
            received_at=now,
            state=State.RECEIVED if signed_in else State.UNCONFIRMED,
            submission_key=submission_key,
        )
        if signed_in:
            _audit(
                rights_request,
                AuditAction.RECEIVED,
                user,
                State.UNCONFIRMED,
                now=now,
                details={"channel": channel},
            )
            _identity_verify(rights_request, method=Method.SIGNED_IN, actor=user, now=now)
            _due_on_refresh(rights_request, now)
            rights_request.save()
            _notify(rights_request, NotificationSend.Kind.ACKNOWLEDGEMENT)
        else:
            rights_request.confirmation_nonce = secrets.token_urlsafe(24)
            rights_request.confirmation_expires_at = confirmation_expiry(now)
            rights_request.save()
            _notify(rights_request, NotificationSend.Kind.CONFIRMATION)
    logger.info("rights request %s submitted (%s)", rights_request.pk, rights_request.state)
    return Submission(rights_request)


@transaction.atomic
def rights_request_confirm(*, token: str, now: datetime | None = None) -> RightsRequest:
    """The person followed the link e-mailed to the address the request concerns.

    A web submission becomes a request received when it was submitted, the wait counted as a
    pause of the clock (identity), and is verified (method: confirmed from the address), so
    the subject is found or created by that address (DESIGN.md) and the acknowledgement with
    the reference and the due date goes out. A request entered by staff that waited for this
    confirmation is verified and its pause ends. Filed by a representative, the link only
    confirms the representative's address: staff check the mandate and verify.

    Single use. Raises ConfirmationInvalid for a link unknown, used, expired, or of a request
    that was withdrawn or closed meanwhile. Call it from a POST (mail scanners follow links).
    """
    now = now or timezone.now()
    read = confirmation_token_read(token)
    if read is None:
        raise ConfirmationInvalid()
    pk, nonce = read
    rights_request = RightsRequest.objects.select_for_update().filter(pk=pk).first()
    if not confirmation_matches(rights_request, nonce, now):
        raise ConfirmationInvalid()
    rights_request.confirmation_nonce = ""
    rights_request.confirmation_expires_at = None
    first_confirmation = rights_request.state == State.UNCONFIRMED
    if first_confirmation:
        RequestPause.objects.create(
            rights_request=rights_request,
            reason=RequestPause.Reason.IDENTITY,
            started_at=rights_request.received_at,
            ended_at=now,
            resume_state=State.RECEIVED,
        )
        _transition(
            rights_request,
            State.RECEIVED,
            AuditAction.RECEIVED,
            None,
            now,
            details={"channel": rights_request.channel},
            actor_kind=PERSON,
        )
    if rights_request.representative_email:
        if rights_request.state == State.AWAITING_SUBJECT:
            _pause_end(rights_request, AuditAction.ANSWER_RECEIVED, None, now, actor_kind=PERSON)
    else:
        _identity_verify(
            rights_request, method=Method.EMAIL_CONFIRMED, actor=None, now=now, actor_kind=PERSON
        )
    _due_on_refresh(rights_request, now)
    rights_request.save()
    if first_confirmation:
        _notify(rights_request, NotificationSend.Kind.ACKNOWLEDGEMENT)
    return rights_request


def rights_request_intake_expire(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete the web submissions nobody confirmed in time (their link expired): they hold an
    address someone typed, which may not be theirs. Nothing else points at them but their
    confirmation e-mails, which go with them; a confirmed request is never touched. Batches
    of `batch_size`, each its own transaction; a rerun finds nothing. Returns how many went.
    Scheduled daily (CELERY_BEAT_SCHEDULE)."""
    now = now or timezone.now()
    expired = RightsRequest.objects.filter(
        state=State.UNCONFIRMED, confirmation_expires_at__lte=now
    )
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                expired.select_for_update(skip_locked=True).values_list("pk", flat=True)[
                    :batch_size
                ]
            )
            if not ids:
                break
            NotificationSend.objects.filter(rights_request_id__in=ids).delete()
            RightsRequest.objects.filter(pk__in=ids, state=State.UNCONFIRMED).delete()
        total += len(ids)
    logger.info("deleted %s unconfirmed rights requests", total)
    return total


@transaction.atomic
def rights_request_receive(
    *,
    actor: User,
    kind: str,
    channel: str,
    received_at: datetime,
    email: str,
    language: str,
    details: str = "",
    name: str = "",
    phone: str = "",
    postal_address: str = "",
    purpose: str = "",
    representative_name: str = "",
    representative_email: str = "",
    representation: str = "",
    identity_method: str = "",
    mandate_checked: bool = False,
    attachments: Sequence[tuple[str, UploadedFile]] = (),
    now: datetime | None = None,
) -> RightsRequest:
    """Staff enter a request that reached VELUX by e-mail, phone, letter or at a branch.

    `received_at` is when it reached an official channel (the letter's date of receipt),
    not when it is typed in: the month runs from then (EDPB 01/2022 §159). The scanned letter
    or e-mail goes with it (`attachments`: (RequestAttachment.Kind, file) pairs).

    When staff checked the identity at intake (`identity_method`, e.g. seen at a branch) the
    request is verified at once. Otherwise the person confirms by e-mail like any other: the
    acknowledgement carries a confirmation link and the clock pauses until it is followed
    (identity). Raises NotAllowed for a login that may not enter requests, IntakeInvalid for
    missing or wrong fields (a receipt in the future, the web channel).
    """
    now = now or timezone.now()
    if not roles.is_staff_login(actor) or not actor.has_perm(roles.ENTER):
        raise NotAllowed()
    if channel in (Channel.WEB, Channel.API):
        raise IntakeInvalid(
            code="channel_not_for_staff",
            fields={"channel": [_("Choose how the request reached VELUX.")]},
        )
    if received_at > now:
        raise IntakeInvalid(
            code="received_in_future",
            fields={"received_at": [_("The date of receipt cannot be in the future.")]},
        )
    fields = _intake_clean(
        kind=kind,
        email=email,
        language=language,
        details=details,
        name=name,
        phone=phone,
        postal_address=postal_address,
        purpose=purpose,
        representative_name=representative_name,
        representative_email=representative_email,
        representation=representation,
        channel=channel,
    )
    if identity_method and (
        identity_method not in Method.values
        or identity_method in (Method.SIGNED_IN, Method.EMAIL_CONFIRMED)
    ):
        raise IntakeInvalid(
            code="unknown_method",
            fields={"identity_method": [_("Choose how the identity was checked.")]},
        )
    rights_request = _rights_request_create(
        fields, received_at=received_at, state=State.RECEIVED, recorded_by=actor, recorded_at=now
    )
    _audit(
        rights_request,
        AuditAction.RECEIVED,
        actor,
        State.UNCONFIRMED,
        now=now,
        details={"channel": channel, "received_on": rights_request.received_on.isoformat()},
    )
    for attachment_kind, upload in attachments:
        _attachment_add(rights_request, kind=attachment_kind, upload=upload, actor=actor, now=now)
    if identity_method:
        _identity_verify(
            rights_request,
            method=identity_method,
            actor=actor,
            now=now,
            mandate_checked=mandate_checked,
        )
    else:
        _pause_start(rights_request, RequestPause.Reason.IDENTITY, actor, now, message=None)
        rights_request.confirmation_nonce = secrets.token_urlsafe(24)
        rights_request.confirmation_expires_at = confirmation_expiry(now)
    _due_on_refresh(rights_request, now)
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.ACKNOWLEDGEMENT)
    return rights_request


# Steps of the state machine


@transaction.atomic
def rights_request_verify(
    *,
    rights_request: RightsRequest,
    actor: User,
    method: str,
    mandate_checked: bool = False,
    now: datetime | None = None,
) -> RightsRequest:
    """Staff checked the person's identity by `method` (never keeping a copy of a document:
    the method is the record). A request filed on someone's behalf needs its proof of mandate
    checked (`mandate_checked`) and attached. Ends a pause for identity proof. The subject is
    found or created by the request's address; a second open request of the same kind for the
    same person is linked to the first as a duplicate, and still verified.

    Raises TransitionRefused, NotAllowed, RightsRequestError("mandate_not_checked" /
    "mandate_missing" / "unknown_method")."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.VERIFY, actor)
    if method not in Method.values or method in (Method.SIGNED_IN, Method.EMAIL_CONFIRMED):
        raise RightsRequestError(_("Choose how the identity was checked."), code="unknown_method")
    _identity_verify(
        rights_request, method=method, actor=actor, now=now, mandate_checked=mandate_checked
    )
    _due_on_refresh(rights_request, now)
    rights_request.save()
    return rights_request


@transaction.atomic
def rights_request_ask(
    *,
    rights_request: RightsRequest,
    actor: User,
    reason: str,
    message: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Ask the person for identity proof or a clarification: the clock pauses until they
    answer (EDPB 01/2022 §159). What is asked, and why, is recorded and sent to them (§65: no
    more than needed, and never a copy of an identity document)."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.ASK, actor)
    if reason not in RequestPause.Reason.values:
        raise RightsRequestError(_("Choose what the person is asked for."), code="unknown_reason")
    if len(message.strip()) < 10:
        raise RightsRequestError(
            _("Write what the person is asked for and why."),
            code="message_required",
            fields={"message": [_("Write what the person is asked for and why.")]},
        )
    sent = RequestMessage.objects.create(
        rights_request=rights_request,
        kind=RequestMessage.Kind.TO_PERSON,
        body=message.strip(),
        author=actor,
        created_at=now,
    )
    _pause_start(rights_request, reason, actor, now, message=sent)
    _due_on_refresh(rights_request, now)
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.INFORMATION_REQUEST, message=sent)
    return rights_request


@transaction.atomic
def rights_request_resume(
    *,
    rights_request: RightsRequest,
    actor: User | None,
    message: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """The person answered (staff record it, or the person through the privacy centre): the
    pause ends, the clock runs again, the request returns to the state it was in. The answer,
    when given, is kept as a message from the person."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.RESUME, actor, person_may_act=True)
    if message.strip():
        RequestMessage.objects.create(
            rights_request=rights_request,
            kind=RequestMessage.Kind.FROM_PERSON,
            body=message.strip(),
            author=actor if roles.is_staff_login(actor) else None,
            created_at=now,
        )
    _pause_end(rights_request, AuditAction.ANSWER_RECEIVED, actor, now)
    _due_on_refresh(rights_request, now)
    rights_request.save()
    return rights_request


@transaction.atomic
def rights_request_reply(
    *,
    rights_request: RightsRequest,
    actor: User | None,
    message: str,
    upload: UploadedFile | None = None,
    by_link: bool = False,
    now: datetime | None = None,
) -> RightsRequest:
    """The person answers VELUX's request for information in the privacy centre (signed in,
    or `by_link`: through the signed follow link the privacy centre checked), with a
    document if they like: the answer is kept as a message from the person, the document in
    private storage (the limits of `rights_request_attach`), and the clock runs again
    (`rights_request_resume`).

    Raises TransitionRefused when VELUX is not waiting for an answer, NotAllowed for anyone
    but the person, RightsRequestError (code "answer_empty", with `fields`) for an empty
    answer, AttachmentRefused for a document over the limits; then nothing is recorded."""
    now = now or timezone.now()
    rights_request = _lock(
        rights_request, Action.RESUME, actor, person_may_act=True, by_link=by_link
    )
    if roles.is_staff_login(actor):
        raise NotAllowed()
    if not message.strip():
        raise RightsRequestError(
            _("Write your answer."),
            code="answer_empty",
            fields={"message": [_("Write your answer.")]},
        )
    actor_kind = PERSON if actor is None else None
    RequestMessage.objects.create(
        rights_request=rights_request,
        kind=RequestMessage.Kind.FROM_PERSON,
        body=message.strip(),
        author=None,
        created_at=now,
    )
    if upload is not None:
        try:
            _attachment_add(
                rights_request,
                kind=RequestAttachment.Kind.OTHER,
                upload=upload,
                actor=actor,
                now=now,
                actor_kind=actor_kind,
            )
        except AttachmentRefused as refused:
            refused.fields = {"document": [refused.message]}
            raise
    _pause_end(rights_request, AuditAction.ANSWER_RECEIVED, actor, now, actor_kind=actor_kind)
    _due_on_refresh(rights_request, now)
    rights_request.save()
    return rights_request


@transaction.atomic
def rights_request_extend(
    *,
    rights_request: RightsRequest,
    actor: User,
    months: int,
    reason: str,
    now: datetime | None = None,
) -> RightsRequest:
    """GDPR Art. 12(3): one or two more months, two at most in all, decided and announced to
    the person with the reason within the first month (its last day included). It counts
    from the original receipt, pauses added. Raises ExtensionRefused otherwise."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.EXTEND, actor)
    if months not in (1, 2) or rights_request.extension_months + months > 2:
        raise ExtensionRefused(code="extension_too_long")
    if not reason.strip():
        raise ExtensionRefused(
            _("Give the reason for the extension: the person is told."),
            code="reason_required",
            fields={"reason": [_("Give the reason for the extension: the person is told.")]},
        )
    if local_date(now) > rights_request.first_month_ends_on(now=now):
        raise ExtensionRefused(
            _("The first month has ended: the deadline can no longer be extended."),
            code="first_month_ended",
        )
    rights_request.extension_months += months
    rights_request.extension_reason = "\n\n".join(
        part for part in (rights_request.extension_reason, reason.strip()) if part
    )
    rights_request.extended_at = now
    _due_on_refresh(rights_request, now)
    _audit(
        rights_request,
        AuditAction.EXTENDED,
        actor,
        rights_request.state,
        now=now,
        details={
            "months": months,
            "total_months": rights_request.extension_months,
            "due_on": rights_request.due_on.isoformat(),
        },
    )
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.EXTENSION)
    return rights_request


@transaction.atomic
def rights_request_assign(
    *,
    rights_request: RightsRequest,
    actor: User,
    assignee: User | None,
    now: datetime | None = None,
) -> RightsRequest:
    """Give the request to `assignee` (None: to nobody). A DPO assigns to anyone who works
    requests; an agent takes an unassigned one or gives back their own."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.ASSIGN, actor, check_role=False)
    if not roles.may_assign(actor, rights_request, assignee):
        raise NotAllowed(code="assignment_not_allowed")
    previous = rights_request.assignee_id
    rights_request.assignee = assignee
    _audit(
        rights_request,
        AuditAction.ASSIGNED,
        actor,
        rights_request.state,
        now=now,
        details={"assignee": assignee.pk if assignee else None, "previous": previous},
    )
    rights_request.save()
    return rights_request


@transaction.atomic
def rights_request_note(
    *, rights_request: RightsRequest, actor: User, text: str, now: datetime | None = None
) -> RequestMessage:
    """An internal note on the request (never sent to the person), e.g. a manual step done:
    "processor X confirmed the erasure"."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.NOTE, actor)
    if not text.strip():
        raise RightsRequestError(
            _("Write the note."), code="note_empty", fields={"text": [_("Write the note.")]}
        )
    note = RequestMessage.objects.create(
        rights_request=rights_request,
        kind=RequestMessage.Kind.NOTE,
        body=text.strip(),
        author=actor,
        created_at=now,
    )
    _audit(
        rights_request,
        AuditAction.NOTE_ADDED,
        actor,
        rights_request.state,
        now=now,
        details={"message": note.pk},
    )
    return note


@transaction.atomic
def rights_request_attach(
    *,
    rights_request: RightsRequest,
    actor: User,
    kind: str,
    upload: UploadedFile,
    now: datetime | None = None,
) -> RequestAttachment:
    """Add a document (scanned letter, e-mail, proof of mandate) to the request, in private
    storage. PDF, JPEG, PNG, TIFF or a saved e-mail (.eml), RIGHTS_REQUEST_ATTACHMENT_MAX_MB at
    most, its content matching its name. Raises AttachmentRefused otherwise."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.ATTACH, actor)
    return _attachment_add(rights_request, kind=kind, upload=upload, actor=actor, now=now)


@transaction.atomic
def rights_request_attachment_open(
    *, attachment: RequestAttachment, actor: User, now: datetime | None = None
):
    """The file of `attachment`, opened for `actor` to read; who opened which document is in
    the audit trail. Raises NotAllowed for a login that may not see requests."""
    now = now or timezone.now()
    if not roles.is_staff_login(actor) or not actor.has_perm(roles.VIEW):
        raise NotAllowed()
    rights_request = attachment.rights_request
    _audit(
        rights_request,
        AuditAction.ATTACHMENT_VIEWED,
        actor,
        rights_request.state,
        now=now,
        details={"attachment": attachment.pk},
    )
    return attachment.file.open("rb")


@transaction.atomic
def rights_request_complete(
    *,
    rights_request: RightsRequest,
    actor: User,
    outcome: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """ "Complete" on the request page. For a verified request of a kind that needs work
    (access, portability, erasure, rectification, restriction, objection) it starts the
    execution: the request goes in progress and, after commit, the executor of its kind gets
    its id (dsr_requests.execution), which calls `rights_request_execution_done` when done.
    A complaint is answered at once with `outcome`, the answer sent to the person."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, None, actor)
    if request_allows(rights_request, Action.START):
        _transition(rights_request, State.IN_PROGRESS, AuditAction.EXECUTION_STARTED, actor, now)
        rights_request.save()
        pk, kind = rights_request.pk, rights_request.kind
        transaction.on_commit(lambda: execution.execution_start(rights_request_id=pk, kind=kind))
        return rights_request
    if not request_allows(rights_request, Action.COMPLETE) or (
        rights_request.state != State.VERIFIED
    ):
        raise TransitionRefused()
    return _complete(rights_request, actor=actor, outcome=outcome, now=now)


@transaction.atomic
def rights_request_execution_done(
    *,
    rights_request: RightsRequest,
    outcome: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> RightsRequest:
    """The execution finished (called by the executor, `actor=None`, or by staff who did
    the work by hand): the request is completed and the person told what was done."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.COMPLETE, actor, system_may_act=True)
    if rights_request.state != State.IN_PROGRESS:
        raise TransitionRefused()
    return _complete(rights_request, actor=actor, outcome=outcome, now=now)


@transaction.atomic
def rights_request_reject(
    *,
    rights_request: RightsRequest,
    actor: User,
    ground: str,
    reason: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """Refuse the request on a ground of GDPR Art. 12(5) (manifestly unfounded, excessive)
    or because the identity could not be established (Art. 11(2), 12(2)), or on a reason
    written out. The person is told the reason, their right to complain to the GBA/APD and
    to go to court (Art. 12(4)); staff see that message first (`rejection_preview`)."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, Action.REJECT, actor)
    if execution.execution_irreversible(rights_request_id=rights_request.pk):
        raise TransitionRefused(code="executed_already")
    if ground not in Ground.values:
        raise RightsRequestError(
            _("Choose the ground for the rejection."),
            code="ground_required",
            fields={"ground": [_("Choose the ground for the rejection.")]},
        )
    if ground == Ground.OTHER and not reason.strip():
        raise RightsRequestError(
            _("Write the reason for the rejection: the person is told."),
            code="reason_required",
            fields={"reason": [_("Write the reason for the rejection: the person is told.")]},
        )
    _pause_close_silently(rights_request, now)
    rights_request.rejection_ground = ground
    rights_request.rejection_reason = reason.strip()
    _transition(
        rights_request, State.REJECTED, AuditAction.REJECTED, actor, now, details={"ground": ground}
    )
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.REJECTION)
    return rights_request


@transaction.atomic
def rights_request_withdraw(
    *,
    rights_request: RightsRequest,
    actor: User | None,
    by_link: bool = False,
    now: datetime | None = None,
) -> RightsRequest:
    """The person withdraws the request: themselves (their login, or `by_link`: no login,
    through the signed follow link the privacy centre checked), or staff record that they
    did (by phone, by letter). The person gets a confirmation. TransitionRefused once its
    execution did what cannot be undone (`rights_request_may_withdraw`)."""
    now = now or timezone.now()
    rights_request = _lock(
        rights_request, Action.WITHDRAW, actor, person_may_act=True, by_link=by_link
    )
    if execution.execution_irreversible(rights_request_id=rights_request.pk):
        raise TransitionRefused(code="executed_already")
    _pause_close_silently(rights_request, now)
    _transition(
        rights_request,
        State.WITHDRAWN,
        AuditAction.WITHDRAWN,
        actor,
        now,
        actor_kind=PERSON if by_link and actor is None else None,
    )
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.WITHDRAWAL)
    return rights_request


def rights_request_may_withdraw(rights_request: RightsRequest) -> bool:
    """Whether the request may still be withdrawn: open, and nothing of its execution that
    cannot be undone is done (execution.IRREVERSIBLE_STEPS)."""
    return request_allows(rights_request, Action.WITHDRAW) and not execution.execution_irreversible(
        rights_request_id=rights_request.pk
    )


@transaction.atomic
def rights_request_merge(
    *,
    rights_request: RightsRequest,
    into: RightsRequest,
    actor: User,
    now: datetime | None = None,
) -> RightsRequest:
    """Merge a duplicate into the open request of the same kind and person it repeats: it is
    closed as merged, what it asked is added to the other as a note, and the person is told
    that both are answered together, by the other's due date."""
    now = now or timezone.now()
    # Both requests locked at once, in one order: two staff merging two requests into each
    # other would otherwise each hold one lock and wait for the other (a deadlock).
    list(
        RightsRequest.objects.select_for_update()
        .filter(pk__in=[rights_request.pk, into.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rights_request = _lock(rights_request, Action.MERGE, actor)
    target = RightsRequest.objects.select_for_update().get(pk=into.pk)
    if (
        target.pk == rights_request.pk
        or target.state not in OPEN_STATES
        or target.kind != rights_request.kind
        or target.subject_id is None
        or target.subject_id != rights_request.subject_id
    ):
        raise RightsRequestError(
            _("Only an open request of the same kind for the same person can take it."),
            code="merge_target_invalid",
        )
    if not roles.may_work(actor, target):
        raise NotAllowed()
    _pause_close_silently(rights_request, now)
    rights_request.duplicate_of = target
    _transition(
        rights_request,
        State.MERGED,
        AuditAction.MERGED,
        actor,
        now,
        details={"into": target.pk, "into_reference": target.reference},
    )
    rights_request.save()
    if rights_request.details:
        note = RequestMessage.objects.create(
            rights_request=target,
            kind=RequestMessage.Kind.NOTE,
            author=actor,
            created_at=now,
            body=f"{rights_request.reference}:\n{rights_request.details}",
        )
        _audit(
            target,
            AuditAction.NOTE_ADDED,
            actor,
            target.state,
            now=now,
            details={"message": note.pk, "merged": rights_request.pk},
        )
    _notify(rights_request, NotificationSend.Kind.MERGE)
    return rights_request


@transaction.atomic
def notification_resend(
    *, notification: NotificationSend, actor: User, now: datetime | None = None
) -> NotificationSend:
    """Send again an e-mail that failed (after its automatic retries)."""
    now = now or timezone.now()
    _lock(notification.rights_request, Action.RESEND, actor)
    claimed = NotificationSend.objects.filter(
        pk=notification.pk, status=NotificationSend.Status.FAILED
    ).update(status=NotificationSend.Status.PENDING)
    if not claimed:
        raise RightsRequestError(
            _("Only an e-mail that failed can be sent again."), code="not_failed"
        )
    rights_request = notification.rights_request
    _audit(
        rights_request,
        AuditAction.EMAIL_RESENT,
        actor,
        rights_request.state,
        now=now,
        details={"notification": notification.pk, "kind": notification.kind},
    )
    _task().delay_on_commit(notification.pk)
    notification.refresh_from_db()
    return notification


# Execution steps (dsr_requests.execution)


@transaction.atomic
def execution_step_failed(
    *, rights_request_id: int, name: str, error: str, now: datetime | None = None
) -> ExecutionStep:
    """Record that a step of the execution failed (execution.step_run): the queue and the
    request page show it with a retry button; the audit trail keeps the failure."""
    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_for_update().get(pk=rights_request_id)
    step, _created = ExecutionStep.objects.get_or_create(rights_request=rights_request, name=name)
    step.status = ExecutionStep.Status.FAILED
    step.attempts += 1
    step.error = error
    step.finished_at = now
    step.save()
    _audit(
        rights_request,
        AuditAction.STEP_FAILED,
        None,
        rights_request.state,
        now=now,
        details={"step": name, "error": error},
    )
    return step


@transaction.atomic
def execution_retry(
    *, rights_request: RightsRequest, actor: User, now: datetime | None = None
) -> RightsRequest:
    """Staff "Retry" on a request whose execution failed: the failed steps go back to do and
    the executor of the request's kind starts again after commit; the steps already done are
    skipped (execution.step_run)."""
    now = now or timezone.now()
    rights_request = _lock(rights_request, None, actor)
    if rights_request.state != State.IN_PROGRESS:
        raise TransitionRefused()
    failed = rights_request.steps.filter(status=ExecutionStep.Status.FAILED)
    names = sorted(failed.values_list("name", flat=True))
    if not names:
        raise RightsRequestError(
            _("No step of this request failed: there is nothing to retry."),
            code="nothing_to_retry",
        )
    failed.update(status=ExecutionStep.Status.PENDING)
    _audit(
        rights_request,
        AuditAction.EXECUTION_RETRIED,
        actor,
        rights_request.state,
        now=now,
        details={"steps": names},
    )
    pk, kind = rights_request.pk, rights_request.kind
    transaction.on_commit(lambda: execution.execution_start(rights_request_id=pk, kind=kind))
    return rights_request


# E-mails


class SendOutcome:
    SENT = "sent"
    FAILED = "failed"
    NOTHING_TO_DO = "nothing_to_do"


def notification_send(*, notification_id: int, now: datetime | None = None) -> str:
    """Send one e-mail to the person (the Celery task's work). Claims the send by a
    conditional update, so a rerun or a second worker finds nothing to do; records each
    attempt, and a transient failure (mail server, network) as FAILED for the task to retry
    and the queue to show. Returns a SendOutcome."""
    now = now or timezone.now()
    claimable = Q(status__in=[NotificationSend.Status.PENDING, NotificationSend.Status.FAILED]) | Q(
        status=NotificationSend.Status.SENDING, last_attempt_at__lt=now - SENDING_STALE_AFTER
    )
    claimed = (
        NotificationSend.objects.filter(claimable, pk=notification_id)
        .exclude(rights_request__anonymised_at__isnull=False)
        .update(
            status=NotificationSend.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    )
    if not claimed:
        return SendOutcome.NOTHING_TO_DO
    notification = NotificationSend.objects.select_related("rights_request", "message").get(
        pk=notification_id
    )
    # Every failure is recorded, for the queue to show and staff to send again: the mail
    # server's or the network's (TRANSIENT_SEND_ERRORS, worth the retries) and any other (a
    # bad header), which would otherwise leave the e-mail "sending" for ever and its
    # message, which may quote the address, in the worker's log.
    try:
        notification_email_build(notification=notification).send()
    except Exception as error:
        NotificationSend.objects.filter(pk=notification_id).update(
            status=NotificationSend.Status.FAILED, last_error=type(error).__name__[:100]
        )
        logger.warning(
            "e-mail %s about request %s failed: %s",
            notification_id,
            notification.rights_request_id,
            type(error).__name__,
        )
        return SendOutcome.FAILED
    NotificationSend.objects.filter(pk=notification_id).update(
        status=NotificationSend.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    if notification.kind == NotificationSend.Kind.LIMIT_LIFT:
        # GDPR Art. 18(3): the restriction ends only once the person has been told.
        from dsr_requests.limits import limit_lift_apply

        limit_lift_apply(notification=notification)
    return SendOutcome.SENT


def notification_email_build(
    *, notification: NotificationSend, preview: dict[str, Any] | None = None
) -> EmailMultiAlternatives:
    """The e-mail of `notification`, in the request's language, to the person (or their
    representative). `preview` overrides fields of the request for a message not yet sent
    (the rejection staff see before they send it)."""
    rights_request = notification.rights_request
    context = _email_context(rights_request, notification, preview or {})
    return email_build(
        template=f"dsr_requests/email/{notification.kind}",
        context=context,
        language=rights_request.language,
        to=[rights_request.contact_email],
        headers={"X-VELUX-Reference": rights_request.reference},
    )


def rejection_preview(
    *, rights_request: RightsRequest, ground: str, reason: str
) -> EmailMultiAlternatives:
    """The rejection e-mail as the person would get it, for staff to read before sending."""
    notification = NotificationSend(
        rights_request=rights_request, kind=NotificationSend.Kind.REJECTION
    )
    return notification_email_build(
        notification=notification,
        preview={"rejection_ground": ground, "rejection_reason": reason.strip()},
    )


def _email_context(
    rights_request: RightsRequest, notification: NotificationSend, preview: dict[str, Any]
) -> dict[str, Any]:
    ground = preview.get("rejection_ground", rights_request.rejection_ground)
    with translation.override(rights_request.language):
        context = {
            "rights_request": rights_request,
            "reference": rights_request.reference,
            "kind": KIND_IN_WORDS[rights_request.kind],
            "is_complaint": rights_request.kind == Kind.COMPLAINT,
            "name": rights_request.representative_name or rights_request.name,
            "received_on": rights_request.received_on,
            "channel": rights_request.get_channel_display(),
            "due_on": rights_request.due_on,
            "extension_months": rights_request.extension_months,
            "extension_reason": rights_request.extension_reason,
            "outcome": rights_request.outcome,
            # A reason written out stands on its own: no "another reason" before it.
            "rejection_ground": Ground(ground).label if ground and ground != Ground.OTHER else "",
            "rejection_reason": preview.get("rejection_reason", rights_request.rejection_reason),
            "message": notification.message.body if notification.message_id else "",
            "merged_into": rights_request.duplicate_of.reference
            if rights_request.duplicate_of_id
            else "",
            "merged_due_on": rights_request.duplicate_of.due_on
            if rights_request.duplicate_of_id
            else None,
            "lift_ends_on": _lift_ends_on(notification)
            if notification.kind == NotificationSend.Kind.LIMIT_LIFT
            else None,
            "confirm_url": _confirm_url(rights_request),
            "follow_url": _follow_url(rights_request),
            "confirm_days": settings.RIGHTS_REQUEST_CONFIRMATION_DAYS,
        }
        if notification.kind == NotificationSend.Kind.COMPLETION:
            from dsr_requests.exports import export_email_context

            context.update(export_email_context(rights_request=rights_request))
    return context


def _lift_ends_on(notification: NotificationSend):
    from dsr_requests.limits import limit_lift_ends_on

    return limit_lift_ends_on(notification=notification)


def _confirm_url(rights_request: RightsRequest) -> str:
    if not rights_request.confirmation_nonce:
        return ""
    with translation.override(rights_request.language):
        path = reverse(
            "dsr_requests:confirm",
            kwargs={"token": confirmation_token_make(rights_request)},
        )
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _follow_url(rights_request: RightsRequest) -> str:
    """The signed link that opens the request's page in the privacy centre without an
    account (a request still unconfirmed has none)."""
    if rights_request.state == State.UNCONFIRMED or not rights_request.pk:
        return ""
    with translation.override(rights_request.language):
        path = reverse("dsr_requests:follow", kwargs={"token": follow_token_make(rights_request)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


# Helpers: each runs inside the caller's transaction.


def _task():
    from dsr_requests.tasks import notification_send_task

    return notification_send_task


def _notify(
    rights_request: RightsRequest, kind: str, *, message: RequestMessage | None = None
) -> NotificationSend:
    notification = NotificationSend.objects.create(
        rights_request=rights_request, kind=kind, message=message
    )
    _task().delay_on_commit(notification.pk)
    return notification


def _lock(
    rights_request: RightsRequest,
    action: Action | None,
    actor: User | None,
    *,
    check_role: bool = True,
    person_may_act: bool = False,
    system_may_act: bool = False,
    by_link: bool = False,
) -> RightsRequest:
    """The request, locked for this transaction, after checking who may act and (for
    `action`) that its state allows the step. `by_link`: no login acts, the person does,
    through the privacy centre's signed follow link of this request (the view checked it)."""
    locked = RightsRequest.objects.select_for_update().get(pk=rights_request.pk)
    if check_role and not (by_link and person_may_act and actor is None):
        _actor_check(locked, actor, person_may_act=person_may_act, system_may_act=system_may_act)
    if action is not None and not request_allows(locked, action):
        raise TransitionRefused()
    return locked


def _actor_check(
    rights_request: RightsRequest,
    actor: User | None,
    *,
    person_may_act: bool,
    system_may_act: bool,
) -> None:
    if actor is None:
        if system_may_act:
            return
        raise NotAllowed()
    if roles.is_staff_login(actor):
        if not roles.may_work(actor, rights_request):
            raise NotAllowed(code="not_assigned" if actor.has_perm(roles.WORK) else "not_allowed")
        return
    if person_may_act and _is_the_person(actor, rights_request):
        return
    raise NotAllowed()


def _is_the_person(actor: User, rights_request: RightsRequest) -> bool:
    return (
        actor.is_authenticated
        and rights_request.subject_id is not None
        and rights_request.subject.user_id == actor.pk
    )


def _actor_kind(actor: User | None) -> str:
    if actor is None:
        return AuditEvent.ActorKind.SYSTEM
    return (
        AuditEvent.ActorKind.STAFF if roles.is_staff_login(actor) else AuditEvent.ActorKind.PERSON
    )


def _audit(
    rights_request: RightsRequest,
    action: str,
    actor: User | None,
    from_state: str,
    *,
    now: datetime,
    details: dict[str, Any] | None = None,
    actor_kind: str | None = None,
) -> AuditEvent:
    staff = roles.is_staff_login(actor)
    return AuditEvent.objects.create(
        rights_request=rights_request,
        reference=rights_request.reference,
        action=action,
        actor=actor if staff else None,
        actor_kind=actor_kind or _actor_kind(actor),
        at=now,
        from_state=from_state,
        to_state=rights_request.state,
        details=details or {},
    )


def _transition(
    rights_request: RightsRequest,
    to_state: str,
    audit_action: str,
    actor: User | None,
    now: datetime,
    *,
    details: dict[str, Any] | None = None,
    from_state: str | None = None,
    actor_kind: str | None = None,
) -> None:
    """Move the request to `to_state` and record it (the caller saves the request)."""
    from_state = from_state or rights_request.state
    rights_request.state = to_state
    rights_request.state_changed_at = now
    if to_state in CLOSED_STATES:
        rights_request.closed_at = now
        rights_request.closed_on = local_date(now)
    _audit(
        rights_request,
        audit_action,
        actor,
        from_state,
        now=now,
        details=details,
        actor_kind=actor_kind,
    )


def _identity_verify(
    rights_request: RightsRequest,
    *,
    method: str,
    actor: User | None,
    now: datetime,
    mandate_checked: bool = False,
    actor_kind: str | None = None,
) -> None:
    if rights_request.representative_email or rights_request.representative_name:
        if not mandate_checked:
            raise RightsRequestError(
                _("Check the proof of mandate of the representative first."),
                code="mandate_not_checked",
                fields={
                    "mandate_checked": [
                        _("Check the proof of mandate of the representative first.")
                    ]
                },
            )
        if not rights_request.attachments.filter(kind=RequestAttachment.Kind.MANDATE).exists():
            raise RightsRequestError(
                _("Add the proof of mandate to the request first."), code="mandate_missing"
            )
    from_state = rights_request.state
    if rights_request.state == State.AWAITING_SUBJECT:
        _pause_end(rights_request, None, actor, now)
    rights_request.subject = subject_get_or_create_for_email(
        email=rights_request.email, language=rights_request.language
    )
    rights_request.identity_method = method
    rights_request.identity_verified_at = now
    details: dict[str, Any] = {"method": method}
    if mandate_checked:
        details["mandate_checked"] = True
    _transition(
        rights_request,
        State.VERIFIED,
        AuditAction.IDENTITY_VERIFIED,
        actor,
        now,
        details=details,
        from_state=from_state,
        actor_kind=actor_kind,
    )
    _duplicate_link(rights_request, now)


def _duplicate_link(rights_request: RightsRequest, now: datetime) -> None:
    """Link a second open request of the same kind for the same person to the first, for
    staff to see (and merge): never refused, never dropped (a duplicate that blocked
    verification would let a stranger lock the person out)."""
    same = RightsRequest.objects.filter(
        subject=rights_request.subject, kind=rights_request.kind, state__in=OPEN_STATES
    ).exclude(pk=rights_request.pk)
    earlier = Q(received_at__lt=rights_request.received_at) | Q(
        received_at=rights_request.received_at, pk__lt=rights_request.pk
    )
    first = same.filter(earlier).order_by("received_at", "pk").first()
    if first is None:
        # Received first but verified after them (a letter entered late, a confirmation
        # link followed late): the open requests received since repeat this one.
        later = same.exclude(earlier).filter(duplicate_of__isnull=True)
        for repeat in later.select_for_update().order_by("received_at", "pk"):
            repeat.duplicate_of = rights_request
            repeat.save(update_fields=["duplicate_of"])
            _audit(
                repeat,
                AuditAction.DUPLICATE_LINKED,
                None,
                repeat.state,
                now=now,
                details={
                    "duplicate_of": rights_request.pk,
                    "duplicate_of_reference": rights_request.reference,
                },
                actor_kind=AuditEvent.ActorKind.SYSTEM,
            )
        return
    if rights_request.duplicate_of_id == first.pk:
        return
    rights_request.duplicate_of = first
    _audit(
        rights_request,
        AuditAction.DUPLICATE_LINKED,
        None,
        rights_request.state,
        now=now,
        details={"duplicate_of": first.pk, "duplicate_of_reference": first.reference},
        actor_kind=AuditEvent.ActorKind.SYSTEM,
    )


def _pause_start(
    rights_request: RightsRequest,
    reason: str,
    actor: User | None,
    now: datetime,
    *,
    message: RequestMessage | None,
) -> RequestPause:
    pause = RequestPause.objects.create(
        rights_request=rights_request,
        reason=reason,
        started_at=now,
        resume_state=rights_request.state,
    )
    details: dict[str, Any] = {"reason": reason, "pause": pause.pk}
    if message is not None:
        details["message"] = message.pk
    _transition(
        rights_request,
        State.AWAITING_SUBJECT,
        AuditAction.INFORMATION_REQUESTED,
        actor,
        now,
        details=details,
    )
    return pause


def _pause_end(
    rights_request: RightsRequest,
    audit_action: str | None,
    actor: User | None,
    now: datetime,
    *,
    actor_kind: str | None = None,
) -> None:
    pause = rights_request.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return
    pause.ended_at = now
    pause.save(update_fields=["ended_at"])
    rights_request.state = pause.resume_state
    if audit_action is not None:
        _audit(
            rights_request,
            audit_action,
            actor,
            State.AWAITING_SUBJECT,
            now=now,
            details={"pause": pause.pk, "paused_days": pause.days},
            actor_kind=actor_kind,
        )


def _pause_close_silently(rights_request: RightsRequest, now: datetime) -> None:
    """A request closed while waiting for the person: its pause ends with it, and the due
    date counts it (the closed request is the proof it was answered on time)."""
    if rights_request.pauses.filter(ended_at__isnull=True).update(ended_at=now):
        _due_on_refresh(rights_request, now)


def _due_on_refresh(rights_request: RightsRequest, now: datetime) -> None:
    rights_request.due_on = rights_request.due_on_derive(now=now)


def _complete(
    rights_request: RightsRequest, *, actor: User | None, outcome: str, now: datetime
) -> RightsRequest:
    if not outcome.strip():
        raise RightsRequestError(
            _("Write the answer the person gets."),
            code="outcome_required",
            fields={"outcome": [_("Write the answer the person gets.")]},
        )
    rights_request.outcome = outcome.strip()
    _transition(
        rights_request,
        State.COMPLETED,
        AuditAction.COMPLETED,
        actor,
        now,
        details={"on_time": local_date(now) <= rights_request.due_on},
    )
    rights_request.save()
    _notify(rights_request, NotificationSend.Kind.COMPLETION)
    return rights_request


def _attachment_add(
    rights_request: RightsRequest,
    *,
    kind: str,
    upload: UploadedFile,
    actor: User | None,
    now: datetime,
    actor_kind: str | None = None,
) -> RequestAttachment:
    if kind not in RequestAttachment.Kind.values:
        raise AttachmentRefused(_("Choose what the document is."), code="attachment_kind")
    if upload.size is None or upload.size > max_bytes():
        raise AttachmentRefused(
            _("The file is larger than %(size)s MB.")
            % {"size": settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB},
            code="attachment_too_large",
        )
    if upload.size == 0:
        raise AttachmentRefused(_("The file is empty."), code="attachment_empty")
    file_type = file_type_detect(upload)
    if file_type is None:
        raise AttachmentRefused(
            _("Add a PDF, JPEG, PNG or TIFF scan, or an e-mail saved as .eml."),
            code="attachment_type",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = RequestAttachment(
        rights_request=rights_request,
        kind=kind,
        original_name=(upload.name or "")[-200:],
        content_type=file_type.content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor if roles.is_staff_login(actor) else None,
        uploaded_at=now,
    )
    attachment.file.save(upload.name or "document", upload, save=False)
    try:
        attachment.save()
    except IntegrityError:
        attachment.file.delete(save=False)
        raise
    _audit(
        rights_request,
        AuditAction.ATTACHMENT_ADDED,
        actor,
        rights_request.state,
        now=now,
        details={"attachment": attachment.pk, "kind": kind},
        actor_kind=actor_kind,
    )
    return attachment


def _signed_in_with(user: User | None, email: str) -> bool:
    """A customer's login that has `email` as a verified address (allauth)."""
    from allauth.account.models import EmailAddress

    if user is None or not user.is_authenticated or roles.is_staff_login(user):
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _rights_request_create(
    fields: dict[str, Any], *, received_at: datetime, state: str, **extra
) -> RightsRequest:
    received_on = local_date(received_at)
    for _attempt in range(5):
        rights_request = RightsRequest(
            **fields,
            **extra,
            reference=reference_generate(received_on.year),
            state=state,
            received_at=received_at,
            received_on=received_on,
            state_changed_at=extra.get("recorded_at") or timezone.now(),
        )
        try:
            with transaction.atomic():
                rights_request.save()
        except IntegrityError:
            if RightsRequest.objects.filter(reference=rights_request.reference).exists():
                continue  # the random reference was taken: draw another
            raise
        return rights_request
    raise RightsRequestError(code="reference_exhausted")


def _intake_clean(**raw: str) -> dict[str, Any]:
    """Shape and rules of what was submitted: a dict of model fields, or IntakeInvalid."""
    errors: dict[str, list] = {}
    cleaned = {key: (value or "").strip() for key, value in raw.items()}
    cleaned["email"] = normalise_email(cleaned["email"])
    cleaned["representative_email"] = normalise_email(cleaned["representative_email"])
    if cleaned["kind"] not in Kind.values:
        errors["kind"] = [_("Choose what you ask for.")]
    if cleaned["language"] not in Language.values:
        errors["language"] = [_("Choose a language.")]
    if cleaned["channel"] not in Channel.values:
        errors["channel"] = [_("Choose how the request reached VELUX.")]
    if cleaned["purpose"] and cleaned["purpose"] not in PurposeCode.values:
        errors["purpose"] = [_("Choose a purpose from the list.")]
    if not _is_email(cleaned["email"]):
        errors["email"] = [_("Enter the e-mail address the request concerns.")]
    if cleaned["representative_email"] and not _is_email(cleaned["representative_email"]):
        errors["representative_email"] = [_("Enter the representative's e-mail address.")]
    if cleaned["kind"] == Kind.COMPLAINT and not cleaned["name"]:
        errors["name"] = [_("A complaint needs the complainant's name.")]
    if cleaned["representative_name"] and not cleaned["representative_email"]:
        errors["representative_email"] = [_("Enter the representative's e-mail address.")]
    if cleaned["representative_email"] and not cleaned["representative_name"]:
        errors["representative_name"] = [_("Enter the representative's name.")]
    if (
        cleaned["representation"]
        and cleaned["representation"] not in RightsRequest.Representation.values
    ):
        errors["representation"] = [_("Choose how the representative acts.")]
    if errors:
        raise IntakeInvalid(fields=errors, code="intake_invalid")
    return cleaned


def _is_email(value: str) -> bool:
    """An address the e-mails can go to: one address, no line breaks (a header injection
    would otherwise reach the mail server and its error the logs)."""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
