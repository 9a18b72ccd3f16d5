"""The staff queue of rights requests in Django admin: the change list (the queue), the request
page (the person, their data, the timeline and a button per step the state allows), intake by
e-mail, phone, letter or branch, the dashboard and the record of processing activities.

Thin: every step calls one service (dsr_requests.services), which checks who may act; a
refused step (a DomainError) comes back as a message on the form, never an error page. Nothing
here deletes: requests are closed, never removed, and the audit trail is append-only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from dsr_requests import execution, limits, roles, services
from dsr_requests import forms as request_forms
from dsr_requests.admin_exports import export_review_url, export_urls
from dsr_requests.models import (
    AuditEvent,
    ExecutionStep,
    NotificationSend,
    RequestAttachment,
    RightsRequest,
)
from dsr_requests.selectors import (
    DashboardFigures,
    dashboard_figures,
    processing_record_build,
    rights_request_queue,
    rights_request_search,
    rights_request_timeline,
    week_end,
)
from dsr_requests.workflow import (
    CLOSED_STATES,
    OPEN_STATES,
    Action,
    Kind,
    State,
    request_allows,
)
from subjects.admin import subject_page_actions
from subjects.models import DataSubject
from velux_privacy.calendar import local_date
from velux_privacy.errors import DomainError

# Panels of the request page added by the executions (erasure preview, recipient notices,
# proposed corrections): each `panel(request, rights_request)` returns None or a dict with the
# "template" to include and its context (the template sees it as `panel`).
request_page_panels: list[Callable[[HttpRequest, RightsRequest], dict | None]] = []

# Days left at which the queue turns amber, then red (issue 8: green ≥ 10, amber 5–9).
AMBER_BELOW = 10
RED_BELOW = 5


# Filters of the queue. None costs a query to draw.


class StatusFilter(admin.SimpleListFilter):
    """Open requests unless asked otherwise: the queue is what is still to answer."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("unconfirmed", _("Web requests not confirmed yet")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(state__in=sorted(OPEN_STATES))
        if value == "closed":
            return queryset.filter(state__in=sorted(CLOSED_STATES))
        if value == "unconfirmed":
            return queryset.filter(state=State.UNCONFIRMED)
        return queryset.exclude(state=State.UNCONFIRMED)


class DueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("week", _("Due this week")),
            ("paused", _("Clock paused")),
        ]

    def queryset(self, request, queryset):
        today = local_date()
        running = queryset.filter(state__in=sorted(OPEN_STATES)).exclude(
            state=State.AWAITING_SUBJECT
        )
        if self.value() == "overdue":
            return queryset.overdue(today)
        if self.value() == "week":
            return running.filter(due_on__gte=today, due_on__lte=week_end(today))
        if self.value() == "paused":
            return queryset.filter(state=State.AWAITING_SUBJECT)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("To me")), ("nobody", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class TypeFilter(admin.SimpleListFilter):
    """Complaints (§10) apart from the rights requests (§5)."""

    title = _("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [("requests", _("Rights requests")), ("complaints", _("Complaints"))]

    def queryset(self, request, queryset):
        if self.value() == "requests":
            return queryset.exclude(kind=Kind.COMPLAINT)
        if self.value() == "complaints":
            return queryset.filter(kind=Kind.COMPLAINT)
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("email_failed", _("An e-mail failed")),
            ("step_failed", _("A step of the execution failed")),
            ("duplicate", _("Duplicates")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "email_failed":
            return queryset.filter(email_failed=True)
        if self.value() == "step_failed":
            return queryset.filter(step_failed=True)
        if self.value() == "duplicate":
            return queryset.filter(duplicate_of__isnull=False)
        return queryset


# The steps on the request page


@dataclass(frozen=True)
class Step:
    """One button of the request page: its form and the service it calls."""

    name: str
    label: str
    form: type
    run: Callable[..., Any]
    done: str  # the message once done
    help: str = ""
    primary: bool = False
    danger: bool = False


def _verify(request, rights_request, data):
    return services.rights_request_verify(
        rights_request=rights_request,
        actor=request.user,
        method=data["method"],
        mandate_checked=data.get("mandate_checked", False),
    )


def _ask(request, rights_request, data):
    return services.rights_request_ask(
        rights_request=rights_request,
        actor=request.user,
        reason=data["reason"],
        message=data["message"],
    )


def _resume(request, rights_request, data):
    return services.rights_request_resume(
        rights_request=rights_request, actor=request.user, message=data.get("message", "")
    )


def _extend(request, rights_request, data):
    return services.rights_request_extend(
        rights_request=rights_request,
        actor=request.user,
        months=data["months"],
        reason=data["reason"],
    )


def _assign(request, rights_request, data):
    return services.rights_request_assign(
        rights_request=rights_request, actor=request.user, assignee=data.get("assignee")
    )


def _note(request, rights_request, data):
    return services.rights_request_note(
        rights_request=rights_request, actor=request.user, text=data["text"]
    )


def _attach(request, rights_request, data):
    return services.rights_request_attach(
        rights_request=rights_request, actor=request.user, kind=data["kind"], upload=data["file"]
    )


def _complete(request, rights_request, data):
    if rights_request.kind in limits.LIMIT_KINDS and request_allows(rights_request, Action.START):
        return limits.rights_request_limit_decide(
            rights_request=rights_request,
            actor=request.user,
            ends_on=data.get("ends_on"),
            grounds=data.get("grounds", ""),
        )
    if rights_request.state == State.IN_PROGRESS:
        return services.rights_request_execution_done(
            rights_request=rights_request, actor=request.user, outcome=data.get("outcome", "")
        )
    return services.rights_request_complete(
        rights_request=rights_request, actor=request.user, outcome=data.get("outcome", "")
    )


def _lift(request, rights_request, data):
    return limits.rights_request_limit_lift(
        rights_request=rights_request, actor=request.user, reason=data["reason"]
    )


def _reject(request, rights_request, data):
    return services.rights_request_reject(
        rights_request=rights_request,
        actor=request.user,
        ground=data["ground"],
        reason=data.get("reason", ""),
    )


def _withdraw(request, rights_request, data):
    return services.rights_request_withdraw(rights_request=rights_request, actor=request.user)


def _merge(request, rights_request, data):
    return services.rights_request_merge(
        rights_request=rights_request, into=data["into"], actor=request.user
    )


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("assign", _("Assign"), request_forms.AssignForm, _assign, _("Assigned.")),
        Step(
            "verify",
            _("Verify identity"),
            request_forms.VerifyForm,
            _verify,
            _("Identity verified."),
            help=_("Check no more than needed (EDPB 01/2022 §65): record how, keep no copy."),
            primary=True,
        ),
        Step(
            "ask",
            _("Ask the person"),
            request_forms.AskForm,
            _ask,
            _("The question is on its way; the clock is paused."),
            help=_(
                "For identity proof or a clarification only. The clock pauses until the "
                "answer comes (EDPB 01/2022 §159)."
            ),
        ),
        Step(
            "resume",
            _("Record the answer"),
            request_forms.ResumeForm,
            _resume,
            _("Answer recorded; the clock runs again."),
            primary=True,
        ),
        Step(
            "extend",
            _("Extend the deadline"),
            request_forms.ExtendForm,
            _extend,
            _("Deadline extended; the person is told why."),
            help=_(
                "GDPR Art. 12(3): by two months at most, decided within the first month, "
                "with the reason sent to the person."
            ),
        ),
        Step("note", _("Add a note"), request_forms.NoteForm, _note, _("Note added.")),
        Step(
            "attach",
            _("Add a document"),
            request_forms.AttachForm,
            _attach,
            _("Document added."),
            help=_(
                "A scanned letter, an e-mail or a proof of mandate. Never a copy of an "
                "identity document."
            ),
        ),
        Step(
            "complete",
            _("Complete"),
            request_forms.CompleteForm,
            _complete,
            _("Done."),
            primary=True,
        ),
        Step(
            "lift",
            _("Lift the restriction"),
            request_forms.LiftForm,
            _lift,
            _("The person is told; the restriction ends on the day the e-mail names."),
            help=_(
                "GDPR Art. 18(3): the person is told before the restriction is lifted. It "
                "ends after the notice period, on the day the e-mail names."
            ),
        ),
        Step(
            "reject",
            _("Reject"),
            request_forms.RejectForm,
            _reject,
            _("Rejected; the person is told why and how to complain."),
            danger=True,
        ),
        Step(
            "merge",
            _("Merge into the first request"),
            request_forms.MergeForm,
            _merge,
            _("Merged; the person is told."),
        ),
        Step(
            "withdraw",
            _("Record a withdrawal"),
            request_forms.ConfirmForm,
            _withdraw,
            _("Withdrawn; the person gets a confirmation."),
            help=_("Only when the person withdrew the request (by phone, by letter)."),
            danger=True,
        ),
    )
}
STEP_ACTIONS = {
    "assign": Action.ASSIGN,
    "verify": Action.VERIFY,
    "ask": Action.ASK,
    "resume": Action.RESUME,
    "extend": Action.EXTEND,
    "note": Action.NOTE,
    "attach": Action.ATTACH,
    "reject": Action.REJECT,
    "merge": Action.MERGE,
    "withdraw": Action.WITHDRAW,
    "lift": Action.LIFT,
}


def steps_available(viewer, rights_request: RightsRequest) -> list[Step]:
    """The buttons for `viewer` on `rights_request`: what its state allows, if the viewer may
    work it (the services check again)."""
    if not roles.may_work(viewer, rights_request):
        return []
    found = []
    for name, step in STEPS.items():
        if name == "complete":
            allowed = request_allows(rights_request, Action.START) or (
                request_allows(rights_request, Action.COMPLETE)
                and _done_by_hand_possible(rights_request)
            )
        elif name == "lift":
            allowed = request_allows(rights_request, Action.LIFT) and bool(
                limits.limit_lift_candidates(rights_request, timezone.now())
            )
        elif name == "merge":
            allowed = rights_request.duplicate_of_id is not None and request_allows(
                rights_request, Action.MERGE
            )
        elif name in ("withdraw", "reject"):
            # Not once the execution did what cannot be undone (services refuse it too).
            allowed = request_allows(
                rights_request, STEP_ACTIONS[name]
            ) and not execution.execution_irreversible(rights_request_id=rights_request.pk)
        else:
            allowed = request_allows(rights_request, STEP_ACTIONS[name])
        if allowed:
            found.append(step)
    return found


def _done_by_hand_possible(rights_request: RightsRequest) -> bool:
    """ "Mark as done" on a request in progress: when no executor does its kind's work, or
    when a step of the execution failed and staff finish by hand. Otherwise the execution
    completes the request itself (an export only once staff released it): a button here
    would skip the review and the person's download link."""
    if rights_request.state != State.IN_PROGRESS:
        return True
    if execution.executor_for(rights_request.kind) is None:
        return True
    return rights_request.steps.filter(status=ExecutionStep.Status.FAILED).exists()


def _step_form_class(step: Step, rights_request: RightsRequest):
    if step.name == "complete" and request_allows(rights_request, Action.START):
        if rights_request.kind == Kind.RESTRICTION:
            return request_forms.RestrictionStartForm
        if rights_request.kind == Kind.OBJECTION:
            return request_forms.ObjectionDecisionForm
        return request_forms.ConfirmForm  # starts the execution: nothing to write yet
    return step.form


def _step_label(step: Step, rights_request: RightsRequest) -> str:
    if step.name == "complete" and rights_request.state == State.IN_PROGRESS:
        return gettext("Mark as done")
    return str(step.label)


def _step_help(step: Step, rights_request: RightsRequest) -> str:
    if step.name == "complete":
        if request_allows(rights_request, Action.START):
            if rights_request.kind == Kind.OBJECTION:
                return gettext(
                    "An objection is granted unless you record compelling legitimate grounds: "
                    "the processing objected to stops and the person is told. With grounds, "
                    "the person gets them as the answer."
                )
            if rights_request.kind == Kind.RESTRICTION:
                return gettext(
                    "Restricts the processing of the person's data (GDPR Art. 18) from now "
                    "on: marketing and the uses of §2.4 and §2.6 stop, nothing is erased by "
                    "schedule. The person is told."
                )
            return gettext(
                "Starts the work the request asks for (an export, an erasure, a correction…). "
                "The person is told when it is done."
            )
        if rights_request.state == State.IN_PROGRESS:
            return gettext("When the work was done by hand: say what was done. It is sent.")
        return gettext("Write the answer to the complaint. It is sent to the person.")
    return str(step.help)


# The queue


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    # The due date right after the reference: on a phone it is what shows without scrolling.
    list_display = (
        "reference_link",
        "due",
        "state_badge",
        "kind",
        "assignee_email",
        "received",
        "marks",
    )
    list_display_links = None
    list_filter = (
        StatusFilter,
        DueFilter,
        AssigneeFilter,
        TypeFilter,
        "kind",
        "state",
        "channel",
        AttentionFilter,
    )
    search_fields = ("reference",)  # by reference or e-mail: get_search_results
    search_help_text = _(
        "Search by reference (or its last characters) or by the e-mail address of the person "
        "or their representative."
    )
    # A total order the index dsr_rr_queue_order serves (no sort at any page).
    ordering = ("due_on", "received_at", "pk")
    list_per_page = 50
    show_full_result_count = False
    actions = None

    class Media:
        css = {"all": ("dsr_requests/admin.css", "subjects/admin_personal_data.css")}

    # Permissions: a request is closed, never deleted; its fields change only through steps.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(roles.ENTER)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RightsRequest]:
        # Unconfirmed web requests too: the status filter shows them only when asked.
        return rights_request_queue(viewer=request.user, include_unconfirmed=True)

    def get_search_results(self, request, queryset, search_term):
        return rights_request_search(queryset, search_term), False

    # Columns

    @admin.display(description=_("reference"), ordering="reference")
    def reference_link(self, obj: RightsRequest) -> str:
        url = reverse("admin:dsr_requests_rightsrequest_change", args=[obj.pk])
        return format_html('<a class="request-reference" href="{}">{}</a>', url, obj.reference)

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: RightsRequest) -> str:
        return format_html(
            '<span class="request-state request-state-{}">{}</span>',
            obj.state,
            obj.get_state_display(),
        )

    @admin.display(description=_("assignee"), ordering="assignee__email")
    def assignee_email(self, obj: RightsRequest) -> str:
        return obj.assignee.email if obj.assignee_id else "—"

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj: RightsRequest) -> str:
        return obj.received_on.strftime("%d/%m/%Y")

    @admin.display(description=_("due"), ordering="due_on")
    def due(self, obj: RightsRequest) -> str:
        return due_badge(obj)

    @admin.display(description=_("notes"))
    def marks(self, obj: RightsRequest) -> str:
        parts = []
        if obj.duplicate_of_id:
            url = reverse("admin:dsr_requests_rightsrequest_change", args=[obj.duplicate_of_id])
            parts.append(
                format_html(
                    '<a class="request-mark request-mark-duplicate" href="{}">{}</a>',
                    url,
                    gettext("duplicate of %(reference)s")
                    % {"reference": obj.duplicate_of.reference},
                )
            )
        if getattr(obj, "email_failed", False):
            parts.append(
                format_html(
                    '<span class="request-mark request-mark-failed">{}</span>',
                    gettext("e-mail failed"),
                )
            )
        if getattr(obj, "step_failed", False):
            parts.append(
                format_html(
                    '<span class="request-mark request-mark-failed">{}</span>',
                    gettext("step failed"),
                )
            )
        return format_html_join(" ", "{}", ((part,) for part in parts))

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dashboard_url": reverse("admin:dsr_requests_dashboard"),
            "record_url": reverse("admin:dsr_requests_processing_record"),
        }
        return super().changelist_view(request, extra_context)

    # Pages of its own

    def get_urls(self):
        def wrap(view, *, sensitive: bool = False):
            if sensitive:
                view = sensitive_post_parameters()(view)
            return self.admin_site.admin_view(view)

        return [
            path("dashboard/", wrap(self.dashboard_view), name="dsr_requests_dashboard"),
            path(
                "processing-record/",
                wrap(self.processing_record_view),
                name="dsr_requests_processing_record",
            ),
            path(
                "<path:object_id>/step/<str:step>/",
                wrap(self.step_view, sensitive=True),
                name="dsr_requests_rightsrequest_step",
            ),
            path(
                "<path:object_id>/documents/<int:attachment_id>/",
                wrap(self.attachment_view),
                name="dsr_requests_rightsrequest_attachment",
            ),
            path(
                "<path:object_id>/emails/<int:notification_id>/resend/",
                wrap(self.resend_view),
                name="dsr_requests_rightsrequest_resend",
            ),
            path(
                "<path:object_id>/retry/",
                wrap(self.retry_view),
                name="dsr_requests_rightsrequest_retry",
            ),
            *export_urls(self, wrap),
            *super().get_urls(),
        ]

    # The request page

    def _request_or_404(self, request: HttpRequest, object_id: str) -> RightsRequest:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit():
            raise Http404  # a mistyped or tampered address, not a server error
        return get_object_or_404(
            RightsRequest.objects.select_related("subject", "assignee", "duplicate_of"),
            pk=object_id,
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        rights_request = self._request_or_404(request, object_id)
        subject = rights_request.subject
        personal_data = None
        if subject is not None and request.user.has_perm("subjects.view_datasubject"):
            personal_data = self.admin_site.get_model_admin(DataSubject).personal_data(
                request, subject
            )
        pauses = list(rights_request.pauses.all())
        execution_steps = list(rights_request.steps.all())
        may_retry = (
            rights_request.state == State.IN_PROGRESS
            and roles.may_work(request.user, rights_request)
            and any(step.status == ExecutionStep.Status.FAILED for step in execution_steps)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": rights_request.reference,
            "rights_request": rights_request,
            "due": due_badge(rights_request),
            "first_month_ends_on": rights_request.first_month_ends_on()
            if rights_request.received_on
            else None,
            "pauses": pauses,
            "paused_days": sum(p.days for p in pauses),
            "timeline": rights_request_timeline(rights_request=rights_request),
            "attachments": list(rights_request.attachments.all()),
            "notifications": list(rights_request.notifications.all()),
            "execution_steps": execution_steps,
            "may_retry": may_retry,
            "duplicates": list(rights_request.duplicates.all()),
            "steps": [
                {
                    "name": step.name,
                    "label": _step_label(step, rights_request),
                    "primary": step.primary,
                    "danger": step.danger,
                    "url": reverse(
                        "admin:dsr_requests_rightsrequest_step", args=[rights_request.pk, step.name]
                    ),
                }
                for step in steps_available(request.user, rights_request)
            ],
            "may_work": roles.may_work(request.user, rights_request),
            "export_review_url": export_review_url(rights_request),
            "panels": [
                found
                for found in (panel(request, rights_request) for panel in request_page_panels)
                if found
            ],
            "personal_data": personal_data,
            "subject_url": reverse("admin:subjects_datasubject_change", args=[subject.pk])
            if subject is not None and request.user.has_perm("subjects.view_datasubject")
            else None,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dsr_requests/rightsrequest/request.html", context)

    def step_view(self, request: HttpRequest, object_id: str, step: str):
        rights_request = self._request_or_404(request, object_id)
        chosen = STEPS.get(step)
        if chosen is None or chosen not in steps_available(request.user, rights_request):
            messages.error(request, gettext("This step is not possible on the request now."))
            return self._back_to(rights_request)
        form_class = _step_form_class(chosen, rights_request)
        form_kwargs: dict[str, Any] = {}
        if form_class is request_forms.AssignForm:
            form_kwargs["viewer"] = request.user
        if form_class is request_forms.MergeForm:
            form_kwargs["rights_request"] = rights_request
        preview = None
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, **form_kwargs)
            if form.is_valid():
                if chosen.name == "reject" and "change" in request.POST:
                    pass  # back to the form, with what was typed
                elif chosen.name == "reject" and "send" not in request.POST:
                    preview = services.rejection_preview(
                        rights_request=rights_request,
                        ground=form.cleaned_data["ground"],
                        reason=form.cleaned_data.get("reason", ""),
                    )
                    if form.cleaned_data["ground"] == RightsRequest.RejectionGround.OTHER and (
                        not form.cleaned_data.get("reason", "").strip()
                    ):
                        preview = None
                        form.add_error(
                            "reason",
                            gettext("Write the reason for the rejection: the person is told."),
                        )
                else:
                    try:
                        chosen.run(request, rights_request, form.cleaned_data)
                    except DomainError as error:
                        request_forms.errors_from(form, error)
                    else:
                        messages.success(request, str(chosen.done))
                        return self._back_to(rights_request)
        else:
            form = form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{_step_label(chosen, rights_request)} · {rights_request.reference}",
            "rights_request": rights_request,
            "step": chosen,
            "step_label": _step_label(chosen, rights_request),
            "step_help": _step_help(chosen, rights_request),
            "form": form,
            "preview": preview,
            "preview_html": preview.alternatives[0][0] if preview is not None else "",
            "due": due_badge(rights_request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dsr_requests/rightsrequest/step.html", context)

    def attachment_view(self, request: HttpRequest, object_id: str, attachment_id: int):
        rights_request = self._request_or_404(request, object_id)
        attachment = get_object_or_404(
            RequestAttachment, pk=attachment_id, rights_request=rights_request
        )
        try:
            handle = services.rights_request_attachment_open(
                attachment=attachment, actor=request.user
            )
        except DomainError as error:
            raise PermissionDenied from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name or f"document-{attachment.pk}",
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "no-store"
        return response

    def resend_view(self, request: HttpRequest, object_id: str, notification_id: int):
        rights_request = self._request_or_404(request, object_id)
        notification = get_object_or_404(
            NotificationSend, pk=notification_id, rights_request=rights_request
        )
        if request.method != "POST":
            return self._back_to(rights_request)
        try:
            services.notification_resend(notification=notification, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, gettext("The e-mail is being sent again."))
        return self._back_to(rights_request)

    def retry_view(self, request: HttpRequest, object_id: str):
        rights_request = self._request_or_404(request, object_id)
        if request.method != "POST":
            return self._back_to(rights_request)
        try:
            services.execution_retry(rights_request=rights_request, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, gettext("The failed steps are being run again."))
        return self._back_to(rights_request)

    def _back_to(self, rights_request: RightsRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
        )

    # Intake by staff

    @method_decorator(sensitive_post_parameters())
    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"language": "nl", "received_on": local_date()}
        subject_id = request.GET.get("subject")
        if subject_id and subject_id.isdigit():
            subject = DataSubject.objects.filter(pk=subject_id).first()
            if subject is not None:
                initial.update(
                    email=subject.email,
                    name=subject.full_name,
                    language=subject.preferred_language,
                    phone=subject.phone,
                )
        if request.method == "POST":
            form = request_forms.IntakeForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    rights_request = services.rights_request_receive(
                        actor=request.user,
                        kind=data["kind"],
                        channel=data["channel"],
                        received_at=form.received_at(),
                        email=data["email"],
                        language=data["language"],
                        name=data["name"],
                        phone=data["phone"],
                        postal_address=data["postal_address"],
                        details=data["details"],
                        purpose=data["purpose"],
                        representative_name=data["representative_name"],
                        representative_email=data["representative_email"] or "",
                        representation=data["representation"],
                        identity_method=data["identity_method"],
                        mandate_checked=data["mandate_checked"],
                        attachments=form.attachments(),
                    )
                except DomainError as error:
                    request_forms.errors_from(form, error)
                else:
                    messages.success(
                        request,
                        gettext("Request %(reference)s entered; due %(due)s.")
                        % {
                            "reference": rights_request.reference,
                            "due": rights_request.due_on.strftime("%d/%m/%Y"),
                        },
                    )
                    return self._back_to(rights_request)
        else:
            form = request_forms.IntakeForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Enter a request received by e-mail, phone, letter or at a branch"),
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dsr_requests/rightsrequest/intake.html", context)

    # The dashboard and the record of processing activities

    def dashboard_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise PermissionDenied
        figures = dashboard_figures(viewer=request.user)
        if request.GET.get("format") == "csv":
            return _csv_response(
                f"rights-requests-figures-{figures.today.isoformat()}.csv", _dashboard_rows(figures)
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Rights requests: figures"),
            "figures": figures,
            "grid": _grid_rows(figures),
            "chart": _chart(figures),
            "states": [State(s) for s in figures.open_states()],
            "csv_url": f"{reverse('admin:dsr_requests_dashboard')}?format=csv",
            "queue_url": reverse("admin:dsr_requests_rightsrequest_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dsr_requests/dashboard.html", context)

    def processing_record_view(self, request: HttpRequest):
        try:
            entries = processing_record_build(viewer=request.user)
        except PermissionDenied:
            raise
        if request.GET.get("format") == "csv":
            return _csv_response(
                f"record-of-processing-activities-{local_date().isoformat()}.csv",
                _record_rows(entries),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Record of processing activities (GDPR Art. 30(1))"),
            "entries": entries,
            "today": local_date(),
            "csv_url": f"{reverse('admin:dsr_requests_processing_record')}?format=csv",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dsr_requests/processing_record.html", context)


def due_badge(rights_request: RightsRequest) -> str:
    """The due date with the days left, in words and in colour (green ≥ 10 days, amber 5–9,
    red < 5 or overdue); a paused clock and a closed request say so instead."""
    if rights_request.due_on is None:
        return format_html('<span class="due due-none">{}</span>', gettext("not yet running"))
    date_text = rights_request.due_on.strftime("%d/%m/%Y")
    if rights_request.is_closed:
        if rights_request.is_answered and rights_request.closed_on is not None:
            on_time = rights_request.closed_on <= rights_request.due_on
            text = gettext("answered on time") if on_time else gettext("answered late")
            css = "due-done" if on_time else "due-late"
            return format_html('<span class="due {}">{} · {}</span>', css, date_text, text)
        return format_html('<span class="due due-done">{}</span>', date_text)
    if rights_request.is_paused:
        return format_html(
            '<span class="due due-paused">{} · {}</span>', date_text, gettext("clock paused")
        )
    left = (rights_request.due_on - local_date()).days
    if left < 0:
        text = ngettext("%(days)s day overdue", "%(days)s days overdue", -left) % {"days": -left}
    elif left == 0:
        text = gettext("due today")
    else:
        text = ngettext("%(days)s day left", "%(days)s days left", left) % {"days": left}
    colour = "green" if left >= AMBER_BELOW else "amber" if left >= RED_BELOW else "red"
    return format_html(
        '<span class="due due-{}"><time datetime="{}">{}</time> · {}</span>',
        colour,
        rights_request.due_on.isoformat(),
        date_text,
        text,
    )


# The dashboard's table, chart and CSV


def _grid_rows(figures: DashboardFigures) -> list[dict[str, Any]]:
    states = figures.open_states()
    rows = []
    for kind in Kind:
        counts = [figures.open_by_kind_and_state[kind.value][state] for state in states]
        rows.append({"kind": kind.label, "counts": counts, "total": sum(counts)})
    totals = [sum(row["counts"][index] for row in rows) for index in range(len(states))]
    return [*rows, {"kind": gettext("All"), "counts": totals, "total": sum(totals), "all": True}]


@dataclass(frozen=True)
class Bar:
    x: float
    month: object
    label: str
    on_time: int
    late: int
    on_time_y: float
    on_time_height: float
    late_y: float
    late_height: float
    total_y: float


CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 480, 250, 16, 214, 36


def _chart(figures: DashboardFigures) -> dict[str, Any]:
    """A stacked bar per month (on time below, late above), laid out for an inline SVG: the
    server draws it, no script, no outside library."""
    highest = max((m.total for m in figures.months), default=0) or 1
    scale = (CHART_BOTTOM - CHART_TOP) / highest
    slot = (CHART_WIDTH - CHART_LEFT - 10) / max(len(figures.months), 1)
    bars = []
    for index, month in enumerate(figures.months):
        on_time_height = month.on_time * scale
        late_height = month.late * scale
        on_time_y = CHART_BOTTOM - on_time_height
        bars.append(
            Bar(
                x=round(CHART_LEFT + index * slot + slot * 0.15, 1),
                month=month.month,
                # Every other month named: twelve labels do not fit a phone's width.
                # Every other month named, the current one always: twelve labels do not fit
                # a phone's width. The table beside the chart names them all.
                label=month.month.strftime("%m/%y")
                if index % 2 == (len(figures.months) - 1) % 2
                else "",
                on_time=month.on_time,
                late=month.late,
                on_time_y=round(on_time_y, 1),
                on_time_height=round(on_time_height, 1),
                late_y=round(on_time_y - late_height, 1),
                late_height=round(late_height, 1),
                total_y=round(on_time_y - late_height - 4, 1),
            )
        )
    ticks = sorted({0, highest // 2, highest})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bar_width": round(slot * 0.7, 1),
        "bottom": CHART_BOTTOM,
        "left": CHART_LEFT,
        "bars": bars,
        "label_y": CHART_BOTTOM + 16,
        "ticks": [{"value": t, "y": round(CHART_BOTTOM - t * scale, 1)} for t in ticks],
        "right": CHART_WIDTH - 10,
    }


def _dashboard_rows(figures: DashboardFigures) -> list[list[Any]]:
    states = figures.open_states()
    rows: list[list[Any]] = [
        [gettext("Rights requests: figures"), figures.today.isoformat()],
        [],
        [gettext("Open requests"), figures.open_total],
        [gettext("Due this week"), figures.due_this_week],
        [gettext("Overdue"), figures.overdue],
        [gettext("Clock paused"), figures.paused],
        [
            gettext("Median days from receipt to answer (last 12 months)"),
            figures.median_days_to_answer if figures.median_days_to_answer is not None else "",
        ],
        [],
        [
            gettext("Open, by kind and state"),
            *[str(State(s).label) for s in states],
            gettext("total"),
        ],
    ]
    for row in _grid_rows(figures):
        rows.append([str(row["kind"]), *row["counts"], row["total"]])
    rows += [
        [],
        [gettext("Month"), gettext("answered on time"), gettext("answered late"), gettext("total")],
    ]
    for month in figures.months:
        rows.append([month.month.strftime("%Y-%m"), month.on_time, month.late, month.total])
    return rows


def _record_rows(entries) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            gettext("Controller"),
            "VELUX Belgium, Boulevard de l'Europe 121, 1301 Bierges, info-be@velux.com",
        ],
        [],
        [
            gettext("Section"),
            gettext("Purpose"),
            gettext("Legal basis"),
            gettext("Categories of persons"),
            gettext("Categories of personal data"),
            gettext("Recipients"),
            gettext("Transfers outside the EEA and safeguards"),
            gettext("Retention"),
        ],
    ]
    for entry in entries:
        rows.append(
            [
                entry.section,
                entry.name,
                entry.legal_basis,
                entry.data_subjects,
                "; ".join(f"{c.label}: {', '.join(c.fields)}" for c in entry.categories),
                "; ".join(
                    f"{r.name} ({r.category}, {r.role}, {r.country})" for r in entry.recipients
                ),
                "; ".join(f"{r.name} ({r.country}): {r.safeguard}" for r in entry.transfers),
                entry.retention,
            ]
        )
    return rows


def _csv_response(filename: str, rows: list[list[Any]]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet programs read the accents right
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_safe(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


# The audit trail and the e-mails, for reading


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: append-only, no personal data beyond ids and references."""

    list_display = ("at", "reference", "action", "actor_kind", "actor", "from_state", "to_state")
    list_select_related = ("actor",)
    list_filter = ("action", "actor_kind")
    search_fields = ("reference",)
    search_help_text = _("Search by the request's reference.")
    ordering = ("-at", "-pk")
    show_full_result_count = False
    raw_id_fields = ("rights_request", "actor")

    def get_search_results(self, request, queryset, search_term):
        from dsr_requests.models import reference_normalise

        term = search_term.strip()
        if not term:
            return queryset, False
        reference = reference_normalise(term)
        if reference.startswith("VP-"):
            return queryset.filter(reference=reference), False
        return queryset.filter(reference__endswith=reference), False


@admin.register(NotificationSend)
class NotificationSendAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "rights_request",
        "kind",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_select_related = ("rights_request",)
    list_filter = ("status", "kind")
    search_fields = ("rights_request__reference",)
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    raw_id_fields = ("rights_request", "message")


# On the data subject's page: enter a request received for this person.


def _enter_request_for(request: HttpRequest, subject: DataSubject):
    if not request.user.has_perm(roles.ENTER):
        return None
    url = reverse("admin:dsr_requests_rightsrequest_add")
    return gettext("Enter a rights request"), f"{url}?subject={subject.pk}"


subject_page_actions.append(_enter_request_for)


# Erasure, rectification and their Art. 19 notices: their own module, loaded with this one.
from dsr_requests import admin_notices  # noqa: E402, F401
