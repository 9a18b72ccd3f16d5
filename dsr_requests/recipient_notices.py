"""GDPR Art. 19: telling the recipients of the erased or rectified data, and their answers.

A notice is made per recipient of the register (subjects.Recipient) that serves a purpose of
the categories the erasure or rectification touched (the data map says which purposes each
category serves); a recipient that takes data only with consent (§2.5) only when the person
ever gave such a consent (the consent ledger's keyed hash of the address outlives an erasure).

A recipient with a privacy contact is e-mailed (in English: a business contact) a signed,
expiring link (`django.core.signing`, salt RECIPIENT_NOTICE_SALT, RECIPIENT_NOTICE_LINK_DAYS)
to a small public form where it answers erased, none held or could not, with a note and an
optional file. Others are ticked off by staff in the admin. Unanswered notices are reminded
every RECIPIENT_NOTICE_REMINDER_DAYS and escalated to the DPO at
RECIPIENT_NOTICE_ESCALATION_DAYS (`recipient_notices_follow_up`, a beat task). Every answer is
an audit event of the request; an answer is final, a second one is refused. After each answer
the request's kind settles it (`settler_register`): it completes when all notices are done.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from dsr_requests import roles
from dsr_requests.exceptions import RightsRequestError
from dsr_requests.files import file_type_detect
from dsr_requests.models import AuditAction, AuditEvent, RecipientNotice, RightsRequest
from dsr_requests.workflow import OPEN_STATES
from subjects.datamap import datamap
from subjects.models import Recipient
from subjects.services import subject_hash
from velux_privacy.calendar import local_date, start_of_day
from velux_privacy.mail import email_build
from velux_privacy.models import User

logger = logging.getLogger(__name__)

RECIPIENT_NOTICE_SALT = "dsr_requests.recipient_notice"
NOTE_MAX_LENGTH = 2000
# Business e-mails to recipients and to the DPO are written in English.
BUSINESS_LANGUAGE = "en"

Answer = RecipientNotice.Answer


class NoticeError(RightsRequestError):
    code = "recipient_notice_error"
    default_message = _("This notice cannot be answered.")


class NoticeLinkInvalid(NoticeError):
    code = "notice_link_invalid"
    default_message = _("This link is not valid.")


class NoticeLinkExpired(NoticeError):
    code = "notice_link_expired"
    default_message = _(
        "This link has expired. Please write to the sender of the e-mail for a new one."
    )


class NoticeAnsweredAlready(NoticeError):
    code = "notice_answered"
    default_message = _(
        "This notice has been answered already. An answer cannot be changed; please write to "
        "the sender of the e-mail if something is wrong."
    )


class NoticeAnswerInvalid(NoticeError):
    code = "notice_answer_invalid"
    default_message = _("The answer is missing something it needs.")


# What a request's kind does once a notice is answered (the erasure and rectification
# executors register theirs at start-up): settle(rights_request_id=...).
Settler = Callable[..., object]
_settlers: dict[str, Settler] = {}


def settler_register(kind: str, settler: Settler) -> None:
    if kind in _settlers:
        raise ValueError(f"a settler for {kind!r} is registered already")
    _settlers[kind] = settler


# Which recipients


def recipients_for_categories(
    *, category_keys: Iterable[str], consented_purposes: Collection[str]
) -> dict[Recipient, list[str]]:
    """The active recipients that serve a purpose of any of `category_keys`, each with the
    categories it received; one taking data only with consent only when that consent's
    purpose is among `consented_purposes`."""
    by_purpose: dict[str, list[str]] = {}
    for key in category_keys:
        category = datamap.category(key)
        if category is None:
            continue
        for purpose in category.purposes:
            by_purpose.setdefault(purpose, []).append(key)
    found: dict[Recipient, list[str]] = {}
    recipients = Recipient.objects.filter(
        is_active=True, purposes__code__in=sorted(by_purpose)
    ).distinct()
    for recipient in recipients.prefetch_related("purposes").order_by("name", "pk"):
        codes = {p.code for p in recipient.purposes.all()}
        if recipient.requires_consent and not codes & set(consented_purposes):
            continue
        keys = [k for code in sorted(codes & set(by_purpose)) for k in by_purpose[code]]
        found[recipient] = list(dict.fromkeys(keys))
    return found


def consented_purposes_of(*, email: str) -> set[str]:
    """The policy purposes the person ever consented to (by the ledger's keyed hash of the
    address, which outlives an erasure)."""
    from consent.models import ConsentEvent

    if not email:
        return set()
    return set(
        ConsentEvent.objects.filter(
            subject_hash=subject_hash(email), action=ConsentEvent.Action.GIVEN
        ).values_list("purpose__policy_purpose", flat=True)
    )


def recipient_notices_ensure(
    *,
    rights_request: RightsRequest,
    reason: str,
    category_keys: Iterable[str],
    consented_purposes: Collection[str],
    now: datetime | None = None,
) -> list[RecipientNotice]:
    """Make the notices of `rights_request` for the recipients of `category_keys` (in the
    caller's transaction): one per recipient and reason, whatever the reruns. A notice for a
    recipient with a privacy contact is e-mailed after commit. Returns the notices made now."""
    now = now or timezone.now()
    made = []
    existing = set(
        rights_request.recipient_notices.filter(reason=reason).values_list(
            "recipient_id", flat=True
        )
    )
    wanted = recipients_for_categories(
        category_keys=category_keys, consented_purposes=consented_purposes
    )
    for recipient, keys in wanted.items():
        if recipient.pk in existing:
            continue
        notice = RecipientNotice(
            rights_request=rights_request,
            recipient=recipient,
            reason=reason,
            categories=keys,
            contact_email=recipient.privacy_contact_email,
            link_nonce=secrets.token_urlsafe(24) if recipient.privacy_contact_email else "",
            created_at=now,
        )
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:
            continue  # made by a concurrent run
        made.append(notice)
        _audit(
            rights_request,
            AuditAction.RECIPIENT_NOTIFIED,
            None,
            now=now,
            details={
                "notice": notice.pk,
                "recipient": recipient.pk,
                "reason": reason,
                "by_email": bool(notice.contact_email),
            },
        )
        if notice.contact_email:
            _send_on_commit(notice.pk)
    return made


def recipient_notices_open(*, rights_request: RightsRequest) -> bool:
    return rights_request.recipient_notices.filter(answered_at__isnull=True).exists()


# The link


def recipient_notice_token_make(notice: RecipientNotice) -> str:
    """The signed token of the link: the notice's id and nonce (no personal data)."""
    return signing.dumps([notice.pk, notice.link_nonce], salt=RECIPIENT_NOTICE_SALT)


def recipient_notice_url(notice: RecipientNotice) -> str:
    with translation.override(BUSINESS_LANGUAGE):
        path = reverse(
            "dsr_requests:recipient_notice", kwargs={"token": recipient_notice_token_make(notice)}
        )
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def recipient_notice_for_token(*, token: str) -> RecipientNotice:
    """The notice a link is for, while it may be answered. Raises NoticeLinkInvalid (tampered,
    unknown, or its request anonymised), NoticeLinkExpired, or NoticeAnsweredAlready."""
    max_age = timedelta(days=settings.RECIPIENT_NOTICE_LINK_DAYS)
    try:
        pk, nonce = signing.loads(token, salt=RECIPIENT_NOTICE_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise NoticeLinkExpired() from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise NoticeLinkInvalid() from error
    if not isinstance(pk, int) or not isinstance(nonce, str) or not nonce:
        raise NoticeLinkInvalid()
    notice = (
        RecipientNotice.objects.select_related("rights_request", "recipient")
        .filter(pk=pk, rights_request__anonymised_at__isnull=True)
        .first()
    )
    if notice is None:
        raise NoticeLinkInvalid()
    if notice.is_answered:
        raise NoticeAnsweredAlready()
    if not constant_time_compare(notice.link_nonce, nonce):
        raise NoticeLinkInvalid()
    return notice


# Answers


@dataclass(frozen=True)
class NoticeFile:
    """An accepted file of an answer: what it is, checked by name and first bytes."""

    upload: UploadedFile
    content_type: str


def notice_file_check(upload: UploadedFile | None) -> NoticeFile | None:
    if upload is None:
        return None
    limit = settings.RECIPIENT_NOTICE_FILE_MAX_MB
    if upload.size is None or upload.size > limit * 1024 * 1024:
        raise NoticeAnswerInvalid(
            code="file_too_large",
            fields={"file": [_("The file is larger than %(size)s MB.") % {"size": limit}]},
        )
    if upload.size == 0:
        raise NoticeAnswerInvalid(code="file_empty", fields={"file": [_("The file is empty.")]})
    file_type = file_type_detect(upload)
    if file_type is None:
        raise NoticeAnswerInvalid(
            code="file_type",
            fields={"file": [_("Add a PDF, JPEG, PNG or TIFF file, or an e-mail saved as .eml.")]},
        )
    return NoticeFile(upload=upload, content_type=file_type.content_type)


@transaction.atomic
def recipient_notice_answer(
    *,
    token: str,
    answer: str,
    note: str = "",
    upload: UploadedFile | None = None,
    now: datetime | None = None,
) -> RecipientNotice:
    """The recipient's answer on the form of the link: final. Raises the link's errors
    (nothing changes), NoticeAnswerInvalid for a bad answer or file, NoticeAnsweredAlready
    for a second answer (also one racing the first: the notice is locked)."""
    now = now or timezone.now()
    found = recipient_notice_for_token(token=token)
    notice = RecipientNotice.objects.select_for_update().get(pk=found.pk)
    if notice.is_answered:
        raise NoticeAnsweredAlready()
    checked = _answer_check(answer, note, upload)
    _answer_record(notice, answer, note, checked, via=RecipientNotice.AnsweredVia.FORM, now=now)
    return notice


@transaction.atomic
def recipient_notice_tick_off(
    *,
    notice: RecipientNotice,
    actor: User,
    answer: str,
    note: str = "",
    now: datetime | None = None,
) -> RecipientNotice:
    """Staff record the recipient's answer (told by phone, by their own e-mail…): final, like
    the form's. Only staff who may work the request."""
    now = now or timezone.now()
    notice = (
        RecipientNotice.objects.select_for_update()
        .select_related("rights_request")
        .get(pk=notice.pk)
    )
    if not roles.may_work(actor, notice.rights_request):
        from dsr_requests.exceptions import NotAllowed

        raise NotAllowed()
    if notice.is_answered:
        raise NoticeAnsweredAlready()
    if notice.rights_request.state not in OPEN_STATES:
        raise NoticeError(code="request_closed")
    checked = _answer_check(answer, note, None)
    _answer_record(
        notice, answer, note, checked, via=RecipientNotice.AnsweredVia.STAFF, now=now, actor=actor
    )
    return notice


def _answer_check(answer: str, note: str, upload: UploadedFile | None) -> NoticeFile | None:
    errors: dict[str, list] = {}
    if answer not in Answer.values:
        errors["answer"] = [_("Choose an answer.")]
    if len(note or "") > NOTE_MAX_LENGTH:
        errors["note"] = [_("Write at most %(count)s characters.") % {"count": NOTE_MAX_LENGTH}]
    if answer == Answer.COULD_NOT and not (note or "").strip():
        errors["note"] = [_("Say why it could not be done.")]
    if errors:
        raise NoticeAnswerInvalid(code="notice_answer_invalid", fields=errors)
    return notice_file_check(upload)


def _answer_record(
    notice: RecipientNotice,
    answer: str,
    note: str,
    checked: NoticeFile | None,
    *,
    via: str,
    now: datetime,
    actor: User | None = None,
) -> None:
    notice.answer = answer
    notice.note = (note or "").strip()
    notice.answered_via = via
    notice.answered_by = actor if roles.is_staff_login(actor) else None
    notice.answered_at = now
    notice.link_nonce = ""
    details = {
        "notice": notice.pk,
        "recipient": notice.recipient_id,
        "answer": answer,
        "via": via,
    }
    if checked is not None:
        digest = hashlib.sha256()
        for chunk in checked.upload.chunks():
            digest.update(chunk)
        checked.upload.seek(0)
        notice.file_name = (checked.upload.name or "")[-200:]
        notice.file_type = checked.content_type
        # Private storage; a file whose answer rolled back is removed by the daily sweep.
        notice.file.save(checked.upload.name or "answer", checked.upload, save=False)
        details["file_sha256"] = digest.hexdigest()
    notice.save()
    rights_request = RightsRequest.objects.get(pk=notice.rights_request_id)
    _audit(rights_request, AuditAction.RECIPIENT_ANSWERED, actor, now=now, details=details)
    settler = _settlers.get(rights_request.kind)
    if settler is not None:
        settler(rights_request_id=rights_request.pk, now=now)


# Sending, reminders and escalation


def _send_on_commit(notice_id: int) -> None:
    from dsr_requests.tasks import recipient_notice_send_task

    recipient_notice_send_task.delay_on_commit(notice_id)


def recipient_notice_send(*, notice_id: int, now: datetime | None = None) -> bool:
    """E-mail the notice (or its reminder) to the recipient's privacy contact, with a fresh
    link. Nothing for an answered notice or one of an anonymised request. Raises the mail
    server's errors for the task to retry."""
    now = now or timezone.now()
    notice = (
        RecipientNotice.objects.select_related("rights_request", "recipient")
        .filter(pk=notice_id, answered_at__isnull=True, rights_request__anonymised_at__isnull=True)
        .exclude(contact_email="")
        .first()
    )
    if notice is None:
        return False
    rights_request = notice.rights_request
    with translation.override(BUSINESS_LANGUAGE):
        categories = [
            str(datamap.category(key).label) for key in notice.categories if datamap.category(key)
        ]
    message = email_build(
        template="dsr_requests/email/recipient_notice",
        context={
            "notice": notice,
            "reference": rights_request.reference,
            "recipient": notice.recipient.name,
            "is_erasure": notice.reason == RecipientNotice.Reason.ERASURE,
            "is_reminder": notice.sent_at is not None,
            # The person, as the recipient knows them: by their e-mail address.
            "person_email": rights_request.email,
            "categories": categories,
            "answer_url": recipient_notice_url(notice),
            "link_days": settings.RECIPIENT_NOTICE_LINK_DAYS,
        },
        language=BUSINESS_LANGUAGE,
        to=[notice.contact_email],
        headers={"X-VELUX-Reference": rights_request.reference},
    )
    message.send()
    RecipientNotice.objects.filter(pk=notice.pk).update(sent_at=now)
    logger.info("recipient notice %s sent (request %s)", notice.pk, rights_request.pk)
    return True


@dataclass(frozen=True)
class FollowUp:
    reminded: int
    escalated: int


def recipient_notices_follow_up(*, now: datetime | None = None) -> FollowUp:
    """The daily follow-up of unanswered notices: an e-mailed one not answered within
    RECIPIENT_NOTICE_REMINDER_DAYS of its last e-mail is sent again (a reminder); one still
    unanswered RECIPIENT_NOTICE_ESCALATION_DAYS after it was made goes to the DPO (once).
    Each is claimed by a conditional update, so a rerun (or a second worker) does nothing
    twice, and audited on its request."""
    now = now or timezone.now()
    # Counted in Brussels days: an e-mail of 09:15 on day 0 is reminded at the run of day 5,
    # whatever the minutes.
    today = local_date(now)
    remind_before = start_of_day(
        today - timedelta(days=settings.RECIPIENT_NOTICE_REMINDER_DAYS - 1)
    )
    escalate_before = start_of_day(
        today - timedelta(days=settings.RECIPIENT_NOTICE_ESCALATION_DAYS - 1)
    )
    unanswered = RecipientNotice.objects.filter(
        answered_at__isnull=True,
        rights_request__state__in=sorted(OPEN_STATES),
        rights_request__anonymised_at__isnull=True,
    )
    reminded = escalated = 0
    for pk, sent_at in (
        unanswered.exclude(contact_email="")
        .filter(Q(sent_at__lt=remind_before))
        .values_list("pk", "sent_at")
    ):
        with transaction.atomic():
            claimed = RecipientNotice.objects.filter(pk=pk, sent_at=sent_at).update(
                reminders=F("reminders") + 1
            )
            if not claimed:
                continue
            notice = RecipientNotice.objects.select_related("rights_request").get(pk=pk)
            _audit(
                notice.rights_request,
                AuditAction.RECIPIENT_REMINDED,
                None,
                now=now,
                details={"notice": pk, "recipient": notice.recipient_id, "n": notice.reminders},
            )
            _send_on_commit(pk)
            reminded += 1
    for pk in unanswered.filter(
        escalated_at__isnull=True, created_at__lt=escalate_before
    ).values_list("pk", flat=True):
        with transaction.atomic():
            claimed = RecipientNotice.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            notice = RecipientNotice.objects.select_related("rights_request", "recipient").get(
                pk=pk
            )
            _audit(
                notice.rights_request,
                AuditAction.RECIPIENT_ESCALATED,
                None,
                now=now,
                details={"notice": pk, "recipient": notice.recipient_id},
            )
            transaction.on_commit(lambda pk=pk: _escalation_send(pk))
            escalated += 1
    logger.info("recipient notices: %s reminded, %s escalated", reminded, escalated)
    return FollowUp(reminded=reminded, escalated=escalated)


def dpo_emails() -> list[str]:
    group = Group.objects.filter(name=roles.DPO).first()
    if group is None:
        return []
    return sorted(
        group.user_set.filter(is_active=True, is_staff=True).values_list("email", flat=True)
    )


def _escalation_send(notice_id: int) -> None:
    notice = RecipientNotice.objects.select_related("rights_request", "recipient").get(pk=notice_id)
    to = dpo_emails()
    if not to:
        logger.warning("recipient notice %s escalated, but no DPO login exists", notice_id)
        return
    path = reverse("admin:dsr_requests_rightsrequest_change", args=[notice.rights_request_id])
    message = email_build(
        template="dsr_requests/email/recipient_escalation",
        context={
            "reference": notice.rights_request.reference,
            "recipient": notice.recipient.name,
            "created_at": notice.created_at,
            "days": settings.RECIPIENT_NOTICE_ESCALATION_DAYS,
            "by_email": bool(notice.contact_email),
            "request_url": f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}",
        },
        language=BUSINESS_LANGUAGE,
        to=to,
        headers={"X-VELUX-Reference": notice.rights_request.reference},
    )
    try:
        message.send()
    except Exception:
        logger.warning("escalation e-mail of recipient notice %s failed", notice_id)


def _audit(
    rights_request: RightsRequest,
    action: str,
    actor: User | None,
    *,
    now: datetime,
    details: dict,
) -> AuditEvent:
    from dsr_requests.services import _audit as audit_record

    return audit_record(
        rights_request,
        action,
        actor,
        rights_request.state,
        now=now,
        details=details,
        actor_kind=AuditEvent.ActorKind.STAFF if roles.is_staff_login(actor) else None,
    )
