"""Dates of law (DESIGN.md): the calendar dates, in Europe/Brussels, that deadlines, purges
and retention periods are counted in. One module computes them.

It imports no app of the project, so every app may use it.
"""

from datetime import date, datetime

from django.utils import timezone


def local_date(moment: datetime | None = None) -> date:
    """The calendar date in Europe/Brussels of an aware moment (now by default)."""
    return timezone.localdate(moment or timezone.now())
