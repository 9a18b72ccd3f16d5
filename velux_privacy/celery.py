"""The Celery app. Tasks are autodiscovered in each app's `tasks.py`.

Without CELERY_BROKER_URL the settings make every task run eagerly in-process (the embedded
default); with it, tasks go to the broker and a worker runs them. Queues: `default`,
`exports` (heavy), `retention` (beat jobs), so a big export never delays a notification.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velux_privacy.settings")

app = Celery("velux_privacy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
