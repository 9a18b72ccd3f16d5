"""The person's pages: confirming a request from the address it concerns, and downloading
the export that answers an access or portability request.

The privacy centre's request forms call `dsr_requests.services.rights_request_submit`; the
e-mail it sends links here. A GET only shows the request and a button (mail scanners follow
links: a GET must never confirm); the POST confirms.
"""

from django.http import FileResponse, HttpRequest, HttpResponse
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
