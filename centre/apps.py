from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentreConfig(AppConfig):
    name = "centre"
    verbose_name = _("Privacy centre")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # allauth's signals: a verified address links the login to its data subject.
        from centre import accounts  # noqa: F401
