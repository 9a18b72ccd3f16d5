"""Middleware of the project's own."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from velux_privacy.sessions import STAFF_UNTIL_KEY, session_limit_for_staff


class StaffSessionMiddleware:
    """Staff sessions are short: they end when the browser closes and at the latest
    STAFF_SESSION_SECONDS after sign-in (velux_privacy.sessions), whatever "remember me" said.

    Here rather than at sign-in: allauth sets the session's expiry after its login signal (from
    the "remember me" box), and a second factor completes the sign-in later still.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
            session = request.session
            if STAFF_UNTIL_KEY not in session or not session.get_expire_at_browser_close():
                session_limit_for_staff(session)
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    """A staff login uses a second factor (velux_privacy.mfa): without an authenticator it is
    sent to allauth's TOTP activation page (its first sign-in), with one but a session that
    did not use it (a sign-in that skipped it) to allauth's re-authentication by code. Until
    then only those pages, signing out and the static files answer; the API answers 403.

    A session that used the second factor costs no query here.
    """

    # The pages a staff member needs on the way: enrolment, re-authentication, signing out.
    ALLOWED_URL_NAMES = frozenset(
        {
            "mfa_activate_totp",
            "mfa_reauthenticate",
            "mfa_authenticate",
            "mfa_view_recovery_codes",
            "mfa_download_recovery_codes",
            "mfa_index",
            "account_reauthenticate",
            "account_logout",
            "set_language",
            "healthz",
            # The cookie banner's texts, fetched by every page's script.
            "consent_banner_config",
        }
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        from velux_privacy.mfa import is_staff_login, second_factor_enrolled, second_factor_used

        user = getattr(request, "user", None)
        if not is_staff_login(user) or second_factor_used(request):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in self.ALLOWED_URL_NAMES:
            return None
        # Only a page the browser navigates to is sent on (and remembered to come back to); a
        # script's fetch or the API gets a refusal it can read.
        if request.path.startswith("/api/") or "text/html" not in request.headers.get(
            "Accept", "text/html"
        ):
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "message": str(_("Staff sign in with a second factor first.")),
                },
                status=403,
            )
        target = "mfa_reauthenticate" if second_factor_enrolled(user) else "mfa_activate_totp"
        # Enrolment ends on the recovery codes page, which offers to go on to this page.
        if request.method == "GET" and url_has_allowed_host_and_scheme(
            request.get_full_path(), allowed_hosts=None
        ):
            request.session["staff_second_factor_next"] = request.get_full_path()
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(target)}?{query}")
