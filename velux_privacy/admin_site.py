"""The admin site: staff only, and only once their sign-in used a second factor.

Installed as the default site (`PrivacyAdminConfig` in INSTALLED_APPS), so
every app's `admin.site.register` lands here. The middleware sends a staff member without the
second factor to enrol or to enter a code first (velux_privacy.middleware); this is the check
at the admin's own door, whatever path led there.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class PrivacyAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from velux_privacy.mfa import second_factor_used

        return super().has_permission(request) and second_factor_used(request)


class PrivacyAdminConfig(AdminConfig):
    """django.contrib.admin with the site that asks staff for a second factor."""

    default_site = "velux_privacy.admin_site.PrivacyAdminSite"
