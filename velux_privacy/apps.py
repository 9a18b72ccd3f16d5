from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VeluxPrivacyConfig(AppConfig):
    name = "velux_privacy"
    verbose_name = _("Logins")
    default_auto_field = "django.db.models.BigAutoField"
