"""Values as a person reads them: the compiled date formats print what Django's `date`
filter prints, in every language of the centre."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import dateformat, timezone, translation

from centre.display import _formatter, display_value

# Every hour and a spread of minutes, across a year (month names, DST changes in Brussels).
MOMENTS = [
    datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, hours=hour, minutes=minute)
    for day in range(0, 365, 23)
    for hour in range(24)
    for minute in (0, 5, 30)
]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_times_and_dates_read_as_djangos_date_filter_writes_them(language):
    with translation.override(language):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert display_value(moment) == date_filter(local, "DATETIME_FORMAT")
            assert display_value(local.date()) == date_filter(local.date(), "DATE_FORMAT")


def test_the_format_follows_the_active_language():
    moment = datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
    with translation.override("nl"):
        dutch = display_value(moment)
    with translation.override("en"):
        english = display_value(moment)
    with translation.override("de"):
        german = display_value(date(2026, 3, 14))

    assert dutch == "14 maart 2026 12:00"
    assert english == "March 14, 2026, noon"  # AP style spells March out
    assert german == "14. März 2026"


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_format_character_and_braces_print_as_djangos_dateformat_prints_them(language):
    # Every character the compiled formats print themselves, one left to Django (l: the
    # weekday), an escaped one, and braces, which str.format would otherwise read.
    format_string = r"{d}/j m n y Y F N M G H i s P l \Y {{}} \\"
    with translation.override(language):
        formatted = _formatter(format_string)
        for moment in MOMENTS[::7]:
            local = timezone.localtime(moment)
            assert formatted(local) == dateformat.format(local, format_string)


def test_a_naive_time_is_refused_as_django_refuses_it():
    with pytest.raises(ValueError, match="naive"):
        display_value(datetime(2026, 3, 14, 11, 0))  # noqa: DTZ001
