"""Phone numbers for the Do Not Call Me list: E.164 normalisation (libphonenumber's data, via
`phonenumbers`) and the keyed hash the list is stored as."""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from django.conf import settings

# Numbers without a country code are Belgian: the list is Belgium's.
DEFAULT_REGION = "BE"


def phone_normalise(raw: str) -> str | None:
    """`raw` as an E.164 number (+32470123456), or None when it is no valid phone number.

    Understands national forms (0470 12 34 56, 02/123.45.67), international ones (+32…,
    0032…) and the bare country code some exports use (32470123456)."""
    text = raw.strip()
    if not text:
        return None
    candidates = [text]
    digits = "".join(c for c in text if c.isdigit())
    if digits.startswith("32") and not text.startswith(("+", "0")):
        candidates.insert(0, f"+{digits}")
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def do_not_call_hash(e164: str) -> str:
    """HMAC-SHA256 of an E.164 number under DO_NOT_CALL_HASH_KEY: how the list is stored."""
    key = settings.DO_NOT_CALL_HASH_KEY.encode()
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()
