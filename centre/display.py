"""A value of a person's data as the person reads it (my data, and later the exports' pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils import dateformat, formats, timezone, translation
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_AP
from django.utils.functional import Promise
from django.utils.translation import gettext as _


def display_value(value: Any) -> str:
    """Dates and times in Brussels in the active language, yes or no, amounts with the
    language's separators, answers as "question: answer", and a dash for nothing."""
    return display_formatter()(value)


def display_formatter() -> Callable[[Any], str]:
    """`display_value` for the active language and time zone, looked up once: a page of "my
    data" formats several hundred values."""
    display = _display(translation.get_language())
    zone = timezone.get_current_timezone()
    return lambda value: display(value, zone)


@lru_cache(maxsize=16)
def _display(language: str | None) -> Callable[[Any, Any], str]:
    """The formatting of `display_value` in `language` (the language active when called:
    its words are translated here, once)."""
    at_datetime = _compiled(language, "DATETIME_FORMAT")
    on_date = _compiled(language, "DATE_FORMAT")
    yes, no = _("yes"), _("no")

    def display(value: Any, zone) -> str:
        kind = type(value)
        if kind is datetime:  # the most common value that is not text: checked first
            if value.utcoffset() is not None:  # aware, as Python and Django define it
                return at_datetime(value.astimezone(zone))
            return at_datetime(timezone.localtime(value, zone))  # refuses a naive one
        if isinstance(value, Promise):  # a choice's label: translated once, not per comparison
            value = str(value)
        if type(value) is str:  # most values: nothing to format
            return value or "—"
        if value is None or value == "" or value == {} or value == []:
            return "—"
        if isinstance(value, bool):
            return yes if value else no
        if isinstance(value, datetime):
            return at_datetime(timezone.localtime(value, zone))
        if isinstance(value, date):
            return on_date(value)
        if isinstance(value, Decimal | float):
            return formats.number_format(value, decimal_pos=2, use_l10n=True)
        if isinstance(value, dict):
            return "; ".join(f"{key}: {display(item, zone)}" for key, item in value.items())
        if isinstance(value, list | tuple):
            return ", ".join(display(item, zone) for item in value)
        return str(value)

    return display


@lru_cache(maxsize=64)
def _compiled(language: str | None, name: str) -> Callable[[date], str]:
    """The language's date or date-time format (`name`) as one function (`_formatter`)."""
    return _formatter(str(formats.get_format(name, lang=language)))


def _formatter(format_string: str) -> Callable[[date], str]:
    """`format_string` (Django's date format characters) as one function that prints what
    Django's `date` filter prints, in the active language, without building a formatter and
    translating the month's name on every value (a page of "my data" prints a few hundred
    dates): one `str.format` of the value's own fields (`_FIELDS`) and of the parts computed
    from it (`_PARTS`). Format characters in neither are left to Django."""
    template: list[str] = []
    computed: list[Callable[[date], str]] = []
    for index, piece in enumerate(dateformat.re_formatchars.split(format_string)):
        if index % 2:
            field = _FIELDS.get(piece)
            if field is None:
                part = _PARTS.get(piece)
                computed.append(part() if part else _django_part(piece))
                field = f"{{{len(computed)}}}"
            template.append(field)
        elif piece:
            literal = dateformat.re_escaped.sub(r"\1", piece)
            template.append(literal.replace("{", "{{").replace("}", "}}"))
    pattern = "".join(template).format
    if not computed:
        return pattern
    if len(computed) == 1:
        [only] = computed
        return lambda value: pattern(value, only(value))
    return lambda value: pattern(value, *[part(value) for part in computed])


def _django_part(character: str) -> Callable[[date], str]:
    return lambda value: dateformat.format(value, character)


def _names(table) -> Callable[[date], str]:
    names = {number: str(name) for number, name in table.items()}
    return lambda value: names[value.month]


def _meridiem() -> Callable[[date], str]:
    """Django's "P": "2:30 p.m.", "9 a.m.", "midnight", "noon", in Django's own words."""
    midnight, noon = dateformat.TimeFormat(time(0, 0)).P(), dateformat.TimeFormat(time(12, 0)).P()
    am, pm = dateformat.TimeFormat(time(1, 0)).a(), dateformat.TimeFormat(time(13, 0)).a()

    def meridiem(value: datetime) -> str:
        if value.minute == 0 and value.hour in (0, 12):
            return midnight if value.hour == 0 else noon
        hour = value.hour % 12 or 12
        clock = f"{hour}:{value.minute:02d}" if value.minute else str(hour)
        return f"{clock} {pm if value.hour > 11 else am}"

    return meridiem


# Format characters that are a field of the value, as `str.format` prints it ({0}: the value).
_FIELDS: dict[str, str] = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "G": "{0.hour}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}
# Format characters computed from the value; each builds its function when a format is
# compiled, in the language then active (the names).
_PARTS: dict[str, Callable[[], Callable[[date], str]]] = {
    "y": lambda: lambda value: f"{value.year % 100:02d}",
    "F": lambda: _names(MONTHS),
    "N": lambda: _names(MONTHS_AP),
    "M": lambda: _names({number: str(name).title() for number, name in MONTHS_3.items()}),
    "P": _meridiem,
}
