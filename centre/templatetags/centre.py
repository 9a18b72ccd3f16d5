"""Template filters of the privacy centre."""

from __future__ import annotations

from typing import Any

from django import template

from centre.display import display_value

register = template.Library()


@register.filter
def datum(value: Any) -> str:
    """A value of the person's data as a person reads it (centre.display.display_value)."""
    return display_value(value)


# Recipients whose register name is a company's own name; the others are classes of
# recipient, named by their (translated) category.
_NAMED_CATEGORIES = {"group_parent", "web_chat", "content_engagement"}


@register.filter
def recipient_label(recipient) -> str:
    """A recipient as the person reads it: its kind, and its name where it is one company."""
    kind = str(recipient.get_category_display())
    if recipient.category in _NAMED_CATEGORIES:
        return f"{recipient.name} ({kind[:1].lower() + kind[1:]})"
    return kind[:1].upper() + kind[1:]


@register.inclusion_tag("centre/includes/authority.html")
def supervisory_authority() -> dict:
    """The Belgian Data Protection Authority as velux_privacy.controller names it."""
    from velux_privacy.controller import SUPERVISORY_AUTHORITY

    return {"authority": SUPERVISORY_AUTHORITY}
