"""The project package: settings, URLs, the Celery app, the privacy centre home, health.

It also holds the login model (`User`): a login is not a data subject (DESIGN.md).
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
