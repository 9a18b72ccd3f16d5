"""Celery tasks of the consent app: ids in, one service call, idempotent."""

from celery import shared_task

from consent.services import reconsent_emails_send


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def reconsent_email_batch_task(policy_version_id: int, first_id: int, last_id: int) -> int:
    """E-mail one batch of the persons a material policy change asks again (§9). A rerun sends
    nobody twice: each send is recorded on its re-consent request."""
    return reconsent_emails_send(
        policy_version_id=policy_version_id, first_id=first_id, last_id=last_id
    )
