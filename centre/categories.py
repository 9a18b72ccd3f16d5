"""What "my data" says about each category of the data map besides its rows: how long it is
kept and where it comes from (GDPR Art. 15(1)(d) and (g)). The texts are the data map's own
(`retention` and `source` of each category in the apps' privacy.py), so "my data" and the
access export say the same; a category without them gets a general text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from subjects.datamap import datamap


@dataclass(frozen=True)
class CategoryNotes:
    retention: str | Promise
    source: str | Promise


_UNKNOWN = CategoryNotes(
    retention=_("No longer than its purpose needs (privacy policy, section 6)."),
    source=_("Ask us: we tell you where this data comes from."),
)


_notes: dict[str, tuple[object, CategoryNotes]] = {}


def category_notes(key: str) -> CategoryNotes:
    """The notes of the data map category `key` (a general text where none is written):
    lazy texts, kept per category (asking whether a lazy text is empty translates it, and
    "my data" asks for some twenty categories on every page)."""
    category = datamap._categories.get(key)
    if category is None:
        return _UNKNOWN
    kept = _notes.get(key)
    if kept is None or kept[0] is not category:  # a category registered anew: anew
        notes = CategoryNotes(
            retention=category.retention or _UNKNOWN.retention,
            source=category.source or _UNKNOWN.source,
        )
        kept = _notes[key] = (category, notes)
    return kept[1]
