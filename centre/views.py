"""The pages of the privacy centre. Thin: parse the request, read through a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from centre import selectors
from centre.policy import policy_version_current
from centre.rights import RIGHTS, RIGHTS_BY_KEY
from subjects.models import Purpose, Recipient


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What VELUX does with personal data, the purposes and their legal basis, and the way to
    each right (policy §1, §2, §5)."""
    purposes = Purpose.objects.order_by("section")
    return render(request, "centre/home.html", {"purposes": purposes, "rights": RIGHTS})


@require_safe
def privacy_policy(request: HttpRequest) -> HttpResponse:
    """The privacy policy: its fixed text, with the purposes and recipients rendered from the
    registers, so what the page says is what the system does."""
    return render(
        request,
        "centre/privacy_policy.html",
        {
            "purposes": selectors.purpose_list_with_recipients(),
            "outside_eea": selectors.recipient_list_outside_eea(),
            "policy_version": policy_version_current(),
            "rights": RIGHTS,
            "safeguards": Recipient.TransferSafeguard,
        },
    )


@require_safe
def right(request: HttpRequest, key: str) -> HttpResponse:
    """What a right is and how to use it. The request forms of issues 8 and 10 take over the
    "how" part of these pages."""
    try:
        chosen = RIGHTS_BY_KEY[key]
    except KeyError as missing:
        raise Http404 from missing
    return render(request, chosen.template_name, {"right": chosen, "rights": RIGHTS})


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@never_cache
@login_required
@require_safe
def my_data(request: HttpRequest) -> HttpResponse:
    """GDPR Art. 15, live: everything VELUX holds on the signed-in person, by purpose."""
    subject = selectors.subject_for_login(viewer=request.user)
    data = None
    if subject is not None:
        data = selectors.my_data_collect(
            viewer=request.user,
            subject=subject,
            category=request.GET.get("category"),
            page=_page_number(request.GET.get("page")),
        )
    return render(request, "centre/my_data.html", {"data": data, "rights": RIGHTS_BY_KEY})


@never_cache
@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    """The person's account: sign-in address, password, and the way to their data."""
    return render(
        request,
        "centre/account.html",
        {"subject": selectors.subject_for_login(viewer=request.user)},
    )
