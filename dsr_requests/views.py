"""The person's pages of their rights requests, under the language prefix (/nl/requests/…):
confirming a request from the address it concerns, following it by the signed link the
acknowledgement carries, "my requests" (the list, a request's page with its timeline and
messages, the answer to a request for information, the withdrawal), and the download of the
export that answers an access or portability request.

Who may see a request: the signed-in person whose data subject it concerns, or a session that
opened the request's signed follow link (its id in `request.session["followed_requests"]`).
Anyone else gets a 404, never a 403. URLs carry references and signed tokens, never an address.

The privacy centre's request forms call `dsr_requests.services.rights_request_submit`; the
e-mail it sends links to `confirm`. A GET only shows the request and a button (mail scanners
follow links: a GET must never confirm); the POST confirms.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from consent.selectors import subject_of_viewer
from dsr_requests import services
from dsr_requests.exceptions import ConfirmationInvalid, RightsRequestError, TransitionRefused
from dsr_requests.exports import export_download_open, export_download_url, export_for_download
from dsr_requests.forms import ReplyForm, WithdrawForm, errors_from
from dsr_requests.models import RequestMessage, RightsRequest
from dsr_requests.selectors import (
    FOLLOWED_SESSION_KEY,
    follow_token_make,
    followed_ids,
    rights_request_for_confirmation,
    rights_request_for_follow,
    rights_request_for_person,
    rights_request_list_for_person,
    rights_request_timeline,
)
from dsr_requests.workflow import Action, State, request_allows

# A session remembers this many followed requests at most (the newest).
FOLLOWED_MAX = 20
# A second POST of the same answer this soon after the first is a double click.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=5)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    rights_request = rights_request_for_confirmation(token=token)
    if rights_request is None:
        return render(request, "dsr_requests/confirm_invalid.html", status=404)
    if request.method == "GET":
        return render(request, "dsr_requests/confirm.html", {"rights_request": rights_request})
    try:
        confirmed = services.rights_request_confirm(token=token)
    except ConfirmationInvalid:
        return render(request, "dsr_requests/confirm_invalid.html", status=404)
    follow_in_session(request, confirmed)
    return render(
        request,
        "dsr_requests/confirmed.html",
        {
            "rights_request": confirmed,
            "follow_url": reverse("dsr_requests:follow", args=[follow_token_make(confirmed)]),
        },
    )


@never_cache
@require_safe
def follow(request: HttpRequest, token: str) -> HttpResponse:
    """The signed follow link: this browser may now see the request, without an account."""
    rights_request = rights_request_for_follow(token=token)
    if rights_request is None:
        raise Http404
    follow_in_session(request, rights_request)
    return redirect("dsr_requests:detail", reference=rights_request.reference)


def follow_in_session(request: HttpRequest, rights_request: RightsRequest) -> None:
    """Let this browser see `rights_request` without an account (its follow link was
    opened, or the person just made or confirmed it here)."""
    already = followed_ids(request.session)
    followed = [pk for pk in already if pk != rights_request.pk]
    if rights_request.pk not in already:
        # The session may now see more: a new key, as at sign-in, so that a session id
        # planted in this browser beforehand (session fixation) sees nothing of it.
        request.session.cycle_key()
    request.session[FOLLOWED_SESSION_KEY] = [*followed, rights_request.pk][-FOLLOWED_MAX:]


def _subject_id(request: HttpRequest) -> int | None:
    subject = subject_of_viewer(request.user)
    return None if subject is None else subject.pk


def _person_request(request: HttpRequest, reference: str) -> tuple[RightsRequest, dict]:
    """The request, when it is the person's (else 404), and how they act on it."""
    subject_id = _subject_id(request)
    rights_request = rights_request_for_person(
        reference=reference, subject_id=subject_id, followed=followed_ids(request.session)
    )
    if rights_request is None:
        raise Http404
    if subject_id is not None and rights_request.subject_id == subject_id:
        return rights_request, {"actor": request.user, "by_link": False}
    return rights_request, {"actor": None, "by_link": True}


@never_cache
@require_safe
def my_requests(request: HttpRequest) -> HttpResponse:
    """ "My requests": the signed-in person's, and those this browser followed by link."""
    subject_id = _subject_id(request)
    followed = followed_ids(request.session)
    rights_requests = list(rights_request_list_for_person(subject_id=subject_id, followed=followed))
    return render(
        request,
        "dsr_requests/my_requests.html",
        {"rights_requests": rights_requests, "signed_in": request.user.is_authenticated},
    )


_QUESTION_KIND = f"message-{RequestMessage.Kind.TO_PERSON}"


def _detail_context(rights_request: RightsRequest, reply_form: ReplyForm | None) -> dict:
    may_reply = request_allows(rights_request, Action.RESUME)
    timeline = rights_request_timeline(rights_request=rights_request, for_person=True)
    # What VELUX asked last, shown above the answer form: the timeline holds the messages
    # in the order they were written (no second query for it).
    asked = [entry for entry in timeline if entry.kind == _QUESTION_KIND] if may_reply else []
    return {
        "rights_request": rights_request,
        "timeline": timeline,
        "may_reply": may_reply,
        "question": asked[-1] if asked else None,
        "may_withdraw": services.rights_request_may_withdraw(rights_request),
        "reply_form": reply_form
        or (ReplyForm(max_mb=settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB) if may_reply else None),
        # A released export's signed, expiring link (None before release and after expiry);
        # the download view checks the owner again (the session's followed requests too).
        "export_download_url": export_download_url(rights_request=rights_request),
    }


@never_cache
@sensitive_post_parameters("message")
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A request's page: reference, status, due date, timeline with the messages both ways;
    the answer to a request for information (POST), with a document."""
    rights_request, acting = _person_request(request, reference)
    if request.method == "GET":
        return render(
            request, "dsr_requests/request_detail.html", _detail_context(rights_request, None)
        )
    form = ReplyForm(request.POST, request.FILES, max_mb=settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB)
    if form.is_valid():
        try:
            services.rights_request_reply(
                rights_request=rights_request,
                message=form.cleaned_data["message"],
                upload=form.cleaned_data["document"] or None,
                **acting,
            )
        except TransitionRefused:
            if not _answered_just_now(rights_request, form.cleaned_data["message"]):
                messages.error(request, _("We are not waiting for an answer on this request."))
            # else a double click: the first POST kept the answer and queued its thanks.
            return redirect("dsr_requests:detail", reference=rights_request.reference)
        except RightsRequestError as error:
            errors_from(form, error)
        else:
            messages.success(request, _("Thank you. We have received your answer."))
            return redirect("dsr_requests:detail", reference=rights_request.reference)
    return render(
        request,
        "dsr_requests/request_detail.html",
        _detail_context(rights_request, form),
        status=400,
    )


def _answered_just_now(rights_request: RightsRequest, message: str) -> bool:
    """The person's last answer is this very text, sent in the last few minutes."""
    last = (
        rights_request.messages.filter(kind=RequestMessage.Kind.FROM_PERSON)
        .order_by("-created_at", "-pk")
        .first()
    )
    return (
        last is not None
        and last.body == message.strip()
        and last.created_at >= timezone.now() - DOUBLE_SUBMIT_WINDOW
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    """Withdraw a request not yet answered: a page that says what it means, and a button."""
    rights_request, acting = _person_request(request, reference)
    if request.method == "POST" and rights_request.state == State.WITHDRAWN:
        # A double click: the first POST withdrew it and queued its message.
        return redirect("dsr_requests:detail", reference=rights_request.reference)
    if not services.rights_request_may_withdraw(rights_request):
        messages.error(request, _("This request can no longer be withdrawn."))
        return redirect("dsr_requests:detail", reference=rights_request.reference)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rights_request_withdraw(rights_request=rights_request, **acting)
        except TransitionRefused:
            rights_request.refresh_from_db(fields=["state"])
            if rights_request.state != State.WITHDRAWN:  # else: both clicks at once
                messages.error(request, _("This request can no longer be withdrawn."))
        else:
            messages.success(
                request, _("Your request is withdrawn. We have sent you a confirmation.")
            )
        return redirect("dsr_requests:detail", reference=rights_request.reference)
    return render(
        request, "dsr_requests/withdraw.html", {"rights_request": rights_request, "form": form}
    )


@never_cache
@require_http_methods(["GET"])
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """The export's ZIP, streamed, to its owner only (signed in as the request's subject, or
    having opened the request's follow link) and with a valid, unexpired signed token.
    Anyone else, a link expired or altered: 404, the same answer whatever the reason."""
    export = export_for_download(
        token=token,
        user=request.user,
        followed_requests=request.session.get("followed_requests") or (),
    )
    if export is None:
        return render(request, "dsr_requests/export_unavailable.html", status=404)
    response = FileResponse(
        export_download_open(export=export),
        as_attachment=True,
        filename=f"{export.rights_request.reference}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def recipient_notice(request: HttpRequest, token: str) -> HttpResponse:
    """GDPR Art. 19: the recipient's answer to a notice, from the e-mailed link (no account).
    A tampered or unknown link is a 404, an expired one a page that says so (410), a notice
    answered already a page that says so (409): none of them changes anything."""
    from dsr_requests import recipient_notices as notices
    from dsr_requests.forms import RecipientNoticeAnswerForm, errors_from
    from subjects.datamap import datamap

    closed = "dsr_requests/recipient_notice_closed.html"
    try:
        notice = notices.recipient_notice_for_token(token=token)
    except notices.NoticeLinkExpired:
        return render(request, closed, {"expired": True}, status=410)
    except notices.NoticeAnsweredAlready:
        return render(request, closed, {"answered": True}, status=409)
    except notices.NoticeLinkInvalid as error:
        raise Http404 from error
    form = RecipientNoticeAnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            notices.recipient_notice_answer(
                token=token,
                answer=form.cleaned_data["answer"],
                note=form.cleaned_data["note"],
                upload=form.cleaned_data.get("file"),
            )
        except notices.NoticeAnsweredAlready:
            return render(request, closed, {"answered": True}, status=409)
        except notices.NoticeLinkExpired:
            return render(request, closed, {"expired": True}, status=410)
        except notices.NoticeAnswerInvalid as error:
            errors_from(form, error)
        else:
            return render(request, "dsr_requests/recipient_notice_done.html", {"notice": notice})
    categories = [datamap.category(key).label for key in notice.categories if datamap.category(key)]
    return render(
        request,
        "dsr_requests/recipient_notice.html",
        {"notice": notice, "form": form, "categories": categories},
        status=400 if form.errors else 200,
    )
