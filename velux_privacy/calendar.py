"""Dates of law (DESIGN.md): calendar months and years with month-end clamping, in
Europe/Brussels. One module computes them for deadlines, purges and retention periods.

It imports no app of the project, so every app may use it.
"""

from datetime import date, datetime
from typing import TypeVar

from dateutil.relativedelta import relativedelta
from django.utils import timezone


def local_date(moment: datetime | None = None) -> date:
    """The calendar date in Europe/Brussels of an aware moment (now by default)."""
    return timezone.localdate(moment or timezone.now())


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


Moment = TypeVar("Moment", date, datetime)


def years_before(moment: Moment, years: int) -> Moment:
    """`moment` minus calendar years (29 Feb minus one year is 28 Feb)."""
    return moment - relativedelta(years=years)
