"""The staff side of erasure and rectification requests and their Art. 19 notices.

On the request page (`admin.request_page_panels`): before "Complete" on an erasure request,
what the erasure will erase, keep and stop (the erasure itself, run and rolled back); the
proposed corrections of a rectification request, each with a "Decide" button; the recipient
notices with their state and a "Tick off" button for those staff record. The lists of notices
and corrections are read-only; every change is a service (dsr_requests.recipient_notices,
dsr_requests.rectification), which checks who may act.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from dsr_requests import forms as request_forms
from dsr_requests import roles
from dsr_requests.admin import ReadOnlyAdmin, due_badge, request_page_panels
from dsr_requests.erasure import erasure_preview_build
from dsr_requests.models import RecipientNotice, RectificationItem, RightsRequest
from dsr_requests.recipient_notices import recipient_notice_tick_off
from dsr_requests.rectification import _field_label, rectification_item_decide
from dsr_requests.workflow import Kind, State
from subjects.datamap import datamap
from velux_privacy.errors import DomainError


def _change_url(rights_request: RightsRequest) -> str:
    return reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])


# Panels of the request page


def _erasure_preview_panel(request: HttpRequest, rights_request: RightsRequest):
    if rights_request.kind != Kind.ERASURE or rights_request.state not in (
        State.RECEIVED,
        State.AWAITING_SUBJECT,
        State.VERIFIED,
    ):
        return None
    if not request.user.has_perm("subjects.view_datasubject"):
        return None
    return {
        "template": "admin/dsr_requests/rightsrequest/_erasure_preview.html",
        "report": erasure_preview_build(rights_request=rights_request),
    }


def _notices_panel(request: HttpRequest, rights_request: RightsRequest):
    notices = list(rights_request.recipient_notices.select_related("recipient", "answered_by"))
    if not notices:
        return None
    may_work = roles.may_work(request.user, rights_request) and rights_request.is_open
    rows = []
    for notice in notices:
        rows.append(
            {
                "notice": notice,
                "categories": [
                    datamap.category(key).label
                    for key in notice.categories
                    if datamap.category(key)
                ],
                "tick_off_url": reverse(
                    "admin:dsr_requests_recipientnotice_tick_off", args=[notice.pk]
                )
                if may_work and not notice.is_answered
                else "",
                "file_url": reverse("admin:dsr_requests_recipientnotice_file", args=[notice.pk])
                if notice.file
                else "",
            }
        )
    return {
        "template": "admin/dsr_requests/rightsrequest/_recipient_notices.html",
        "rows": rows,
        "open": sum(1 for n in notices if not n.is_answered),
    }


def _corrections_panel(request: HttpRequest, rights_request: RightsRequest):
    if rights_request.kind != Kind.RECTIFICATION:
        return None
    items = list(rights_request.rectification_items.select_related("decided_by"))
    may_work = roles.may_work(request.user, rights_request) and rights_request.state in (
        State.VERIFIED,
        State.IN_PROGRESS,
    )
    return {
        "template": "admin/dsr_requests/rightsrequest/_corrections.html",
        "rows": [
            {
                "item": item,
                "category": datamap.category(item.category).label
                if datamap.category(item.category)
                else item.category,
                "field": _field_label(item.category, item.field),
                "decide_url": reverse("admin:dsr_requests_rectificationitem_decide", args=[item.pk])
                if may_work and not item.applied_at
                else "",
            }
            for item in items
        ],
    }


request_page_panels.extend([_erasure_preview_panel, _corrections_panel, _notices_panel])


def _form_page(request, rights_request, *, label: str, help_text: str, form):
    context = {
        **admin.site.each_context(request),
        "opts": RightsRequest._meta,
        "title": f"{label} · {rights_request.reference}",
        "rights_request": rights_request,
        "step": SimpleNamespace(name="", danger=False),
        "step_label": label,
        "step_help": help_text,
        "form": form,
        "preview": None,
        "due": due_badge(rights_request),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/dsr_requests/rightsrequest/step.html", context)


@admin.register(RecipientNotice)
class RecipientNoticeAdmin(ReadOnlyAdmin):
    """GDPR Art. 19 notices: which recipients were told of an erasure or a rectification,
    and what they answered. Ticked off on the request's page."""

    list_display = (
        "created_at",
        "rights_request",
        "recipient",
        "reason",
        "answer",
        "answered_at",
        "reminders",
        "escalated_at",
    )
    list_select_related = ("rights_request", "recipient")
    list_filter = ("reason", "answer", ("answered_at", admin.EmptyFieldListFilter), "escalated_at")
    search_fields = ("rights_request__reference",)
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    raw_id_fields = ("rights_request", "answered_by")
    exclude = ("link_nonce",)

    def get_urls(self):
        return [
            path(
                "<int:notice_id>/tick-off/",
                self.admin_site.admin_view(self.tick_off_view),
                name="dsr_requests_recipientnotice_tick_off",
            ),
            path(
                "<int:notice_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="dsr_requests_recipientnotice_file",
            ),
            *super().get_urls(),
        ]

    def tick_off_view(self, request: HttpRequest, notice_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        notice = get_object_or_404(
            RecipientNotice.objects.select_related("rights_request", "recipient"), pk=notice_id
        )
        rights_request = notice.rights_request
        form = request_forms.NoticeTickOffForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                recipient_notice_tick_off(
                    notice=notice,
                    actor=request.user,
                    answer=form.cleaned_data["answer"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                request_forms.errors_from(form, error)
            else:
                messages.success(request, gettext("The notice is ticked off."))
                return HttpResponseRedirect(_change_url(rights_request))
        return _form_page(
            request,
            rights_request,
            label=gettext("Tick off the notice to %(recipient)s")
            % {"recipient": notice.recipient.name},
            help_text=gettext(
                "GDPR Art. 19: record what the recipient answered, and how. An answer is "
                "final; the request completes when every notice is answered."
            ),
            form=form,
        )

    def file_view(self, request: HttpRequest, notice_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        notice = get_object_or_404(RecipientNotice, pk=notice_id)
        if not notice.file:
            raise PermissionDenied
        response = FileResponse(
            notice.file.open("rb"),
            as_attachment=True,
            filename=notice.file_name or f"answer-{notice.pk}",
            content_type=notice.file_type or "application/octet-stream",
        )
        response["Cache-Control"] = "no-store"
        return response


@admin.register(RectificationItem)
class RectificationItemAdmin(ReadOnlyAdmin):
    """The values proposed in rectification requests, and the decisions (made on the
    request's page)."""

    list_display = ("rights_request", "category", "field", "decision", "decided_at", "applied_at")
    list_select_related = ("rights_request",)
    list_filter = ("decision",)
    search_fields = ("rights_request__reference",)
    ordering = ("-pk",)
    show_full_result_count = False
    raw_id_fields = ("rights_request", "decided_by")

    def get_urls(self):
        return [
            path(
                "<int:item_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="dsr_requests_rectificationitem_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, item_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = get_object_or_404(
            RectificationItem.objects.select_related("rights_request"), pk=item_id
        )
        rights_request = item.rights_request
        form = request_forms.CorrectionDecideForm(
            request.POST or None,
            initial={"decision": item.decision, "reason": item.reason},
        )
        if request.method == "POST" and form.is_valid():
            try:
                rectification_item_decide(
                    item=item,
                    actor=request.user,
                    accepted=form.cleaned_data["decision"] == RectificationItem.Decision.ACCEPTED,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                request_forms.errors_from(form, error)
            else:
                messages.success(request, gettext("Decision recorded."))
                return HttpResponseRedirect(_change_url(rights_request))
        return _form_page(
            request,
            rights_request,
            label=gettext("Decide: %(field)s") % {"field": _field_label(item.category, item.field)},
            help_text=gettext("Held: “%(current)s”. Proposed: “%(proposed)s”.")
            % {"current": item.current_value, "proposed": item.proposed_value},
            form=form,
        )
