"""Reads on rights requests: the confirmation link, the staff queue, the request page's
timeline, the dashboard's figures and the record of processing activities."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from dsr_requests.models import RightsRequest
from dsr_requests.workflow import Action, action_allowed

CONFIRMATION_SALT = "dsr_requests.confirmation"


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
        and action_allowed(Action.CONFIRM, rights_request.state, rights_request.kind)
    )


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
