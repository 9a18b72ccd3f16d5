"""The evidence a ledger entry keeps of a change made in the browser."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.http import HttpRequest
from django.utils import translation


def evidence_from_request(request: HttpRequest, *, form: str, **extra: Any) -> dict[str, Any]:
    """Form and page, the client's IP address (the service keeps only its keyed hash), the
    source system and the language shown. The client's address is read as allauth does, past
    the proxies of ours that ALLAUTH_TRUSTED_PROXY_COUNT names."""
    try:
        ip = get_adapter(request).get_client_ip(request)
    except Exception:  # a forged or inconsistent X-Forwarded-For: no address is evidence
        ip = None
    return {
        "form": form,
        "page": request.path,
        "source": "privacy-portal",
        "language": translation.get_language() or "",
        "ip": ip,
        **extra,
    }
