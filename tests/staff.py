"""Staff sessions in tests: staff sign in with a second factor (velux_privacy.mfa).

`staff_second_factor(client, user)` gives a signed-in test client what a real sign-in with a
TOTP code leaves: an authenticator, and allauth's record that the session used it. The
`admin_client` fixture (tests/conftest.py) does this for its superuser. `totp_code(secret)` is
the code an authenticator app shows now, by allauth's own functions.
"""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)


def totp_enrol(user, secret: str | None = None) -> str:
    """Give `user` a TOTP authenticator; returns its secret."""
    secret = secret or generate_totp_secret()
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    counter = int(at if at is not None else time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def staff_second_factor(client, user) -> None:
    """Make `client`'s session (already signed in as `user`) one that used a second factor."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        totp_enrol(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def staff_client_for(user, *, language: str = "en"):
    """A test client signed in as the staff login `user`, with its second factor."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    staff_second_factor(client, user)
    return client
