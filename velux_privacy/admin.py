"""Staff admin for logins: e-mail is the login name; there is no username.

A login that belongs to a data subject, and its e-mail addresses, are personal data: they
are erased through the data map (subjects.services.subject_erase), never deleted here. A
staff login is never deleted while anything records its holder's actions (the admin log,
whose entries Django would delete with it, holds placed, audit events…): off-boarding
deactivates it instead (velux_privacy.services.staff_login_deactivate).
"""

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from subjects.models import DataSubject
from velux_privacy.errors import DomainError
from velux_privacy.models import User, normalise_email
from velux_privacy.services import login_records_actions, staff_login_deactivate


def _belongs_to_a_subject(user: User | None) -> bool:
    """A customer's login: linked to a data subject, or holding a person's address (signed up,
    not yet linked). Erased through the data map with its person, never deleted here."""
    if user is None:
        return False
    return DataSubject.objects.filter(Q(user=user) | Q(email=normalise_email(user.email))).exists()


class LoginCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        # As UserManager does: `unique` on the column is then case-insensitive in effect.
        return normalise_email(self.cleaned_data["email"])


class LoginChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        # As UserManager does: `unique` on the column is then case-insensitive in effect.
        return normalise_email(self.cleaned_data["email"])


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = LoginChangeForm
    add_form = LoginCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password", "data_subject_link")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("data_subject_link", "last_login", "date_joined")
    list_display = ("id", "email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_display_links = ("id", "email")
    list_filter = ("is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)

    actions = ("deactivate_logins",)

    def has_delete_permission(self, request, obj: User | None = None) -> bool:
        # No bulk delete: it cannot tell a customer's login from a staff login. The proof of
        # who did what stays: a login that did anything is deactivated, not deleted.
        if obj is None or _belongs_to_a_subject(obj) or login_records_actions(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Deactivate (off-boarding): no sign-in, sessions ended"))
    def deactivate_logins(self, request, queryset) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        done = 0
        for user in queryset:
            try:
                staff_login_deactivate(user=user, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, level=messages.ERROR)
                continue
            self.log_change(request, user, [{"changed": {"fields": ["is_active", "password"]}}])
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d login deactivated.", "%(count)d logins deactivated.", done)
                % {"count": done},
                level=messages.SUCCESS,
            )

    @admin.display(description=_("data subject"))
    def data_subject_link(self, obj: User) -> str:
        """A customer's login links to the person VELUX holds data on; staff logins to none."""
        try:
            subject = obj.data_subject
        except ObjectDoesNotExist:
            return "-"
        url = reverse("admin:subjects_datasubject_change", args=[subject.pk])
        return format_html('<a href="{}">{}</a>', url, subject)


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(AllauthEmailAddressAdmin):
    def has_delete_permission(self, request, obj: EmailAddress | None = None) -> bool:
        if obj is None or _belongs_to_a_subject(obj.user):
            return False
        if DataSubject.objects.filter(email=normalise_email(obj.email)).exists():
            return False  # a person's address, whoever's login holds it
        return super().has_delete_permission(request, obj)


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Second factors of logins (velux_privacy.mfa): who has which, and when it was used.

    Never their secrets (`data`: the TOTP key, the recovery codes), which would let whoever
    reads them pass the second factor. Nothing to add or change here; one authenticator may be
    deleted (a staff member lost their phone: they enrol again at their next sign-in), never
    many at once.
    """

    list_display = ("id", "user", "type", "created_at", "last_used_at")
    list_select_related = ("user",)
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__email",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj: Authenticator | None = None) -> bool:
        return False

    def has_delete_permission(self, request, obj: Authenticator | None = None) -> bool:
        return obj is not None and super().has_delete_permission(request, obj)
