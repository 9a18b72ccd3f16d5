"""Housekeeping jobs of the project itself (Celery beat, CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task
from django.utils import timezone

from velux_privacy.models import LoginSession

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def sessions_clear_expired_task() -> int:
    """Delete expired sessions: they still hold who was signed in (and allauth's state), and
    Django never deletes them by itself. One set-based DELETE; a rerun finds nothing."""
    expired = LoginSession.objects.filter(expire_date__lt=timezone.now())
    deleted = expired._raw_delete(expired.db)  # nothing points at a session: no cascade
    logger.info("deleted %s expired sessions", deleted)
    return deleted
