"""Customer accounts with django-allauth: how allauth speaks and sends e-mail here, and the link
from a verified login to the person VELUX holds data on.

- `AccountAdapter` (ACCOUNT_ADAPTER): allauth's error messages in the portal's own words, in
  the formal register (allauth's Dutch and German catalogues say "je"/"Du"); every allauth
  e-mail as plain text with an HTML alternative in the portal's e-mail layout
  (templates/email/base.html); after sign-in, customers go to "my data", staff to the admin.
- `user_display` (ACCOUNT_USER_DISPLAY): a person is named by their name or e-mail address,
  never by the login's id (`User.__str__`, which logs and the admin use, names no one).
- `link_subject_on_email_confirmed`: once allauth has verified an address of a customer's
  login, the login is linked to the data subject of that address (created when VELUX holds
  nothing on it yet), through `subjects.services.subject_link_login` (DESIGN.md: a subject is
  found by e-mail only once the address is confirmed).

allauth sends its e-mails itself, in the request: they carry a one-time secret (a code, a
link) that must not travel through the broker as a task argument.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.signals import email_confirmed
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from subjects.models import Language
from subjects.services import SubjectLinkRefused, subject_link_login

logger = logging.getLogger(__name__)


def user_display(user) -> str:
    """How allauth names a person on pages and in e-mails: their name, else their address."""
    return user.get_full_name() or user.email


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account has been deactivated. Contact us to reopen it."),
        "cannot_remove_primary_email": _(
            "You cannot remove the main e-mail address of your account."
        ),
        "duplicate_email": _("This e-mail address is already on your account."),
        "email_password_mismatch": _("The e-mail address or the password is not correct."),
        "email_taken": _("An account with this e-mail address already exists."),
        "phone_password_mismatch": _("The phone number or the password is not correct."),
        "username_blacklisted": _("This user name cannot be used. Choose another one."),
        "username_password_mismatch": _("The user name or the password is not correct."),
        "enter_current_password": _("Enter your current password."),
        "incorrect_code": _(
            "The code is not correct. Check the code in the e-mail and enter it again."
        ),
        "incorrect_password": _("The password is not correct."),
        "invalid_or_expired_key": _("This link has expired or has already been used."),
        "invalid_login": _("The sign-in details are not correct."),
        "invalid_password_reset": _(
            "This link to reset your password has expired or has already been used."
        ),
        "max_email_addresses": _("You cannot add more than %d e-mail addresses."),
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts. Wait a few minutes, then try again."
        ),
        "unknown_email": _("No account uses this e-mail address."),
        "unverified_primary_email": _("Confirm your main e-mail address first."),
        "select_only_one": _("Choose only one."),
        "same_as_current": _("Enter a different value from the current one."),
        "rate_limited": _(
            "You sent too many requests in a short time. Wait a minute, then try again."
        ),
    }

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Without a `next`, customers go to their data, staff to the admin."""
        user = request.user
        if user.is_authenticated and (user.is_staff or user.is_superuser):
            return resolve_url("admin:index")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's send, with how long its links and codes work, for the e-mails to say."""
        context = {
            "link_days": app_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
            "code_minutes": max(1, app_settings.LOGIN_BY_CODE_TIMEOUT // 60),
            **context,
        }
        super().send_mail(template_prefix, email, context)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ):
        """allauth's message from our `<prefix>_subject.txt` and `<prefix>_message.txt`
        (templates/account/email/), with an HTML alternative in the portal's e-mail layout."""
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if not getattr(message, "alternatives", None):
            html = render_to_string(
                "account/email/message.html",
                {"subject": message.subject, "body": message.body, "LANGUAGE_CODE": get_language()},
            )
            message.attach_alternative(html, "text/html")
        return message


def _language(request: HttpRequest | None) -> str | None:
    language = getattr(request, "LANGUAGE_CODE", None) or get_language()
    return language if language in Language.values else None


@receiver(email_confirmed, dispatch_uid="centre.link_subject_on_email_confirmed")
def link_subject_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """A customer's address is verified (by the sign-up link, a sign-in code or a password
    reset): link the login to the data subject of that address. Staff logins, and a subject
    that already has another login, are refused by the service and logged by id."""
    user = email_address.user
    try:
        subject_link_login(user=user, email=email_address.email, language=_language(request))
    except SubjectLinkRefused as refused:
        logger.info("login %s not linked to a data subject: %s", user.pk, refused.code)
