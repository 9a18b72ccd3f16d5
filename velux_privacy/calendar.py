"""Dates of law (DESIGN.md): the calendar dates, in Europe/Brussels, that deadlines, purges
and retention periods are counted in. One module computes them, always in Brussels, whatever
time zone happens to be active.

- `add_months`: calendar months with month-end clamping (the unsubscribe purge's two months,
  the rights requests' one month, the extension's two more).
- `legal_deadline`: GDPR Art. 12(3) as the EDPB reads it (Guidelines 01/2022 §158–161):
  the same day number `months` later, or that month's last day when it has none, moved to
  the next working day when it falls on a Saturday, Sunday or Belgian public holiday.

It imports no app of the project, so every app may use it.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta
from django.utils import timezone

BRUSSELS = ZoneInfo("Europe/Brussels")


def local_date(moment: datetime | None = None) -> date:
    """The calendar date in Brussels of an aware moment (now by default)."""
    return (moment or timezone.now()).astimezone(BRUSSELS).date()


def start_of_year(year: int) -> datetime:
    """The first moment of 1 January of `year` in Brussels."""
    return datetime(year, 1, 1, tzinfo=BRUSSELS)


def start_of_day(day: date) -> datetime:
    """The first moment of `day` in Brussels."""
    return datetime(day.year, day.month, day.day, tzinfo=BRUSSELS)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months: the same day number, or the last day of the month
    when it has none (31 December + 2 months: 28 February, 29 in a leap year)."""
    return day + relativedelta(months=months)


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Belgian public holiday (national ones: the `holidays`
    package's BE calendar, e.g. Easter Monday, 21 July, 11 November, Christmas)."""
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def legal_deadline(received_on: date, months: int = 1, *, paused_days: int = 0) -> date:
    """The last day to answer a request received (Brussels date) on `received_on`.

    GDPR Art. 12(3) read with Regulation 1182/71 as the EDPB does (Guidelines 01/2022
    §159–161): `months` calendar months later on the same day number (5 March: 5 April), or
    the last day of that month when it has none (31 August: 30 September), plus the days the
    clock was paused waiting for the person (§159), then moved to the next working day when
    it falls on a Saturday, Sunday or Belgian public holiday.
    """
    if months < 0 or paused_days < 0:
        raise ValueError("months and paused_days cannot be negative")
    return next_working_day(add_months(received_on, months) + timedelta(days=paused_days))
