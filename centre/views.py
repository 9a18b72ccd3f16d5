"""The pages of the privacy centre. Thin: parse the request, read through a selector, render."""

from __future__ import annotations

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from centre import selectors
from centre.forms import IDENTITY_CATEGORY, REQUEST_FORMS, identity_rectifiable_labels
from centre.policy import policy_version_current
from centre.rights import RIGHTS, RIGHTS_BY_KEY
from consent.selectors import subject_of_viewer
from dsr_requests.exceptions import IntakeInvalid
from dsr_requests.forms import errors_from
from dsr_requests.rectification import RectificationInvalid, rectification_items_propose
from dsr_requests.roles import is_staff_login
from dsr_requests.services import rights_request_submit
from dsr_requests.views import follow_in_session
from subjects.models import DataSubject, LegalBasis, Purpose, Recipient


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What VELUX does with personal data, the purposes and their legal basis, and the way to
    each right (policy §1, §2, §5)."""
    purposes = selectors.purpose_list_with_recipients()
    return render(request, "centre/home.html", {"purposes": purposes, "rights": RIGHTS})


@require_safe
def privacy_policy(request: HttpRequest) -> HttpResponse:
    """The privacy policy: its fixed text, with the purposes and recipients rendered from the
    registers, so what the page says is what the system does."""
    return render(
        request,
        "centre/privacy_policy.html",
        {
            "purposes": selectors.purpose_list_with_recipients(),
            "outside_eea": selectors.recipient_list_outside_eea(),
            "policy_version": policy_version_current(),
            "rights": RIGHTS,
            "safeguards": Recipient.TransferSafeguard,
        },
    )


def _verified_email(request: HttpRequest) -> str:
    """The signed-in customer's primary verified address ("" for nobody, or staff)."""
    from allauth.account.models import EmailAddress

    if not request.user.is_authenticated or is_staff_login(request.user):
        return ""
    address = (
        EmailAddress.objects.filter(user=request.user, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
        .first()
    )
    return address or ""


def _form_kwargs(key: str, subject: DataSubject | None) -> dict:
    if key in ("restriction", "objection"):
        purposes = Purpose.objects.order_by("section")
        if key == "objection":  # policy §2.4, §2.6: the uses on legitimate interest
            purposes = purposes.filter(legal_basis=LegalBasis.LEGITIMATE_INTEREST)
        return {"purposes": list(purposes)}
    if key == "rectification" and subject is not None:
        labels = identity_rectifiable_labels()
        return {
            "current": {name: getattr(subject, name) for name in labels},
            "labels": labels,
        }
    return {}


def _rectification_details(form, labels: dict) -> str:
    lines = [
        gettext("%(field)s: now “%(current)s”, should be “%(new)s”")
        % {"field": capfirst(labels[name]), "current": current, "new": new}
        for name, current, new in form.corrections()
    ]
    if form.cleaned_data.get("details"):
        lines.append(form.cleaned_data["details"])
    return "\n".join(lines)


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def right(request: HttpRequest, key: str) -> HttpResponse:
    """A right's page: what it does, the form to use it, what happens next. The POST files
    the request (`rights_request_submit`): signed in with a verified address, it is received
    at once and its page opens; otherwise it waits for the confirmation link e-mailed to the
    address given. Bad input comes back with everything typed kept; a double submit (the
    form's key) makes one request."""
    try:
        chosen = RIGHTS_BY_KEY[key]
    except KeyError as missing:
        raise Http404 from missing
    form_class = REQUEST_FORMS.get(key)
    context = {"right": chosen, "rights": RIGHTS}
    if form_class is None:  # consent: its own page
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return render(request, chosen.template_name, context)
    email = _verified_email(request)
    subject = subject_of_viewer(request.user) if email else None
    kwargs = {"ask_email": not email, **_form_kwargs(key, subject)}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and not email and not _intake_allowed(request, form):
            form.add_error(
                None,
                gettext(
                    "We have sent many e-mails to this address or from your connection "
                    "already. Wait an hour, then send the form again: what you typed is kept."
                ),
            )
            status = 429
        elif form.is_valid():
            submission = form.submission()
            if key == "rectification" and subject is not None:
                submission["details"] = _rectification_details(form, kwargs["labels"])
            try:
                # One transaction: a correction refused by its field's rules files nothing
                # (and sends nothing: the e-mails go after commit).
                with transaction.atomic():
                    made = rights_request_submit(
                        kind=key,
                        email=email or form.cleaned_data["email"],
                        language=request.LANGUAGE_CODE,
                        user=request.user if email else None,
                        **submission,
                    )
                    if key == "rectification" and subject is not None and form.corrections():
                        rectification_items_propose(
                            rights_request=made.rights_request,
                            items=[
                                (IDENTITY_CATEGORY, name, new)
                                for name, _current, new in form.corrections()
                            ],
                        )
            except RectificationInvalid as invalid:
                for name, field_messages in invalid.fields.items():
                    field = f"new_{name.rsplit('.', 1)[-1]}"
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
                if not invalid.fields:
                    form.add_error(None, invalid.message)
            except IntakeInvalid as invalid:
                errors_from(form, invalid)
            else:
                return _submitted(request, made)
    if key == "erasure" and subject is not None:
        context["preview"] = selectors.erasure_preview_for(viewer=request.user, subject=subject)
    context.update(form=form, signed_in_as=email)
    return render(request, chosen.template_name, context, status=status)


def _intake_allowed(request: HttpRequest, form) -> bool:
    """A request without an account e-mails the address typed: limited per client address
    and per e-mail address (ACCOUNT_RATE_LIMITS["rights_request_intake"]), so nobody floods a
    stranger's mailbox from VELUX's servers."""
    address = form.cleaned_data["email"].strip().lower()
    return ratelimit.consume(request, action="rights_request_intake", key=address)


def _submitted(request: HttpRequest, made) -> HttpResponse:
    rights_request = made.rights_request
    if made.needs_confirmation:
        return redirect("centre:request_sent")
    # The person's own request: their page shows it (also before the login's subject link).
    follow_in_session(request, rights_request)
    messages.success(
        request,
        gettext("Thank you. We received your request; its reference is %(reference)s.")
        % {"reference": rights_request.reference},
    )
    return redirect("dsr_requests:detail", reference=rights_request.reference)


@never_cache
@require_safe
def request_sent(request: HttpRequest) -> HttpResponse:
    """After a request without an account: check your e-mail to confirm it."""
    return render(
        request,
        "centre/request_sent.html",
        {"confirm_days": settings.RIGHTS_REQUEST_CONFIRMATION_DAYS},
    )


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@never_cache
@login_required
@require_safe
def my_data(request: HttpRequest) -> HttpResponse:
    """GDPR Art. 15, live: everything VELUX holds on the signed-in person, by purpose."""
    subject = subject_of_viewer(request.user)
    data = html = None
    if subject is not None:
        data = selectors.my_data_collect(
            viewer=request.user,
            subject=subject,
            category=request.GET.get("category"),
            page=_page_number(request.GET.get("page")),
        )
        html = data.html(email=request.user.email)
    return render(request, "centre/my_data.html", {"data": data, "my_data_html": html})


@never_cache
@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    """The person's account: sign-in address, password, and the way to their data."""
    return render(
        request,
        "centre/account.html",
        {"subject": subject_of_viewer(request.user)},
    )
