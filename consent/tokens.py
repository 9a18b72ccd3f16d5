"""Signed unsubscribe tokens (django.core.signing): ids only, no e-mail address, never
expiring (the consent can exist as long as the person does). A salt per use, so a newsletter
token cannot pass for a consent's, nor for any other signature of the portal."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALTS = {
    "newsletter": "consent.unsubscribe.newsletter",
    "purpose": "consent.unsubscribe.purpose",
}


@dataclass(frozen=True)
class TokenContent:
    kind: str  # "newsletter" or "purpose"
    subject_id: int
    target_id: int


def token_make(*, kind: str, subject_id: int, target_id: int) -> str:
    return signing.Signer(salt=SALTS[kind]).sign_object({"s": subject_id, "t": target_id})


def token_read(token: str) -> TokenContent | None:
    """What a token says, or None when it is not one of ours (tampered, truncated, another
    use's). Tried against each use's salt: a token names its use only through its signature."""
    for kind, salt in SALTS.items():
        try:
            content = signing.Signer(salt=salt).unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError):
            continue
        try:
            return TokenContent(kind, int(content["s"]), int(content["t"]))
        except (KeyError, TypeError, ValueError):
            return None
    return None
