"""How every form of the portal renders, and allauth's account forms in the portal's words.

`PortalFormRenderer` (FORM_RENDERER) renders `{{ form }}` with the project's templates
(templates/forms/): GOV.UK's pattern of a label above the field, a hint, the error message
between them and the input, each linked to the input by Django's aria-describedby.

allauth's forms (ACCOUNT_FORMS) are subclassed only to say things our way: labels in the
formal register of the project's catalogues, and no placeholders (a placeholder disappears
as one types, and repeats the label for screen readers).
"""

from __future__ import annotations

import secrets

from allauth.account import forms as allauth_forms
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.text import capfirst
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


# The request forms of the rights pages (centre.views.right). Their shape only: the rules
# are `dsr_requests.services.rights_request_submit`'s (IntakeInvalid comes back on the form).

# The data map's category of the person's identity: its rectifiable fields are what a
# signed-in person corrects field by field (other data by the free text).
IDENTITY_CATEGORY = "identity"


def identity_rectifiable_labels() -> dict[str, str | Promise]:
    """The identity's rectifiable fields (`Category.rectifiable_fields`) and their labels."""
    from subjects.datamap import datamap

    category = datamap.category(IDENTITY_CATEGORY)
    if category is None:
        return {}
    return {field.name: field.label for field in category.rectifiable_fields()}


# The choice "all of them" of restriction and objection (stored as no purpose).
ALL_PURPOSES = "all"


def _submission_key() -> str:
    return secrets.token_urlsafe(24)


class RightsRequestForm(forms.Form):
    """One right's request. `ask_email`: the person is not signed in with a verified
    address, so the request concerns the address they give (and waits for its confirmation).
    The hidden `submission_key` makes a double submit one request."""

    details_label: str | Promise = _("Anything you want to add")
    details_help: str | Promise = ""
    details_required = False

    submission_key = forms.CharField(widget=forms.HiddenInput, initial=_submission_key)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_(
            "The address we know you by. We send a link to it: your request starts once you "
            "confirm it from there."
        ),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, ask_email: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not ask_email:
            del self.fields["email"]
        details = self.fields["details"]
        details.label = self.details_label
        details.help_text = self.details_help
        details.required = self.details_required
        details.error_messages["required"] = _("Tell us what your request is about.")
        if "email" in self.fields:
            self.fields["email"].error_messages["required"] = _("Enter your e-mail address.")
            self.fields["email"].error_messages["invalid"] = _(
                "Enter an e-mail address in the right form, like name@example.com."
            )

    def submission(self) -> dict:
        """The keyword arguments of `rights_request_submit` this form gives."""
        data = self.cleaned_data
        return {"details": data.get("details", ""), "submission_key": data["submission_key"]}


class AccessForm(RightsRequestForm):
    details_help = _("For example a period, or a particular order or question.")


class PortabilityForm(RightsRequestForm):
    details_help = _("For example the service you want to take your data to.")


class ErasureForm(RightsRequestForm):
    understood = forms.BooleanField(
        label=_("I have read what will be erased and what must be kept"),
        error_messages={"required": _("Confirm that you have read what will happen.")},
    )


class RestrictionForm(RightsRequestForm):
    details_label = _("Why should we limit the use of your data?")
    details_help = _(
        "For example: the data is wrong and must be checked first; its use is unlawful but "
        "you want it kept; you need it for a legal claim; you objected and wait for our answer."
    )
    details_required = True
    field_order = ["submission_key", "email", "purpose", "details"]
    purpose = forms.ChoiceField(label=_("Which use?"), widget=forms.RadioSelect)

    def __init__(self, *args, purposes=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            (ALL_PURPOSES, _("All uses of my data")),
            *((p.code, f"§{p.section} {p.name}") for p in purposes),
        ]
        self.fields["purpose"].initial = ALL_PURPOSES
        self.fields["purpose"].error_messages["required"] = _("Choose which use to limit.")

    def submission(self) -> dict:
        purpose = self.cleaned_data.get("purpose", "")
        # The request's purpose: one, or empty for all of them (RightsRequest.purpose).
        return {**super().submission(), "purpose": "" if purpose == ALL_PURPOSES else purpose}


class ObjectionForm(RestrictionForm):
    details_label = _("Your reasons")
    details_help = _("Tell us what in your situation makes you object, if you like.")
    details_required = False

    def __init__(self, *args, purposes=(), **kwargs) -> None:
        super().__init__(*args, purposes=purposes, **kwargs)
        self.fields["purpose"].label = _("Which use do you object to?")
        self.fields["purpose"].choices = [
            *((p.code, f"§{p.section} {p.name}") for p in purposes),
            (ALL_PURPOSES, _("All of these uses")),
        ]
        self.fields["purpose"].initial = None
        self.fields["purpose"].error_messages["required"] = _("Choose the use you object to.")


class RectificationForm(RightsRequestForm):
    """Signed in (`current`: the subject's values): a corrected value per field, shown
    against the current one. Without an account: what is wrong, in words."""

    details_label = _("What is wrong, and what should it say?")
    details_required = True

    def __init__(self, *args, current: dict | None = None, labels: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.labels = labels or {}
        if current is None:
            return
        self.fields["details"].label = _("Anything else that is wrong")
        self.fields["details"].required = False
        for name in self.labels:
            value = current.get(name) or ""
            self.fields[f"new_{name}"] = forms.CharField(
                label=capfirst(_("Correct %(field)s") % {"field": self.labels[name]}),
                # Escaped: the field template prints help texts as HTML.
                help_text=_("Now: %(value)s") % {"value": escape(value)}
                if value
                else _("Now: empty"),
                required=False,
                max_length=200,
            )
        # The corrections first, then anything else in words.
        self.order_fields(["submission_key", *(f"new_{name}" for name in self.labels), "details"])

    def corrections(self) -> list[tuple[str, str, str]]:
        """(field, current value, corrected value) for each field given a new value."""
        if self.current is None:
            return []
        changes = []
        for name in self.labels:
            new = (self.cleaned_data.get(f"new_{name}") or "").strip()
            if new and new != (self.current.get(name) or ""):
                changes.append((name, self.current.get(name) or "", new))
        return changes

    def clean(self):
        cleaned = super().clean()
        nothing_given = not self.corrections() and not cleaned.get("details", "").strip()
        if self.current is not None and self.labels and not self.errors and nothing_given:
            self.add_error(
                f"new_{next(iter(self.labels))}",
                _("Give at least one corrected value, or say what else is wrong."),
            )
        return cleaned


class ComplaintForm(RightsRequestForm):
    """Policy §10: a complaint carries the complainant's name and contact details."""

    details_label = _("Your question or complaint")
    details_required = True
    field_order = ["submission_key", "name", "email", "phone", "postal_address", "details"]

    name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": _("Enter your name: a complaint needs it.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    postal_address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )

    def submission(self) -> dict:
        data = self.cleaned_data
        return {
            **super().submission(),
            "name": data["name"],
            "phone": data.get("phone", ""),
            "postal_address": data.get("postal_address", ""),
        }


REQUEST_FORMS = {
    "access": AccessForm,
    "portability": PortabilityForm,
    "erasure": ErasureForm,
    "restriction": RestrictionForm,
    "objection": ObjectionForm,
    "rectification": RectificationForm,
    "complaint": ComplaintForm,
}
