"""Global Privacy Control (SPECS.md §4): `Sec-GPC: 1` is an opt-out of sale or sharing and of
personalised advertising, honoured on every page and API call."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)


def gpc_signal(request: HttpRequest) -> bool:
    """Whether the request carries the GPC signal: a `Sec-GPC` field whose value is exactly
    "1". WSGI joins repeated fields with commas, and one "1" among them wins; any other value
    ("0", "true", "yes", empty) is as if there were none."""
    value = request.META.get("HTTP_SEC_GPC")
    if value is None:
        return False
    return any(part.strip(" \t") == "1" for part in value.split(","))


class GlobalPrivacyControlMiddleware:
    """Sets `request.gpc`. For a signed-in person whose login is linked to a subject, records
    the opt-out in the ledger (channel GPC: the consents marked `gpc_opt_out` are withdrawn)
    whenever the signal comes while such a consent is given, however it was given since (on
    another device, through the API): one query when there is nothing to withdraw. The cookie
    banner and the consent page then show those consents off and locked, and refuse to give
    them while the signal is sent (the signal wins)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.gpc = gpc_signal(request)
        if request.gpc:
            self._record(request)
        return self.get_response(request)

    def _record(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff:
            return
        from consent.evidence import evidence_from_request
        from consent.models import ConsentState
        from consent.services import consent_gpc_apply
        from subjects.models import DataSubject

        opted_in = (
            ConsentState.objects.filter(
                subject__user=user, status=ConsentState.Status.GIVEN, purpose__gpc_opt_out=True
            )
            .values_list("subject", flat=True)
            .first()
        )
        if opted_in is None:
            return
        subject = DataSubject(pk=opted_in)
        recorded = consent_gpc_apply(
            subject=subject,
            evidence=evidence_from_request(request, form="gpc"),
            actor=user,
        )
        if recorded:
            logger.info("GPC signal recorded for subject %s", subject.pk)
