"""Staff admin for data subjects, the personal data held on them (§2.1–2.8) and the purpose and
recipient registers (§2, §4).

A data subject's page shows everything VELUX holds on the person, read through the data map
(`subjects.selectors.subject_data_collect`), never from a list of models kept here.

No personal data is deleted here: erasure goes through `subjects.services.subject_erase`,
which honours legal holds and keep rules (open orders and contact requests, the accounting
period, contracts in force, open applications) and leaves a deletion receipt; a hold is
released, not deleted. Only the recipient register's rows may be deleted: not personal data.

A login is linked to a data subject by the customer sign-up flow, never here: staff logins have
no data subject, and a login links only to the subject with its (normalised) e-mail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.db.models.functions import Upper
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import get_translation_fields

from subjects.datamap import Category
from subjects.models import (
    EEA_COUNTRIES,
    Application,
    BrowsingEvent,
    BusinessContact,
    ContactRequest,
    DataSubject,
    DeletionReceipt,
    DeviceIdentifier,
    ErasurePending,
    LegalHold,
    Order,
    OrderLine,
    ProcessingLimit,
    Purpose,
    PurposeCode,
    Recipient,
    SurveyResponse,
)
from subjects.selectors import CategoryData, subject_data_collect
from subjects.services import subject_hash

# Actions on a data subject that apps above subjects offer on the subject's page (record a
# consent on the person's behalf, enter a rights request received by letter…): subjects imports
# none of them (DESIGN.md), so each registers a callable here from its own admin.py, taking the
# request and the subject and returning (label, url), or None where the staff member may not.
SubjectPageAction = Callable[[HttpRequest, "DataSubject"], "tuple[str, str] | None"]
subject_page_actions: list[SubjectPageAction] = []

# The data subject's page shows this many rows of each category (newest first where the data
# map orders so) and the total held: a person may have thousands of browsing events.
PERSONAL_DATA_ROWS_SHOWN = 20


# Registers (§2, §4). Plain TranslationAdmin: the tabbed variants load jQuery UI from a CDN,
# which the Content-Security-Policy (script-src 'self') blocks. Each translated field gets a
# fieldset with one input per language instead.


@admin.register(Purpose)
class PurposeAdmin(TranslationAdmin):
    group_fieldsets = True
    # No "code" column: its display is the policy section (PurposeCode labels), shown already.
    list_display = ("section", "name", "legal_basis", "requires_consent", "recipient_count")
    list_display_links = ("section", "name")
    list_filter = ("legal_basis",)
    search_fields = ("code", "section", *get_translation_fields("name"))
    ordering = ("section",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Purpose]:
        return super().get_queryset(request).annotate(recipient_count=Count("recipients"))

    def get_readonly_fields(self, request: HttpRequest, obj: Purpose | None = None) -> tuple:
        # The code is what the data map and the consent ledger refer to: fixed once created.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Purpose | None = None) -> bool:
        # The eight purposes are the policy's (PurposeCode); the data map refers to them.
        return False

    @admin.display(description=_("consent needed"), boolean=True)
    def requires_consent(self, obj: Purpose) -> bool:
        return obj.requires_consent

    @admin.display(description=_("recipients"), ordering="recipient_count")
    def recipient_count(self, obj: Purpose) -> int:
        return obj.recipient_count


class OutsideEeaFilter(admin.SimpleListFilter):
    title = _("outside the EEA")
    parameter_name = "outside_eea"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        inside = {"country_upper__in": sorted(EEA_COUNTRIES)}
        annotated = queryset.annotate(country_upper=Upper("country"))
        if self.value() == "yes":
            return annotated.exclude(**inside)
        if self.value() == "no":
            return annotated.filter(**inside)
        return queryset


@admin.register(Recipient)
class RecipientAdmin(TranslationAdmin):
    group_fieldsets = True
    list_display = (
        "name",
        "category",
        "role",
        "country",
        "transfer_safeguard",
        "outside_eea",
        "requires_consent",
        "is_active",
    )
    list_filter = (
        "role",
        "category",
        OutsideEeaFilter,
        "transfer_safeguard",
        "requires_consent",
        "is_active",
        "purposes",
    )
    search_fields = ("name", "safeguard_note", *get_translation_fields("description"))
    filter_horizontal = ("purposes",)
    ordering = ("name",)

    @admin.display(description=_("outside the EEA"), boolean=True)
    def outside_eea(self, obj: Recipient) -> bool:
        return obj.outside_eea


# The data subject and everything held on them.


class ErasureThroughDataMapOnly:
    """No delete view, delete action or inline deletion for personal data (module docstring)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@dataclass(frozen=True)
class CategoryTable:
    """One data map category as the data subject's page shows it."""

    key: str
    label: str
    total: int
    headers: list[str]
    rows: list[list[Any]]
    changelist_url: str | None
    # Heading of the purpose whose section shows the table, when this is a repeat of it.
    shown_under: str | None
    # The staff member may not view this model: the count only, no rows.
    withheld: bool = False

    @property
    def anchor(self) -> str:
        return f"personal-data-{self.key}"

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def is_cut(self) -> bool:
        return not self.withheld and self.total > len(self.rows)


@dataclass(frozen=True)
class PurposeSection:
    heading: str
    legal_basis: str
    categories: list[CategoryTable]


@dataclass(frozen=True)
class PersonalData:
    sections: list[PurposeSection]
    category_count: int
    row_count: int


class PersonalDataMixin:
    """Builds the read-only "personal data held" part of the data subject's page."""

    admin_site: admin.AdminSite

    def personal_data(self, request: HttpRequest, subject: DataSubject) -> PersonalData:
        data = subject_data_collect(
            subject=subject,
            limit_per_category=PERSONAL_DATA_ROWS_SHOWN,
            may_see_rows=lambda category: self._may_view(request, category.model),
        )
        first_shown_under: dict[str, str] = {}
        sections = []
        for purpose, categories in data.by_purpose():
            heading = _purpose_heading(purpose)
            tables = []
            for category_data in categories:
                tables.append(
                    self._category_table(
                        request, subject, category_data, first_shown_under.get(category_data.key)
                    )
                )
                first_shown_under.setdefault(category_data.key, heading)
            legal_basis = purpose.get_legal_basis_display() if isinstance(purpose, Purpose) else ""
            sections.append(PurposeSection(heading, legal_basis, tables))
        return PersonalData(
            sections=sections,
            category_count=len(data.categories),
            row_count=sum(c.total for c in data.categories),
        )

    def _category_table(
        self,
        request: HttpRequest,
        subject: DataSubject,
        category_data: CategoryData,
        shown_under: str | None,
    ) -> CategoryTable:
        empty = self.admin_site.empty_value_display
        return CategoryTable(
            key=category_data.key,
            label=str(category_data.category.label),
            total=category_data.total,
            headers=[str(f.label) for f in category_data.fields],
            rows=[
                [_cell(value, empty) for _label, value in row]
                for row in category_data.labelled_rows()
            ],
            changelist_url=self._changelist_url(request, category_data.category, subject),
            shown_under=shown_under,
            withheld=category_data.withheld,
        )

    def _may_view(self, request: HttpRequest, model: type) -> bool:
        """The staff member's own permission on the category's model, as its admin says
        (view or change), so this page never shows more than their changelists would."""
        if self.admin_site.is_registered(model):
            return self.admin_site.get_model_admin(model).has_view_permission(request)
        opts = model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
            for action in ("view", "change")
        )

    def _changelist_url(
        self, request: HttpRequest, category: Category, subject: DataSubject
    ) -> str | None:
        """The category's admin list filtered to this subject, where staff may open it."""
        if not category.subject_path:
            return None
        if not self.admin_site.is_registered(category.model):
            return None
        model_admin = self.admin_site.get_model_admin(category.model)
        if not model_admin.has_view_permission(request):
            return None
        lookup = f"{category.subject_path}__id__exact"
        if not model_admin.lookup_allowed(lookup, str(subject.pk), request):
            return None
        opts = category.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return f"{url}?{urlencode({lookup: subject.pk})}"


def _purpose_heading(purpose: Purpose | str) -> str:
    if isinstance(purpose, Purpose):
        return str(purpose)
    # A purpose code the register does not hold (yet): its policy section, then the code.
    if purpose in PurposeCode.values:
        return f"§{PurposeCode(purpose).label} {purpose}"
    return purpose


def _cell(value: Any, empty: str) -> Any:
    """A value as a table cell; dates stay dates so the template shows them localised."""
    if value is None or value == "" or value == {} or value == []:
        return empty
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


@admin.register(DataSubject)
class DataSubjectAdmin(ErasureThroughDataMapOnly, PersonalDataMixin, admin.ModelAdmin):
    change_form_template = "admin/subjects/datasubject/change_form.html"
    list_display = (
        "id",
        "email",
        "name",
        "city",
        "preferred_language",
        "created_at",
        "last_activity_at",
    )
    list_display_links = ("id", "email")
    list_filter = ("preferred_language", "country", "last_activity_at")
    search_fields = ("email", "first_name", "last_name", "phone", "postal_code")
    search_help_text = _("Search by e-mail address, name, phone or postal code.")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    # Read-only: shown as a link to the login's admin page (linking is the sign-up flow's).
    readonly_fields = ("user", "created_at", "last_activity_at")
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "preferred_language")}),
        (_("Address and phone"), {"fields": ("phone", "street", "postal_code", "city", "country")}),
        (_("Login and activity"), {"fields": ("user", "created_at", "last_activity_at")}),
    )
    save_on_top = True

    class Media:
        css = {"all": ("subjects/admin_personal_data.css",)}

    def get_form(self, request: HttpRequest, obj: DataSubject | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "email" in form.base_fields:  # not for staff who may only view
            form.base_fields["email"].help_text = _(
                "Stored trimmed and in lower case; unique whatever the case."
            )
        return form

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: DataSubject | None = None,
    ):
        # Here rather than in change_view: built only when the page is rendered (not for a
        # successful save, which redirects), for the object the admin already loaded.
        if obj is not None and obj.pk is not None and not add:
            context["personal_data"] = self.personal_data(request, obj)
            context["personal_data_rows_shown"] = PERSONAL_DATA_ROWS_SHOWN
            offered = (action(request, obj) for action in subject_page_actions)
            context["subject_actions"] = [action for action in offered if action is not None]
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, obj: DataSubject) -> str:
        return obj.full_name


# Personal data by purpose. Subjects are picked by id with the lookup pop-up (searchable by
# e-mail and name): there may be 100,000 of them, and their names never appear in __str__.


class PersonAddressForPersonViewers:
    """The person's e-mail address (`subject__email`) is identity data: a changelist shows it,
    and searches by it, only to staff who may view data subjects (issue 6: staff see only what
    their permissions allow; a recruiter reading applications does not read every address)."""

    def _may_view_people(self, request: HttpRequest) -> bool:
        return request.user.has_perm("subjects.view_datasubject") or request.user.has_perm(
            "subjects.change_datasubject"
        )

    def get_list_display(self, request: HttpRequest):
        shown = super().get_list_display(request)
        if self._may_view_people(request):
            return shown
        return tuple(name for name in shown if not name.endswith("subject__email"))

    def get_search_fields(self, request: HttpRequest):
        fields = super().get_search_fields(request)
        if self._may_view_people(request):
            return fields
        return tuple(name for name in fields if "subject__email" not in name)


class SubjectDataAdmin(PersonAddressForPersonViewers, ErasureThroughDataMapOnly, admin.ModelAdmin):
    raw_id_fields = ("subject",)
    list_select_related = ("subject",)
    show_full_result_count = False


@admin.register(BusinessContact)
class BusinessContactAdmin(SubjectDataAdmin):
    list_display = (
        "id",
        "company_name",
        "relationship",
        "subject__email",
        "job_title",
        "contract_reference",
        "contract_start",
        "contract_end",
        "created_at",
    )
    list_display_links = ("id", "company_name")
    list_filter = ("relationship", "contract_end")
    search_fields = ("company_name", "vat_number", "contract_reference", "subject__email")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)


@admin.register(ContactRequest)
class ContactRequestAdmin(SubjectDataAdmin):
    list_display = (
        "id",
        "kind",
        "channel",
        "status",
        "subject__email",
        "product_interest",
        "received_at",
        "answered_at",
    )
    list_filter = ("status", "kind", "channel")
    search_fields = ("subject__email", "product_interest", "message")
    date_hierarchy = "received_at"


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("product_code", "description", "quantity", "unit_price")
    # Lines stay with their order, which stays in the books.
    can_delete = False


@admin.register(Order)
class OrderAdmin(SubjectDataAdmin):
    list_display = (
        "number",
        "placed_at",
        "status",
        "subject__email",
        "total_amount",
        "currency",
        "delivery_city",
        "payment_card_brand",
        "anonymised_at",
    )
    list_filter = (
        "status",
        "payment_card_brand",
        "delivery_country",
        ("anonymised_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("number", "subject__email", "delivery_city", "installer_name")
    date_hierarchy = "placed_at"
    readonly_fields = ("anonymised_at",)
    inlines = (OrderLineInline,)


@admin.register(OrderLine)
class OrderLineAdmin(ErasureThroughDataMapOnly, admin.ModelAdmin):
    list_display = ("id", "order", "product_code", "description", "quantity", "unit_price")
    list_select_related = ("order",)
    search_fields = ("order__number", "product_code", "description")
    raw_id_fields = ("order",)
    show_full_result_count = False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The data subject's page links here filtered to the subject's order lines.
        return lookup == "order__subject__id__exact" or super().lookup_allowed(
            lookup, value, request
        )


@admin.register(DeviceIdentifier)
class DeviceIdentifierAdmin(SubjectDataAdmin):
    list_display = ("id", "kind", "value", "subject__email", "first_seen_at", "last_seen_at")
    list_filter = ("kind",)
    search_fields = ("value", "subject__email")
    date_hierarchy = "last_seen_at"
    readonly_fields = ("first_seen_at", "last_seen_at")


@admin.register(BrowsingEvent)
class BrowsingEventAdmin(SubjectDataAdmin):
    list_display = ("id", "occurred_at", "event_type", "path", "subject__email", "device")
    list_select_related = ("subject", "device")
    list_filter = ("event_type",)
    search_fields = ("path", "subject__email", "device__value")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("subject", "device")
    readonly_fields = ("occurred_at",)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SubjectDataAdmin):
    list_display = ("id", "survey", "rating", "installer_name", "subject__email", "submitted_at")
    list_filter = ("survey", "rating")
    search_fields = ("installer_name", "comment", "subject__email")
    date_hierarchy = "submitted_at"


@admin.register(Application)
class ApplicationAdmin(SubjectDataAdmin):
    list_display = (
        "id",
        "kind",
        "position",
        "status",
        "source",
        "subject__email",
        "submitted_at",
        "decided_at",
    )
    list_filter = ("kind", "status", "source")
    search_fields = ("position", "subject__email")
    date_hierarchy = "submitted_at"


class HoldActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(LegalHold.active_q())
        if self.value() == "no":
            return queryset.exclude(LegalHold.active_q())
        return queryset


@admin.register(LegalHold)
class LegalHoldAdmin(SubjectDataAdmin):
    """A hold is released (released_at), never deleted: it is the record of why data stayed."""

    list_display = (
        "id",
        "legal_reference",
        "authority",
        "subject__email",
        "is_active",
        "placed_at",
        "placed_by",
        "released_at",
    )
    list_select_related = ("subject", "placed_by")
    list_filter = (HoldActiveFilter, "authority")
    search_fields = ("legal_reference", "authority", "subject__email")
    date_hierarchy = "placed_at"
    readonly_fields = ("placed_at", "placed_by")

    def save_model(self, request: HttpRequest, obj: LegalHold, form, change: bool) -> None:
        if not change:
            obj.placed_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("active"), boolean=True, ordering="released_at")
    def is_active(self, obj: LegalHold) -> bool:
        return obj.is_active


class LimitActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(ProcessingLimit.active_q())
        if self.value() == "no":
            return queryset.exclude(ProcessingLimit.active_q())
        return queryset


@admin.register(ProcessingLimit)
class ProcessingLimitAdmin(SubjectDataAdmin):
    """Restrictions (Art. 18) and objections (Art. 21): ended (`until`), never deleted."""

    list_display = (
        "id",
        "kind",
        "purpose",
        "subject__email",
        "reference",
        "started_at",
        "ended_at",
        "recorded_by",
    )
    list_select_related = ("subject", "recorded_by")
    list_filter = (LimitActiveFilter, "kind", "purpose")
    search_fields = ("reference", "subject__email")
    date_hierarchy = "started_at"
    readonly_fields = ("recorded_by",)

    def get_readonly_fields(self, request: HttpRequest, obj: ProcessingLimit | None = None):
        # A limit set by a rights request (its reference) changes only through the request:
        # lifting a restriction tells the person first (GDPR Art. 18(3)) and is audited there.
        if obj is not None and obj.reference:
            return [field.name for field in obj._meta.fields]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: ProcessingLimit, form, change: bool) -> None:
        if change and ProcessingLimit.objects.filter(pk=obj.pk).exclude(reference="").exists():
            return  # read-only (above): nothing a form could post changes it
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the erase service writes: staff read them, nobody adds, changes or deletes."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeletionReceipt)
class DeletionReceiptAdmin(ReadOnlyAdmin):
    """The proof of each erasure. Searched by e-mail address: the search term is hashed the
    way receipts are (`subject_hash`), so no address is stored or shown."""

    list_display = (
        "id",
        "erased_at",
        "cause",
        "cause_reference",
        "subject_deleted",
        "rows_kept",
    )
    list_filter = ("cause", "subject_deleted")
    search_fields = ("cause_reference",)
    search_help_text = _("Search by the person's e-mail address or the cause's reference.")
    date_hierarchy = "erased_at"
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if "@" in search_term:
            return queryset.filter(subject_hash=subject_hash(search_term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(ErasurePending)
class ErasurePendingAdmin(PersonAddressForPersonViewers, ReadOnlyAdmin):
    list_display = ("id", "subject", "cause", "cause_reference", "kept_for", "recorded_at")
    list_select_related = ("subject",)
    list_filter = ("cause",)
    search_fields = ("cause_reference", "subject__email")
    raw_id_fields = ("subject",)
    show_full_result_count = False
