"""The staff review of an access or portability export before its release (GDPR Art. 15(4)),
in the admin: the rows of each category a page at a time, withholding a row with a reason (or
putting it back), and the release. Pages of RightsRequestAdmin (dsr_requests.admin adds the
URLs); thin: each action calls one service of dsr_requests.exports, which checks who may act.

Who sees what: staff who may view requests open the page; a category's rows show only to
staff whose own permissions show that model elsewhere in the admin (else its count only);
only staff who may work the request (dsr_requests.roles) withhold and release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dsr_requests import exports, roles
from dsr_requests.models import RequestExport, RightsRequest
from dsr_requests.workflow import HOLDING_KINDS, State
from subjects.models import DataSubject
from velux_privacy.errors import DomainError

if TYPE_CHECKING:
    from dsr_requests.admin import RightsRequestAdmin


class WithholdForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason given to the person"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_(
            "Shown to the person with the number of rows left out, in the e-mail and the "
            "export's summary. Name nobody: e.g. “it names another person”."
        ),
    )


def export_urls(model_admin: RightsRequestAdmin, wrap) -> list:
    def view(function):
        return wrap(
            lambda request, *args, **kwargs: function(model_admin, request, *args, **kwargs)
        )

    return [
        path(
            "<path:object_id>/export/",
            view(review_view),
            name="dsr_requests_rightsrequest_export",
        ),
        path(
            "<path:object_id>/export/withhold/",
            view(withhold_view),
            name="dsr_requests_rightsrequest_export_withhold",
        ),
        path(
            "<path:object_id>/export/restore/<int:withholding_id>/",
            view(restore_view),
            name="dsr_requests_rightsrequest_export_restore",
        ),
        path(
            "<path:object_id>/export/release/",
            view(release_view),
            name="dsr_requests_rightsrequest_export_release",
        ),
    ]


def export_review_url(rights_request: RightsRequest) -> str | None:
    """The review page of the request, for its page (access and portability only)."""
    if rights_request.kind not in HOLDING_KINDS or rights_request.subject_id is None:
        return None
    return reverse("admin:dsr_requests_rightsrequest_export", args=[rights_request.pk])


def _request_or_404(model_admin, request: HttpRequest, object_id: str) -> RightsRequest:
    rights_request = model_admin._request_or_404(request, object_id)
    if rights_request.kind not in HOLDING_KINDS or rights_request.subject_id is None:
        raise Http404
    return rights_request


def _review_url(rights_request: RightsRequest, category: str = "", page: int = 1) -> str:
    url = reverse("admin:dsr_requests_rightsrequest_export", args=[rights_request.pk])
    query = {}
    if category:
        query["category"] = category
    if page > 1:
        query["page"] = page
    return f"{url}?{urlencode(query)}" if query else url


def _may_see(model_admin, request: HttpRequest):
    subjects_admin = model_admin.admin_site.get_model_admin(DataSubject)
    return lambda category: subjects_admin._may_view(request, category.model)


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1


def review_view(model_admin, request: HttpRequest, object_id: str):
    rights_request = _request_or_404(model_admin, request, object_id)
    export = RequestExport.objects.filter(rights_request=rights_request).first()
    may_see = _may_see(model_admin, request)
    categories = exports.export_review_categories(rights_request=rights_request, may_see=may_see)
    chosen_key = request.GET.get("category") or next((c.key for c in categories if c.may_see), "")
    chosen = next((c for c in categories if c.key == chosen_key), None)
    rows = None
    if chosen is not None and chosen.may_see:
        rows = exports.export_review_rows(
            rights_request=rights_request,
            category_key=chosen.key,
            page=_page_number(request.GET.get("page")),
        )
    under_review = (
        rights_request.state == State.IN_PROGRESS
        and export is not None
        and export.built_at is not None
        and export.release_requested_at is None
    )
    may_act = under_review and roles.may_work(request.user, rights_request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("Review the export · %(reference)s")
        % {"reference": rights_request.reference},
        "rights_request": rights_request,
        "export": export,
        "categories": [
            {"category": c, "url": _review_url(rights_request, c.key), "current": c is chosen}
            for c in categories
        ],
        "chosen": chosen,
        "rows": rows,
        "page_urls": _page_urls(rights_request, rows),
        "withholdings": list(rights_request.export_withholdings.all()),
        "withheld_total": sum(c.withheld for c in categories),
        "under_review": under_review,
        "may_act": may_act,
        "release_url": reverse(
            "admin:dsr_requests_rightsrequest_export_release", args=[rights_request.pk]
        ),
        "withhold_url": reverse(
            "admin:dsr_requests_rightsrequest_export_withhold", args=[rights_request.pk]
        ),
        "back_url": _review_url(
            rights_request, chosen.key if chosen else "", rows.page if rows else 1
        ),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/dsr_requests/rightsrequest/export_review.html", context)


def _page_urls(rights_request: RightsRequest, rows) -> dict:
    if rows is None or rows.pages <= 1:
        return {}
    key = rows.category.key
    return {
        "previous": _review_url(rights_request, key, rows.page - 1) if rows.page > 1 else "",
        "next": _review_url(rights_request, key, rows.page + 1) if rows.page < rows.pages else "",
    }


def withhold_view(model_admin, request: HttpRequest, object_id: str):
    rights_request = _request_or_404(model_admin, request, object_id)
    if not roles.may_work(request.user, rights_request):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    category_key = source.get("category", "")
    row_id = source.get("row", "")
    back = _review_url(rights_request, category_key, _page_number(source.get("page")))
    row = exports.export_review_row(
        rights_request=rights_request, category_key=category_key, row_id=row_id
    )
    if row is None or not _may_see(model_admin, request)(row.category):
        messages.error(request, gettext("This row is not in the export."))
        return HttpResponseRedirect(back)
    form = WithholdForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            exports.export_row_withhold(
                rights_request=rights_request,
                actor=request.user,
                category_key=category_key,
                row_id=row_id,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            for name, errors in error.fields.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
            if not error.fields:
                form.add_error(None, str(error.message))
        else:
            messages.success(
                request, gettext("The row is withheld; the person will see the count and why.")
            )
            return HttpResponseRedirect(back)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("Withhold a row · %(reference)s")
        % {"reference": rights_request.reference},
        "rights_request": rights_request,
        "category": row.category,
        "cells": row.cells,
        "row_id": row_id,
        "page": _page_number(source.get("page")),
        "form": form,
        "back_url": back,
        "review_url": _review_url(rights_request),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request, "admin/dsr_requests/rightsrequest/export_withhold.html", context
    )


def restore_view(model_admin, request: HttpRequest, object_id: str, withholding_id: int):
    rights_request = _request_or_404(model_admin, request, object_id)
    back = _review_url(
        rights_request, request.POST.get("category", ""), _page_number(request.POST.get("page"))
    )
    if request.method != "POST":
        return HttpResponseRedirect(back)
    try:
        exports.export_row_restore(
            rights_request=rights_request, actor=request.user, withholding_id=withholding_id
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, gettext("The row is back in the export."))
    return HttpResponseRedirect(back)


def release_view(model_admin, request: HttpRequest, object_id: str):
    rights_request = _request_or_404(model_admin, request, object_id)
    if request.method != "POST":
        return HttpResponseRedirect(_review_url(rights_request))
    try:
        exports.rights_request_export_release(rights_request=rights_request, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(_review_url(rights_request))
    messages.success(
        request,
        gettext("Released: the person gets an e-mail with the download link."),
    )
    return HttpResponseRedirect(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    )
