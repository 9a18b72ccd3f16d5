"""Print the current TOTP code of a staff login, for development only (DEBUG).

`make run`'s demo staff login signs in with a second factor like any staff login
(velux_privacy.mfa); without an authenticator app at hand, this prints the code the app would
show. It refuses to run with DEBUG off: on a server a second factor read from the database is
no second factor.
"""

import time

from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from velux_privacy.models import normalise_email


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff login (development only, DEBUG on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the staff login's e-mail address")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Only with DEBUG on: a second factor read from the database is none."
            )
        totp = Authenticator.objects.filter(
            user__email=normalise_email(email), type=Authenticator.Type.TOTP
        ).first()
        if totp is None:
            raise CommandError("This login has no TOTP authenticator.")
        secret = get_adapter().decrypt(totp.data["secret"])
        now = time.time()
        period = app_settings.TOTP_PERIOD
        code = format_hotp_value(hotp_value(secret, int(now) // period))
        self.stdout.write(f"{code}  (valid for {period - int(now) % period} more seconds)")
