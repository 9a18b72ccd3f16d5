"""How every form of the portal renders, and allauth's account forms in the portal's words.

`PortalFormRenderer` (FORM_RENDERER) renders `{{ form }}` with the project's templates
(templates/forms/): GOV.UK's pattern of a label above the field, a hint, the error message
between them and the input, each linked to the input by Django's aria-describedby.

allauth's forms (ACCOUNT_FORMS) are subclassed only to say things our way: labels in the
formal register of the project's catalogues, and no placeholders (a placeholder disappears
as one types, and repeats the label for screen readers).
"""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _


class PortalFormRenderer(TemplatesSetting):
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


_EMAIL = _("E-mail address")


class _PortalForm:
    labels: dict = {}
    css_classes: dict = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.css_classes:
                field.widget.attrs["class"] = self.css_classes[name]


class LoginForm(_PortalForm, allauth_forms.LoginForm):
    labels = {
        "login": _EMAIL,
        "password": _("Password"),
        "remember": _("Keep me signed in on this device"),
    }


class SignupForm(_PortalForm, allauth_forms.SignupForm):
    labels = {
        "email": _EMAIL,
        "password1": _("Create a password"),
        "password2": _("Type the password again"),
    }


class ResetPasswordForm(_PortalForm, allauth_forms.ResetPasswordForm):
    labels = {"email": _EMAIL}


class ResetPasswordKeyForm(_PortalForm, allauth_forms.ResetPasswordKeyForm):
    labels = {"password1": _("New password"), "password2": _("Type the new password again")}


class RequestLoginCodeForm(_PortalForm, allauth_forms.RequestLoginCodeForm):
    labels = {"email": _EMAIL}


class ConfirmLoginCodeForm(_PortalForm, allauth_forms.ConfirmLoginCodeForm):
    labels = {"code": _("Sign-in code")}
    css_classes = {"code": "code-input"}


class ChangePasswordForm(_PortalForm, allauth_forms.ChangePasswordForm):
    labels = {
        "oldpassword": _("Current password"),
        "password1": _("New password"),
        "password2": _("Type the new password again"),
    }


class SetPasswordForm(_PortalForm, allauth_forms.SetPasswordForm):
    labels = {"password1": _("New password"), "password2": _("Type the new password again")}


class ChangeEmailForm(_PortalForm, allauth_forms.ChangeEmailForm):
    labels = {"email": _("New e-mail address")}


class AddEmailForm(_PortalForm, allauth_forms.AddEmailForm):
    labels = {"email": _EMAIL}


class ReauthenticateForm(_PortalForm, allauth_forms.ReauthenticateForm):
    labels = {"password": _("Password")}
