"""Writes about logins themselves (the login model is the project's, velux_privacy.User)."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from velux_privacy.errors import DomainError
from velux_privacy.models import LoginSession, User

logger = logging.getLogger(__name__)


class LoginDeactivationRefused(DomainError):
    code = "login_deactivation_refused"
    default_message = _("You cannot deactivate your own login.")


def login_records_actions(user: User) -> bool:
    """Whether anything records this login's actions (subjects.selectors.
    login_recorded_actions_q): such a login is deactivated, never deleted. One query."""
    from subjects.selectors import login_recorded_actions_q

    return get_user_model().objects.filter(login_recorded_actions_q(), pk=user.pk).exists()


@transaction.atomic
def staff_login_deactivate(*, user: User, actor: User) -> User:
    """Off-boarding: the login can no longer sign in (inactive, no usable password, every
    session ended), and stays, with everything that records what its holder did.

    Raises LoginDeactivationRefused for one's own login, and for a customer's login (not
    staff, no actions recorded): a customer's login goes by erasure, with its person.
    """
    if user.pk == actor.pk:
        raise LoginDeactivationRefused(code="own_login")
    if not (user.is_staff or user.is_superuser or login_records_actions(user)):
        raise LoginDeactivationRefused(
            _("Only a staff login is deactivated; a customer's goes by erasure."),
            code="not_a_staff_login",
        )
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    ended = LoginSession.objects.filter(user=user)
    ended._raw_delete(ended.db)
    logger.info("login %s deactivated by login %s", user.pk, actor.pk)
    return user
