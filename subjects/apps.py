from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class SubjectsConfig(AppConfig):
    name = "subjects"
    verbose_name = _("Data subjects and the data map")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app declares its personal data in its own privacy.py (DESIGN.md).
        autodiscover_modules("privacy")
        # The registers' snapshot listens for their changes in every process that may make
        # one (the admin, workers, commands), not only in those that show the pages.
        from subjects import selectors  # noqa: F401
