"""Celery tasks of rights requests: thin callers of the services, taking ids only."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.core.files.storage import default_storage

from dsr_requests.models import RequestAttachment
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


def _stored_files(folder: str):
    if not default_storage.exists(folder):
        return
    directories, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_files(f"{folder}/{directory}")


@shared_task(acks_late=True)
def limit_execute_task(rights_request_id: int) -> None:
    """Carry out a restriction or objection request (dsr_requests.limits.limit_execute): its
    steps are done at most once, a failure shows on the request page with a retry button."""
    from dsr_requests.limits import limit_execute

    limit_execute(rights_request_id=rights_request_id)
