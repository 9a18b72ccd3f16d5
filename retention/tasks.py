"""Celery beat jobs of retention (CELERY_BEAT_SCHEDULE in velux_privacy/settings.py)."""

from celery import shared_task

from retention.services import erasures_pending_finish


@shared_task(acks_late=True)
def erasures_pending_finish_task() -> int:
    """Daily: finish the erasures kept back by a reason that has ended (an order closed)."""
    return erasures_pending_finish()
