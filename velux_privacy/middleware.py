"""Middleware of the project's own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
