"""A second factor for staff (allauth.mfa: TOTP and recovery codes).

Staff logins can read every person's data, so a password is not enough:

- a staff login without an authenticator is sent to allauth's TOTP activation page at its
  first sign-in, and can use nothing else until it has one
  (`velux_privacy.middleware.StaffSecondFactorMiddleware`);
- a staff login with one signs in with it (allauth asks for the code after the password);
- the admin lets in only a session whose sign-in used the second factor
  (`velux_privacy.admin_site.PrivacyAdminSite`).

Activating the authenticator proves the second factor too (a valid code from the new device,
just after the password): it is recorded as such in the session (allauth's authentication
records), so a new staff member does not have to sign in again.
"""

from __future__ import annotations

from allauth.account.authentication import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    get_authentication_records,
)
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import signals
from allauth.mfa.models import Authenticator
from django.dispatch import receiver
from django.http import HttpRequest

# The authenticators that are a second factor (recovery codes are the way back in, not one
# to enrol alone).
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def is_staff_login(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def second_factor_used(request: HttpRequest) -> bool:
    """Whether this session's sign-in (or a later re-authentication) used a second factor."""
    records = get_authentication_records(request, getattr(request, "user", None))
    return any(record.get("method") == "mfa" for record in records)


def second_factor_enrolled(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


@receiver(signals.authenticator_added)
def _enrolment_counts_as_second_factor(sender, request, user, authenticator, **kwargs) -> None:
    if request is None or authenticator.type not in SECOND_FACTOR_TYPES:
        return
    if not is_staff_login(user) or getattr(request, "user", None) != user:
        return
    record_authentication(
        request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
    )


@receiver(signals.authenticator_removed)
def _removal_ends_the_second_factor(sender, request, user, authenticator, **kwargs) -> None:
    """A staff member who removes their authenticator must enrol again before going on."""
    if request is None or authenticator.type not in SECOND_FACTOR_TYPES:
        return
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY)
    if isinstance(records, list):
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            record for record in records if record.get("method") != "mfa"
        ]
