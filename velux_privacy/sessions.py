"""The session engine (SESSION_ENGINE): Django's database sessions, stored in
`velux_privacy.LoginSession` with the login they belong to.

- Erasure and off-boarding end a login's sessions by `user` in one set-based DELETE.
- Staff sessions are short (policy: whoever can read all personal data is not signed in for
  weeks): at sign-in `session_limit_for_staff` makes the cookie last until the browser closes
  and caps the session at STAFF_SESSION_SECONDS from then, enforced here on the server, since a
  browser may restore "session" cookies.
- Expired sessions are deleted daily (velux_privacy.tasks.sessions_clear_expired_task).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

STAFF_UNTIL_KEY = "_velux_staff_until"


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from velux_privacy.models import LoginSession

        return LoginSession

    def create_model_instance(self, data: dict):
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id is not None else None
        until = data.get(STAFF_UNTIL_KEY)
        if until is not None:
            instance.expire_date = min(instance.expire_date, datetime.fromisoformat(until))
        return instance


def session_limit_for_staff(session, *, now: datetime | None = None) -> None:
    """Make `session` a staff session: ends when the browser closes, and at the latest
    STAFF_SESSION_SECONDS from now whatever the browser does."""
    until = (now or timezone.now()) + timedelta(seconds=settings.STAFF_SESSION_SECONDS)
    session[STAFF_UNTIL_KEY] = until.isoformat()
    session.set_expiry(0)
