"""A value of a person's data as the person reads it (my data, and later the exports' pages)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _


def display_value(value: Any) -> str:
    """Dates and times in Brussels in the active language, yes or no, amounts with the
    language's separators, answers as "question: answer", and a dash for nothing."""
    if isinstance(value, Promise):  # a choice's label: translated once, not per comparison
        value = str(value)
    if type(value) is str:  # most values: nothing to format
        return value or "—"
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return date_filter(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_filter(value, "DATE_FORMAT")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, decimal_pos=2, use_l10n=True)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display_value(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(display_value(item) for item in value)
    return str(value)
