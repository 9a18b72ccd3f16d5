"""The person's pages: confirming a request from the address it concerns, and downloading
the export that answers an access or portability request.

The privacy centre's request forms call `dsr_requests.services.rights_request_submit`; the
e-mail it sends links here. A GET only shows the request and a button (mail scanners follow
links: a GET must never confirm); the POST confirms.
"""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dsr_requests.exceptions import ConfirmationInvalid
from dsr_requests.exports import export_download_open, export_for_download
from dsr_requests.selectors import rights_request_for_confirmation
from dsr_requests.services import rights_request_confirm


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    rights_request = rights_request_for_confirmation(token=token)
    if rights_request is None:
        return render(request, "dsr_requests/confirm_invalid.html", status=404)
    if request.method == "GET":
        return render(request, "dsr_requests/confirm.html", {"rights_request": rights_request})
    try:
        confirmed = rights_request_confirm(token=token)
    except ConfirmationInvalid:
        return render(request, "dsr_requests/confirm_invalid.html", status=404)
    return render(request, "dsr_requests/confirmed.html", {"rights_request": confirmed})


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
