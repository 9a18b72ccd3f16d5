"""Forms of the consent app's staff pages: shape only; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.models import ConsentEvent, ConsentPurpose, DoNotCallImport, Newsletter


class RecordOnBehalfForm(forms.Form):
    """A consent given or withdrawn by letter, phone or in a branch, recorded by staff."""

    target = forms.ChoiceField(label=_("Consent or newsletter"))
    action = forms.ChoiceField(
        label=_("The person"),
        choices=[
            (ConsentEvent.Action.GIVEN, _("gives this consent (or subscribes)")),
            (ConsentEvent.Action.WITHDRAWN, _("withdraws this consent (or unsubscribes)")),
        ],
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(c.value, c.label) for c in ConsentEvent.STAFF_CHANNELS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "Where the request is (e.g. the letter's date and file reference). Erased with the "
            "person."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        purposes = [
            (f"purpose:{p.code}", p.name) for p in ConsentPurpose.objects.filter(is_active=True)
        ]
        newsletters = [
            (f"newsletter:{n.code}", n.name) for n in Newsletter.objects.filter(is_active=True)
        ]
        self.fields["target"].choices = [
            ("", "---------"),
            (_("Consents"), purposes),
            (_("Newsletters and alerts"), newsletters),
        ]

    def clean_target(self) -> tuple[str, str]:
        kind, _separator, code = self.cleaned_data["target"].partition(":")
        return kind, code


class DoNotCallUploadForm(forms.Form):
    file = forms.FileField(
        label=_("The list's file"),
        help_text=_(
            "CSV or text: one phone number per line, or the number in the first column. "
            "Numbers are stored only as keyed hashes."
        ),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=DoNotCallImport.Mode.choices,
        initial=DoNotCallImport.Mode.REPLACE,
        widget=forms.RadioSelect,
    )
