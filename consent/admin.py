"""Staff admin of the consent app: the consent register and its text versions, newsletters,
policy versions (published by an action), the ledger and the current state (read-only), the
Do Not Call Me list's imports (with an upload), and recording a consent on a person's behalf
(from the data subject's page)."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from consent.exceptions import ConsentError
from consent.forms import DoNotCallUploadForm, RecordOnBehalfForm
from consent.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentPurposeVersion,
    ConsentState,
    DoNotCallImport,
    Newsletter,
    NewsletterSubscription,
    PolicyVersion,
    ReconsentRequest,
)
from consent.selectors import consent_choices_for_subject
from consent.services import (
    consent_give,
    consent_purpose_save,
    consent_withdraw,
    do_not_call_import,
    newsletter_subscribe,
    newsletter_unsubscribe,
    policy_version_publish,
)
from subjects.admin import ReadOnlyAdmin, subject_page_actions
from subjects.models import DataSubject
from subjects.services import subject_hash


class ConsentPurposeVersionInline(TranslationTabularInline):
    model = ConsentPurposeVersion
    fields = ("number", "name", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(TranslationAdmin):
    """A change of a consent's text makes a new version; the old ones stay readable."""

    group_fieldsets = True
    list_display = (
        "code",
        "name",
        "policy_purpose",
        "version",
        "contact_channel",
        "in_cookie_banner",
        "gpc_opt_out",
        "is_active",
    )
    list_filter = ("policy_purpose", "in_cookie_banner", "gpc_opt_out", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("recipients",)
    readonly_fields = ("version",)
    inlines = (ConsentPurposeVersionInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentPurpose | None = None):
        # The code is what the ledger and the senders refer to; the basis is the policy's.
        fixed = ("code", "policy_purpose") if obj is not None else ()
        return (*fixed, *self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger refers to it: stop offering it instead ("offered")

    def save_model(self, request: HttpRequest, obj: ConsentPurpose, form, change: bool) -> None:
        consent_purpose_save(purpose=obj, actor=request.user)


@admin.register(ConsentPurposeVersion)
class ConsentPurposeVersionAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "number", "name", "created_at", "created_by")
    list_select_related = ("purpose", "created_by")
    list_filter = ("purpose",)


@admin.register(Newsletter)
class NewsletterAdmin(TranslationAdmin):
    group_fieldsets = True
    list_display = ("code", "name", "kind", "purpose", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger refers to it: stop offering it instead


@admin.register(PolicyVersion)
class PolicyVersionAdmin(TranslationAdmin):
    """Versions are drafted here and published by the action; a published one is fixed."""

    group_fieldsets = True
    # The policy's address is a web page: typed without a scheme it means https (Django 6's
    # default, without the deprecation warning of Django 5.2).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "number",
        "effective_on",
        "material",
        "published_at",
        "published_by",
        "reconsent_count",
    )
    list_filter = ("material",)
    filter_horizontal = ("changed_purposes",)
    readonly_fields = ("published_at", "published_by")
    actions = ["publish"]

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None):
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("persons asked again"))
    def reconsent_count(self, obj: PolicyVersion) -> int:
        return obj.reconsent_requests.count()

    @admin.action(description=_("Publish the selected policy versions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for policy_version in queryset.order_by("effective_on"):
            try:
                asked = policy_version_publish(policy_version=policy_version, actor=request.user)
            except ConsentError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                continue
            self.message_user(
                request,
                gettext("Version %(number)s published; %(count)s persons are asked again.")
                % {"number": policy_version.number, "count": asked},
                messages.SUCCESS,
            )


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    """The ledger, read-only. Searched by the person's e-mail address: that finds their
    entries and, hashed as the ledger keeps it, those an erasure unlinked."""

    list_display = (
        "recorded_at",
        "subject",
        "purpose",
        "newsletter",
        "action",
        "channel",
        "actor_kind",
        "actor",
        "policy_version",
    )
    list_select_related = ("subject", "purpose", "newsletter", "actor", "policy_version")
    list_filter = ("action", "channel", "actor_kind", "purpose", "newsletter")
    search_fields = ("subject__email", "receipt_id")
    search_help_text = _("Search by the person's e-mail address or a receipt ID.")
    date_hierarchy = "recorded_at"
    raw_id_fields = ("subject",)
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if "@" in term:
            return queryset.filter(
                Q(subject__email__iexact=term) | Q(subject_hash=subject_hash(term))
            ), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        record = self.admin_site.admin_view(self.record_on_behalf_view)
        return [
            path("record/<int:subject_id>/", record, name="consent_consentevent_record"),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("note"))
    def record_on_behalf_view(self, request: HttpRequest, subject_id: int) -> HttpResponse:
        """Staff record a consent given or withdrawn by letter, phone or in a branch, with a
        note; the ledger names them as who recorded it."""
        if not request.user.has_perm("consent.record_on_behalf"):
            raise PermissionDenied
        subject = DataSubject.objects.filter(pk=subject_id).first()
        if subject is None:
            raise Http404
        form = RecordOnBehalfForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                self._record(request, subject, form.cleaned_data)
            except ConsentError as error:
                form.add_error(None, str(error.message))
            else:
                self.message_user(request, gettext("Recorded in the consent ledger."))
                return redirect("admin:subjects_datasubject_change", subject.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Record a consent on the person's behalf"),
            "subject": subject,
            "form": form,
            "choices": consent_choices_for_subject(for_subject=subject),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/consent/record_on_behalf.html", context)

    def _record(self, request: HttpRequest, subject: DataSubject, data: dict) -> None:
        kind, code = data["target"]
        arguments = {
            "subject": subject,
            "channel": data["channel"],
            "evidence": {"form": "admin_record_on_behalf", "source": "staff", "note": data["note"]},
            "actor": request.user,
        }
        given = data["action"] == ConsentEvent.Action.GIVEN
        if kind == "newsletter":
            newsletter = Newsletter.objects.select_related("purpose").get(code=code)
            change = newsletter_subscribe if given else newsletter_unsubscribe
            change(newsletter=newsletter, **arguments)
        else:
            change = consent_give if given else consent_withdraw
            change(purpose=code, **arguments)


def _record_on_behalf_action(request: HttpRequest, subject: DataSubject):
    if not request.user.has_perm("consent.record_on_behalf"):
        return None
    return (
        gettext("Record a consent"),
        reverse("admin:consent_consentevent_record", args=[subject.pk]),
    )


def _ledger_action(request: HttpRequest, subject: DataSubject):
    if not request.user.has_perm("consent.view_consentevent"):
        return None
    url = reverse("admin:consent_consentevent_changelist")
    return gettext("Consent ledger"), f"{url}?subject__id__exact={subject.pk}"


subject_page_actions.append(_record_on_behalf_action)
subject_page_actions.append(_ledger_action)


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyAdmin):
    list_display = ("subject", "purpose", "status", "given_at", "changed_at")
    list_select_related = ("subject", "purpose")
    list_filter = ("status", "purpose")
    search_fields = ("subject__email",)
    raw_id_fields = ("subject",)
    show_full_result_count = False


@admin.register(NewsletterSubscription)
class NewsletterSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("subject", "newsletter", "subscribed_at")
    list_select_related = ("subject", "newsletter")
    list_filter = ("newsletter",)
    search_fields = ("subject__email",)
    show_full_result_count = False


@admin.register(ReconsentRequest)
class ReconsentRequestAdmin(ReadOnlyAdmin):
    list_display = ("subject", "policy_version", "created_at", "emailed_at", "answered_at")
    list_select_related = ("subject", "policy_version")
    list_filter = ("policy_version", ("answered_at", admin.EmptyFieldListFilter))
    search_fields = ("subject__email",)
    show_full_result_count = False


@admin.register(DoNotCallImport)
class DoNotCallImportAdmin(ReadOnlyAdmin):
    """The imports of the Do Not Call Me list; a new one is uploaded here (or imported with
    `manage.py do_not_call_import`). The numbers themselves are hashes, never shown."""

    change_list_template = "admin/consent/donotcallimport/change_list.html"
    list_display = (
        "started_at",
        "mode",
        "status",
        "file_name",
        "numbers_valid",
        "lines_rejected",
        "numbers_added",
        "numbers_removed",
        "imported_by",
    )
    list_filter = ("status", "mode")

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("upload/", upload, name="consent_donotcallimport_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("consent.add_donotcallnumber"):
            raise PermissionDenied
        form = DoNotCallUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            lines = io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace")
            try:
                run = do_not_call_import(
                    lines=lines,
                    mode=form.cleaned_data["mode"],
                    file_name=upload.name,
                    actor=request.user,
                )
            except ConsentError as error:
                form.add_error(None, str(error.message))
            else:
                self.message_user(
                    request,
                    gettext(
                        "Imported: %(valid)s numbers read, %(added)s new, %(removed)s taken "
                        "off, %(rejected)s lines not understood."
                    )
                    % {
                        "valid": run.numbers_valid,
                        "added": run.numbers_added,
                        "removed": run.numbers_removed,
                        "rejected": run.lines_rejected,
                    },
                )
                return redirect("admin:consent_donotcallimport_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import the Do Not Call Me list"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/consent/donotcallimport/upload.html", context)
