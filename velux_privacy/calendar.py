"""Dates of law (DESIGN.md): the calendar dates, in Europe/Brussels, that deadlines, purges
and retention periods are counted in. One module computes them, always in Brussels, whatever
time zone happens to be active.

It imports no app of the project, so every app may use it.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

BRUSSELS = ZoneInfo("Europe/Brussels")


def local_date(moment: datetime | None = None) -> date:
    """The calendar date in Brussels of an aware moment (now by default)."""
    return (moment or timezone.now()).astimezone(BRUSSELS).date()


def start_of_year(year: int) -> datetime:
    """The first moment of 1 January of `year` in Brussels."""
    return datetime(year, 1, 1, tzinfo=BRUSSELS)
