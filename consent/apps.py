from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consent.checks import public_base_url_check

        checks.register(public_base_url_check, deploy=True)
        # The published policy versions' snapshot listens for their changes in every process.
        from consent import selectors  # noqa: F401
