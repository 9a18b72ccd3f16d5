"""The consent app's pages: the person's consent page and receipts, one-click unsubscribe
(RFC 8058), the cookie banner's configuration and choice, the GPC support resource, the demo
page. Thin: they parse, call one service or selector, render."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consent.evidence import evidence_from_request
from consent.exceptions import ConsentError
from consent.models import ConsentEvent, ConsentPurpose
from consent.selectors import (
    banner_purposes,
    banner_version,
    consent_choices_for_subject,
    consent_event_for_subject,
    consent_history_for_subject,
    consent_purposes_limited,
    consent_receipt,
    unsubscribe_target,
)
from consent.services import consent_choices_apply, unsubscribe_apply
from subjects.models import DataSubject

logger = logging.getLogger(__name__)

# When the portal began to honour GPC (its support resource's lastUpdate).
GPC_LAST_UPDATE = "2026-12-01"


def _subject_of(request: HttpRequest) -> DataSubject | None:
    if not request.user.is_authenticated:
        return None
    return DataSubject.objects.filter(user=request.user).first()


# The person's consent page


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def consent_page(request: HttpRequest) -> HttpResponse:
    """One switch per consent and per newsletter with its current text, the state, the full
    history with receipts. Works without JavaScript: a form, saved at once."""
    subject = _subject_of(request)
    if subject is None:
        return render(request, "consent/no_subject.html", status=200)
    gpc = getattr(request, "gpc", False)
    choices = consent_choices_for_subject(for_subject=subject)
    if request.method == "POST":
        # Only what the person changed: a switch left off that was never on records nothing;
        # one left on that waits for a re-consent is the answer to it.
        wanted = {}
        wanted_newsletters = {}
        for choice in choices:
            ticked = request.POST.get(f"purpose-{choice.purpose.code}") == "on"
            if gpc and choice.purpose.gpc_opt_out:
                ticked = False  # the signal wins (GPC-7)
            if ticked != choice.given or (ticked and not choice.counts):
                wanted[choice.purpose.code] = ticked
            for item in choice.newsletters:
                subscribed = request.POST.get(f"newsletter-{item.newsletter.code}") == "on"
                if subscribed != item.subscribed:
                    wanted_newsletters[item.newsletter.code] = subscribed
        try:
            recorded = consent_choices_apply(
                subject=subject,
                purposes=wanted,
                newsletters=wanted_newsletters,
                channel=ConsentEvent.Channel.WEB,
                evidence=evidence_from_request(request, form="consent_page"),
                actor=request.user,
            )
        except ConsentError as error:
            messages.error(request, str(error.message))
            return redirect("consent_page")
        if recorded:
            messages.success(
                request,
                ngettext(
                    "Saved: %(count)s change recorded. It takes effect now.",
                    "Saved: %(count)s changes recorded. They take effect now.",
                    len(recorded),
                )
                % {"count": len(recorded)},
            )
        else:
            messages.info(request, _("Nothing changed: your choices were already recorded."))
        return redirect("consent_page")
    return render(
        request,
        "consent/consent_page.html",
        {
            "subject": subject,
            "choices": choices,
            "reconsent": [c for c in choices if c.reconsent_due],
            "history": consent_history_for_subject(for_subject=subject)[:200],
            "gpc": gpc,
        },
    )


@never_cache
@login_required
@require_safe
def consent_receipt_download(request: HttpRequest, receipt_id) -> HttpResponse:
    """The Kantara consent receipt of one of the person's own ledger entries, as JSON; another
    person's entry is 404."""
    subject = _subject_of(request)
    entry = (
        consent_event_for_subject(for_subject=subject, receipt_id=receipt_id) if subject else None
    )
    if entry is None:
        raise Http404
    response = JsonResponse(
        consent_receipt(entry=entry), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{receipt_id}.json"'
    return response


# One-click unsubscribe (RFC 8058)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET (and HEAD) shows what will stop and one button, in the person's language, and
    changes nothing (mail scanners prefetch links). POST with the body
    `List-Unsubscribe=One-Click` (urlencoded or multipart, as mail providers send it, with no
    cookie, login or CSRF token) unsubscribes at once and answers 200, never a redirect. A
    tampered or unknown token: a clear page, 404 (GET) or 400 (POST), nothing changed."""
    target = unsubscribe_target(token=token)
    if target is None:
        status = 400 if request.method == "POST" else 404
        return render(request, "consent/unsubscribe_invalid.html", status=status)
    with translation.override(target.subject.preferred_language):
        context = {"target": target, "LANGUAGE_CODE": target.subject.preferred_language}
        if request.method == "POST":
            if request.POST.get("List-Unsubscribe") != "One-Click":
                return render(request, "consent/unsubscribe_invalid.html", status=400)
            unsubscribe_apply(token=token)
            return render(request, "consent/unsubscribe_done.html", context)
        return render(request, "consent/unsubscribe_confirm.html", context)


# The cookie banner


def _banner_cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and origin in settings.CONSENT_BANNER_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin, Accept-Language, Cookie, Sec-GPC"
    return response


@never_cache
@require_safe
def banner_config(request: HttpRequest) -> JsonResponse:
    """What the banner shows, in the language asked for (?lang=): its version, the categories
    from the consent register with their vendors from the recipient register, the texts,
    whether the request carries GPC (then the categories it opts out of are off and locked),
    and, for a signed-in person, their recorded choices and where to record new ones."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language() or settings.LANGUAGE_CODE
    gpc = getattr(request, "gpc", False)
    subject = _subject_of(request)
    with translation.override(language):
        purposes = banner_purposes()
        limited = consent_purposes_limited(subject=subject, purposes=purposes)
        recorded = {}
        if subject is not None:
            recorded = {
                c.purpose.code: c.counts and c.purpose.code not in limited
                for c in consent_choices_for_subject(for_subject=subject)
                if c.purpose.in_cookie_banner and c.state is not None
            }
        config = {
            "version": banner_version(purposes),
            "language": language,
            "gpc": gpc,
            "categories": [
                {
                    "code": p.code,
                    "name": str(p.name),
                    "description": str(p.description),
                    "vendors": [
                        {"name": r.name, "country": r.country, "outsideEea": r.outside_eea}
                        for r in p.recipients.all()
                    ],
                    "cookies": list(p.cookie_names),
                    "consentMode": list(p.consent_mode_signals),
                    "gpcOptOut": p.gpc_opt_out,
                    "lockedByGpc": bool(gpc and p.gpc_opt_out),
                    # A restriction or objection of the signed-in person (GDPR Art. 18, 21).
                    "lockedByLimit": p.code in limited,
                }
                for p in purposes
            ],
            "recorded": recorded if subject is not None else None,
            "recordUrl": "/consent/banner/choice/" if subject is not None else None,
            "texts": {
                "title": _("Cookies on this site"),
                "intro": _(
                    "We use essential cookies to run this site. With your consent, we also use "
                    "the cookies below. You can change your choice at any time with the "
                    "“Cookie settings” button on every page."
                ),
                "acceptAll": _("Accept all"),
                "rejectAll": _("Reject all"),
                "choose": _("Choose per category"),
                "save": _("Save my choices"),
                "close": _("Close"),
                "settings": _("Cookie settings"),
                "vendors": _("Vendors"),
                "outsideEea": _("outside the EEA"),
                "gpcLocked": _(
                    "Off: your browser sends a Global Privacy Control signal, which we honour."
                ),
                "limitLocked": _(
                    "Off: you restricted or objected to this use of your data, which we honour."
                ),
                "saved": _("Your choice is saved."),
                "dialog": _("Cookie consent"),
            },
        }
    return _banner_cors(request, JsonResponse(config))


@never_cache
@require_POST
def banner_choice(request: HttpRequest) -> JsonResponse:
    """Record a signed-in person's banner choice in the ledger (channel: cookie banner), with
    the banner version and language shown. CSRF-protected (the banner sends the token). A
    category GPC locks cannot be given while the signal is sent."""
    subject = _subject_of(request)
    if subject is None:
        return JsonResponse({"recorded": 0, "reason": "not_signed_in"}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
        choices = payload["choices"]
        version = str(payload.get("version", ""))[:40]
        language = str(payload.get("language", ""))[:8]
        # A choice is true or false, nothing else: "false", 0 or null given as consent
        # would be a consent nobody gave (GDPR Art. 4(11): unambiguous).
        if not isinstance(choices, dict) or not all(
            isinstance(given, bool) for given in choices.values()
        ):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "bad_choice"}, status=400)
    offered = {p.code: p for p in banner_purposes()}
    limited = consent_purposes_limited(subject=subject, purposes=list(offered.values()))
    gpc = getattr(request, "gpc", False)
    wanted = {}
    for code, given in choices.items():
        purpose = offered.get(code)
        if purpose is None:
            continue
        wanted[code] = bool(given) and not (gpc and purpose.gpc_opt_out) and code not in limited
    recorded = consent_choices_apply(
        subject=subject,
        purposes=wanted,
        channel=ConsentEvent.Channel.COOKIE_BANNER,
        evidence=evidence_from_request(
            request, form="cookie_banner", banner_version=version, language=language
        ),
        actor=request.user,
    )
    return JsonResponse({"recorded": len(recorded)})


@require_safe
def gpc_json(request: HttpRequest) -> JsonResponse:
    """GPC's support resource: the portal honours the signal."""
    return JsonResponse({"gpc": True, "lastUpdate": GPC_LAST_UPDATE})


@require_safe
def banner_demo(request: HttpRequest) -> HttpResponse:
    """A page like VELUX's websites: a stand-in analytics tag and chat widget (the portal's own
    static files) that load only after consent, for people and browser tests to see."""
    return render(
        request,
        "consent/demo.html",
        {"purposes": ConsentPurpose.objects.filter(in_cookie_banner=True, is_active=True)},
    )
