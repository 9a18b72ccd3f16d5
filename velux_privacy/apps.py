from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

PROJECT_APPS = frozenset({"velux_privacy", "subjects", "consent", "dsr_requests", "retention"})


class VeluxPrivacyConfig(AppConfig):
    name = "velux_privacy"
    verbose_name = _("Logins")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from velux_privacy import (
            lookups,  # noqa: F401 (registers `in_array` on every field)
            mfa,  # noqa: F401 (the second factor of staff: its receivers)
        )
        from velux_privacy.checks import cache_shared_check
        from velux_privacy.choices import choice_displays_install

        checks.register(cache_shared_check, checks.Tags.caches, deploy=True)
        # The project's models say their choices' labels without rebuilding the choices.
        for model in self.apps.get_models():
            if model._meta.app_label in PROJECT_APPS:
                choice_displays_install(model)
