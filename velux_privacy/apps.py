from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class VeluxPrivacyConfig(AppConfig):
    name = "velux_privacy"
    verbose_name = _("Logins")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from velux_privacy import lookups  # noqa: F401 (registers `in_array` on every field)
        from velux_privacy.checks import cache_shared_check

        checks.register(cache_shared_check, checks.Tags.caches, deploy=True)
        # The second factor of staff: its signal receivers (velux_privacy.mfa).
        from velux_privacy import mfa  # noqa: F401
