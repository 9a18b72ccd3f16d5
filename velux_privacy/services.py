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
    """Whether anything records this login's actions (the admin log, a legal hold placed, a
    consent recorded on someone's behalf, an audit event…): any row of another model that
    points at the login, other than the login's own account data (its e-mail addresses,
    sessions, second factors, roles) and a customer's link to their data subject. Found from
    the models' relations, so a new model that records actors is covered without a change."""
    from subjects.datamap import datamap

    own = {
        category.model
        for category in datamap.categories()
        if category.with_identity and category.subject_path
    }
    for relation in get_user_model()._meta.get_fields(include_hidden=True):
        if not (relation.one_to_many or relation.one_to_one) or relation.concrete:
            continue
        related = relation.related_model
        if related in own or related._meta.auto_created:
            continue
        if (
            datamap.category_of(related) is not None
            and not datamap.category_of(related).subject_path
        ):
            continue  # the data subject's own link to its login
        if related._base_manager.filter(**{relation.field.name: user}).exists():
            return True
    return False


@transaction.atomic
def staff_login_deactivate(*, user: User, actor: User) -> User:
    """Off-boarding: the login can no longer sign in (inactive, no usable password, every
    session ended), and stays, with everything that records what its holder did.

    Raises LoginDeactivationRefused for one's own login.
    """
    if user.pk == actor.pk:
        raise LoginDeactivationRefused(code="own_login")
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    ended = LoginSession.objects.filter(user=user)
    ended._raw_delete(ended.db)
    logger.info("login %s deactivated by login %s", user.pk, actor.pk)
    return user
