from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DsrRequestsConfig(AppConfig):
    name = "dsr_requests"
    verbose_name = _("Rights requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dsr_requests.erasure import erasure_request_settle
        from dsr_requests.execution import executor_register
        from dsr_requests.recipient_notices import settler_register
        from dsr_requests.rectification import rectification_request_settle
        from dsr_requests.tasks import (
            erasure_execute_task,
            export_execute_task,
            rectification_execute_task,
        )
        from dsr_requests.workflow import Kind

        # Access and portability: the export, staff's review, the release (exports.py).
        executor_register(Kind.ACCESS, export_execute_task.delay)
        executor_register(Kind.PORTABILITY, export_execute_task.delay)
        # Erasure and rectification, with their Art. 19 notices (erasure.py, rectification.py).
        executor_register(Kind.ERASURE, erasure_execute_task.delay)
        executor_register(Kind.RECTIFICATION, rectification_execute_task.delay)
        settler_register(Kind.ERASURE, erasure_request_settle)
        settler_register(Kind.RECTIFICATION, rectification_request_settle)
