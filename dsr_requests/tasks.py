"""Celery tasks of rights requests: thin callers of the services, taking ids only."""

from __future__ import annotations

import logging
import random
import smtplib

from celery import shared_task
from django.core.files.storage import default_storage

from dsr_requests.exports import exports_expire, rights_request_export_execute
from dsr_requests.models import RecipientNotice, RequestAttachment
from dsr_requests.services import SendOutcome, notification_send, rights_request_intake_expire

logger = logging.getLogger(__name__)

NOTIFICATION_MAX_RETRIES = 6


@shared_task(bind=True, acks_late=True, max_retries=NOTIFICATION_MAX_RETRIES)
def notification_send_task(self, notification_id: int) -> str:
    """Send one e-mail about a request (services.notification_send). A mail server or
    network failure is recorded (the queue shows it) and retried with exponential backoff
    and jitter, 30 s doubling to at most an hour; after the last retry it stays failed for
    staff to send again. A rerun after success finds nothing to do."""
    outcome = notification_send(notification_id=notification_id)
    if outcome != SendOutcome.FAILED:
        return outcome
    if self.request.is_eager:
        # No broker (development, tests): the retries run at once, and a last failure stays
        # recorded instead of breaking the request that sent the e-mail.
        for _retry in range(self.max_retries):
            outcome = notification_send(notification_id=notification_id)
            if outcome != SendOutcome.FAILED:
                break
        return outcome
    if self.request.retries < self.max_retries:
        countdown = min(3600, 30 * 2**self.request.retries) + random.randint(0, 30)  # noqa: S311
        raise self.retry(countdown=countdown)
    return outcome


@shared_task(acks_late=True)
def rights_request_intake_expire_task() -> int:
    """Beat: delete web requests nobody confirmed before their link expired."""
    return rights_request_intake_expire()


@shared_task(acks_late=True)
def attachment_files_sweep_task() -> int:
    """Beat: delete the files of documents whose row is gone (an erasure deletes rows by set
    in SQL, a failed upload may leave a file). Only files older than a day: an upload being
    saved right now has its file before its row."""
    import datetime as dt

    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(days=1)
    kept = set(RequestAttachment.objects.values_list("file", flat=True))
    removed = 0
    for path in _stored_files("dsr_requests"):
        if path in kept:
            continue
        if default_storage.get_modified_time(path) > cutoff:
            continue
        default_storage.delete(path)
        removed += 1
    logger.info("deleted %s document files no request holds any more", removed)
    return removed


@shared_task(acks_late=True)
def erasure_execute_task(rights_request_id: int) -> None:
    """The executor of erasure requests (dsr_requests.erasure): its steps, then settle."""
    from dsr_requests.erasure import erasure_execute

    erasure_execute(rights_request_id=rights_request_id)


@shared_task(acks_late=True)
def rectification_execute_task(rights_request_id: int) -> None:
    """The executor of rectification requests (dsr_requests.rectification)."""
    from dsr_requests.rectification import rectification_execute

    rectification_execute(rights_request_id=rights_request_id)


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
)
def recipient_notice_send_task(notice_id: int) -> bool:
    """E-mail one Art. 19 notice (or its reminder) to the recipient's privacy contact."""
    from dsr_requests.recipient_notices import recipient_notice_send

    return recipient_notice_send(notice_id=notice_id)


@shared_task(acks_late=True)
def recipient_notices_follow_up_task() -> dict:
    """Beat: remind recipients every 5 days, escalate to the DPO at 14; delete the files of
    answers whose notice is gone (erased with its request)."""
    from dsr_requests.recipient_notices import recipient_notices_follow_up

    done = recipient_notices_follow_up()
    swept = _orphans_sweep(
        "recipient_notices", set(RecipientNotice.objects.values_list("file", flat=True))
    )
    return {"reminded": done.reminded, "escalated": done.escalated, "files_deleted": swept}


def _orphans_sweep(folder: str, kept: set[str]) -> int:
    import datetime as dt

    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(days=1)
    removed = 0
    for path in _stored_files(folder):
        if path in kept or default_storage.get_modified_time(path) > cutoff:
            continue
        default_storage.delete(path)
        removed += 1
    return removed


def _stored_files(folder: str):
    if not default_storage.exists(folder):
        return
    directories, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_files(f"{folder}/{directory}")


@shared_task(bind=True, acks_late=True)
def export_execute_task(self, rights_request_id: int) -> None:
    """The executor of access and portability requests (registered in apps.py): builds the
    export, and finishes its release once staff released it (dsr_requests.exports). Its
    steps run at most once to success; a failed one is recorded (the queue shows it) and
    waits for staff's Retry. Run eagerly (no broker), a failure stays recorded instead of
    breaking the staff's page that started it."""
    try:
        rights_request_export_execute(rights_request_id=rights_request_id)
    except Exception:
        if not self.request.is_eager:
            raise
        logger.warning("rights request %s: export step failed", rights_request_id)


@shared_task(acks_late=True)
def exports_expire_task() -> int:
    """Beat: delete the export files whose download link expired (EXPORT_LINK_DAYS)."""
    return exports_expire()
