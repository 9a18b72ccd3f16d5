"""Template filters of the privacy centre."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def datum(value: Any) -> str:
    """A value of the person's data as a person reads it: dates and times in Brussels in the
    page's language, yes or no, amounts with the language's separators, answers as
    "question: answer", and a dash for nothing."""
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
        return "; ".join(f"{key}: {datum(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(datum(item) for item in value)
    return str(value)


# Recipients whose register name is a company's own name; the others are classes of
# recipient, named by their (translated) category.
_NAMED_CATEGORIES = {"group_parent", "web_chat", "content_engagement"}


@register.filter
def recipient_label(recipient) -> str:
    """A recipient as the person reads it: its kind, and its name where it is one company."""
    kind = str(recipient.get_category_display())
    kind = kind[:1].upper() + kind[1:]
    if recipient.category in _NAMED_CATEGORIES:
        return f"{recipient.name} ({kind[:1].lower() + kind[1:]})"
    return kind
