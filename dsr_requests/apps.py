from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DsrRequestsConfig(AppConfig):
    name = "dsr_requests"
    verbose_name = _("Rights requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dsr_requests.execution import executor_register
        from dsr_requests.tasks import limit_execute_task
        from dsr_requests.workflow import Kind

        # Restriction and objection (dsr_requests.limits), after commit of "Complete".
        executor_register(Kind.RESTRICTION, limit_execute_task.delay)
        executor_register(Kind.OBJECTION, limit_execute_task.delay)
