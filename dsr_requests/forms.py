"""The forms of the staff pages: their shape only. The rules are the services' (a refused step
comes back as a DomainError, shown on the form with what was typed kept)."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dsr_requests import roles
from dsr_requests.files import ALLOWED_EXTENSIONS
from dsr_requests.models import (
    RecipientNotice,
    RectificationItem,
    RequestAttachment,
    RequestPause,
    RightsRequest,
)
from dsr_requests.workflow import Kind
from subjects.models import Language, PurposeCode
from velux_privacy.calendar import BRUSSELS, local_date
from velux_privacy.errors import DomainError

Method = RightsRequest.IdentityMethod
# What staff may record; the other two are the person's own (signed in, confirmed link).
STAFF_METHODS = [
    (value, label)
    for value, label in Method.choices
    if value not in (Method.SIGNED_IN, Method.EMAIL_CONFIRMED)
]
STAFF_CHANNELS = [
    (value, label)
    for value, label in RightsRequest.Channel.choices
    if value not in (RightsRequest.Channel.WEB, RightsRequest.Channel.API)
]
FILE_ACCEPT = ",".join(f".{extension}" for extension in ALLOWED_EXTENSIONS)


def errors_from(form: forms.Form, error: DomainError) -> None:
    """Show a refused step on the form: on its fields where it names them, else on top."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)


class DocumentField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": FILE_ACCEPT}))
        super().__init__(**kwargs)


class IntakeForm(forms.Form):
    """A request that reached VELUX by e-mail, phone, letter or at a branch."""

    kind = forms.ChoiceField(label=_("What is asked"), choices=Kind.choices)
    channel = forms.ChoiceField(label=_("Received by"), choices=STAFF_CHANNELS)
    received_on = forms.DateField(
        label=_("Date of receipt"),
        help_text=_("The day it reached VELUX (the letter's date stamp), not today's."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_time = forms.TimeField(
        label=_("Time of receipt"),
        required=False,
        help_text=_("If known. Brussels time."),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    email = forms.EmailField(
        label=_("E-mail address of the person"),
        help_text=_("The person is found by it once it is confirmed or their identity checked."),
    )
    language = forms.ChoiceField(label=_("Language of the answer"), choices=Language.choices)
    name = forms.CharField(
        label=_("Name"), required=False, help_text=_("Required for a complaint.")
    )
    phone = forms.CharField(label=_("Phone"), required=False)
    postal_address = forms.CharField(
        label=_("Postal address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    details = forms.CharField(
        label=_("What the person asks"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    purpose = forms.ChoiceField(
        label=_("Purpose concerned"),
        required=False,
        choices=[("", _("all, or not said")), *PurposeCode.choices],
        help_text=_("For an objection or a restriction that names one purpose."),
    )
    representative_name = forms.CharField(label=_("Representative"), required=False)
    representative_email = forms.EmailField(label=_("Representative's e-mail"), required=False)
    representation = forms.ChoiceField(
        label=_("Acts as"),
        required=False,
        choices=[("", "—"), *RightsRequest.Representation.choices],
    )
    identity_method = forms.ChoiceField(
        label=_("Identity"),
        required=False,
        choices=[("", _("not checked yet: e-mail the person a confirmation link")), *STAFF_METHODS],
        help_text=_("Never keep a copy of an identity document: record how it was checked."),
    )
    mandate_checked = forms.BooleanField(label=_("Proof of mandate checked"), required=False)
    letter = DocumentField(
        label=_("Scanned letter or saved e-mail"),
        required=False,
        help_text=_("PDF, JPEG, PNG, TIFF or .eml."),
    )
    mandate = DocumentField(label=_("Proof of mandate"), required=False)

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > local_date():
            raise forms.ValidationError(_("The date of receipt cannot be in the future."))
        return received_on

    def received_at(self) -> datetime:
        """The moment of receipt: the time given, else the start of the day (Brussels); a
        receipt today without a time is now."""
        day = self.cleaned_data["received_on"]
        moment = self.cleaned_data.get("received_time")
        if moment is None:
            if day == local_date():
                return timezone.now()
            moment = time(0, 0)
        return datetime.combine(day, moment, tzinfo=BRUSSELS)

    def attachments(self) -> list[tuple[str, object]]:
        found = []
        if self.cleaned_data.get("letter"):
            kind = (
                RequestAttachment.Kind.EMAIL
                if self.cleaned_data["letter"].name.lower().endswith(".eml")
                else RequestAttachment.Kind.LETTER
            )
            found.append((kind, self.cleaned_data["letter"]))
        if self.cleaned_data.get("mandate"):
            found.append((RequestAttachment.Kind.MANDATE, self.cleaned_data["mandate"]))
        return found


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How was the identity checked?"),
        choices=STAFF_METHODS,
        widget=forms.RadioSelect,
        help_text=_("Never keep a copy of an identity document: the method is the record."),
    )
    mandate_checked = forms.BooleanField(
        label=_("The representative's proof of mandate is checked"), required=False
    )


class AskForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Ask for"), choices=RequestPause.Reason.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("What the person is asked, and why"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent to the person as written. The clock pauses until they answer."),
    )


class ResumeForm(forms.Form):
    message = forms.CharField(
        label=_("The person's answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Paste it, or sum up a phone call. The clock runs again from today."),
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        coerce=int,
        choices=[(1, _("one month")), (2, _("two months"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the person: why the request needs more time."),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("nobody"),
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        staff = (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(
                    groups__permissions__codename__in=[
                        "work_rightsrequest",
                        "work_any_rightsrequest",
                    ]
                )
                | Q(user_permissions__codename__in=["work_rightsrequest", "work_any_rightsrequest"])
            )
        )
        if not viewer.has_perm(roles.WORK_ANY):
            staff = staff.filter(pk=viewer.pk)
        self.fields["assignee"].queryset = staff.filter(is_staff=True).distinct().order_by("email")
        self.fields["assignee"].label_from_instance = lambda user: user.email


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never sent to the person. E.g. a manual step done."),
    )


class AttachForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=RequestAttachment.Kind.choices)
    file = DocumentField(label=_("File"), help_text=_("PDF, JPEG, PNG, TIFF or .eml."))


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("The answer to the person"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Sent to the person: what was done, or the answer to the complaint."),
    )


class RestrictionStartForm(forms.Form):
    """ "Complete" on a restriction request: the end the person asked for, if any."""

    ends_on = forms.DateField(
        label=_("Last day of the restriction"),
        required=False,
        help_text=_(
            "Only when the person asked for an end. Empty: it lasts until lifted, and the "
            "person is told before that (GDPR Art. 18(3))."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ObjectionDecisionForm(forms.Form):
    """ "Complete" on an objection request: granted, or VELUX's compelling grounds."""

    grounds = forms.CharField(
        label=_("Compelling legitimate grounds"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Empty: the objection is granted and the processing stops. Only for §2.4 or §2.6: "
            "grounds that override the person's interests, rights and freedoms (GDPR "
            "Art. 21(1)). Sent to the person as written."
        ),
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the restriction is lifted"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the person, with the day the restriction ends."),
    )


class RejectForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("Ground"),
        choices=RightsRequest.RejectionGround.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Explanation for the person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required for another reason; sent to the person with the ground."),
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into"), queryset=RightsRequest.objects.none(), empty_label=None
    )

    def __init__(self, *args, rights_request: RightsRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = (
            RightsRequest.objects.open()
            .filter(subject_id=rights_request.subject_id, kind=rights_request.kind)
            .exclude(pk=rights_request.pk)
            .exclude(subject__isnull=True)
            .order_by("received_at")
        )


class ConfirmForm(forms.Form):
    """A step with nothing to fill in: the button is the confirmation."""


class RecipientNoticeAnswerForm(forms.Form):
    """The recipient's answer to an Art. 19 notice (the public form of the e-mailed link)."""

    answer = forms.ChoiceField(
        label=_("What did you do?"),
        choices=RecipientNotice.Answer.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when it could not be done: say why."),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("A PDF, JPEG, PNG or TIFF file, or an e-mail saved as .eml."),
    )


class NoticeTickOffForm(forms.Form):
    """Staff record a recipient's answer they received otherwise."""

    answer = forms.ChoiceField(
        label=_("The recipient's answer"),
        choices=RecipientNotice.Answer.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=True,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How and when the recipient answered."),
    )


class CorrectionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=RectificationItem.Decision.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a rejection: the person is told."),
    )


# The person's forms in the privacy centre (dsr_requests.views).


class ReplyForm(forms.Form):
    """The person's answer to VELUX's request for information, with a document if they like."""

    message = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    document = DocumentField(
        label=_("Add a document"),
        required=False,
        help_text=_(
            "A PDF, JPEG, PNG or TIFF scan, or an e-mail saved as .eml, up to %(size)s MB."
        ),
    )

    def __init__(self, *args, max_mb: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = self.fields["document"].help_text % {"size": max_mb}


class WithdrawForm(forms.Form):
    """Nothing to fill in: the button is the decision (the page says what it means)."""
