"""Statements compiled once for a stand-in subject, then run for any person.

Building and compiling the ORM queries of the ~30 categories of the data map costs more than
running them (bench/pages.py, bench/export.py). Their SQL depends only on the map, never on
the person: a statement is compiled once per process for a stand-in subject, and each run
fills in the person's id and address where the stand-in's stood (`statement_fill`).
`statement_check` refuses a statement in which the stand-in's id does not occur: a category
whose rows did not depend on the subject would show or count everybody's rows.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from subjects.models import DataSubject
from velux_privacy.lookups import Array

_STAND_IN_ID = -7_294_651_083
_STAND_IN_EMAIL = "stand-in.subject@totals.invalid"


def stand_in_subject() -> DataSubject:
    """The subject statements are compiled for (never saved)."""
    return DataSubject(pk=_STAND_IN_ID, email=_STAND_IN_EMAIL)


def statement_fill(params: list, subject: DataSubject) -> list:
    """`params` of a statement compiled for the stand-in, with `subject`'s id and address
    where the stand-in's stood."""
    stand_ins = {
        _STAND_IN_ID: subject.pk,
        Array([_STAND_IN_ID]).literal: Array([subject.pk]).literal,
        _STAND_IN_EMAIL: subject.email,
        Array([_STAND_IN_EMAIL]).literal: Array([subject.email]).literal,
    }
    return [stand_ins.get(param, param) if _hashable(param) else param for param in params]


def statement_check(key: str, params) -> None:
    """Refuse the statement of category `key` if its rows do not depend on the subject."""
    if not any(
        _hashable(param) and param in (_STAND_IN_ID, Array([_STAND_IN_ID]).literal)
        for param in params
    ):
        raise ImproperlyConfigured(f"{key}: its rows do not depend on the subject")


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
