from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DsrRequestsConfig(AppConfig):
    name = "dsr_requests"
    verbose_name = _("Rights requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dsr_requests.execution import executor_register
        from dsr_requests.tasks import export_execute_task
        from dsr_requests.workflow import Kind

        # Access and portability: the export, staff's review, the release (exports.py).
        executor_register(Kind.ACCESS, export_execute_task.delay)
        executor_register(Kind.PORTABILITY, export_execute_task.delay)
