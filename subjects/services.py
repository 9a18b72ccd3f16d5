"""Writes over the data map: erasing one subject's personal data (GDPR Art. 17).

Used by erasure requests (dsr_requests) and by the scheduled deletions (retention), which
write the deletion receipt from the summary returned here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from subjects.datamap import (
    Anonymise,
    Category,
    ErasureContext,
    KeepReason,
    RowAction,
    datamap,
)
from subjects.models import DataSubject

logger = logging.getLogger(__name__)


@dataclass
class CategoryOutcome:
    """What erasure did to one category: rows deleted, anonymised, and kept by reason."""

    key: str
    deleted: int = 0
    anonymised: int = 0
    kept: Counter[str] = field(default_factory=Counter)

    @property
    def kept_total(self) -> int:
        return sum(self.kept.values())

    def as_dict(self) -> dict:
        return {
            "deleted": self.deleted,
            "anonymised": self.anonymised,
            "kept": dict(sorted(self.kept.items())),
        }


@dataclass
class ErasureSummary:
    subject_id: int
    categories: dict[str, CategoryOutcome]
    subject_deleted: bool
    held_by: tuple[str, ...] = ()  # subject-wide holds that stopped all erasure

    @property
    def rows_deleted(self) -> int:
        return sum(o.deleted for o in self.categories.values())

    @property
    def rows_anonymised(self) -> int:
        return sum(o.anonymised for o in self.categories.values())

    @property
    def rows_kept(self) -> int:
        return sum(o.kept_total for o in self.categories.values())

    def as_dict(self) -> dict:
        """The summary without personal data: fit for a deletion receipt."""
        return {
            "subject_deleted": self.subject_deleted,
            "held_by": list(self.held_by),
            "categories": {key: o.as_dict() for key, o in self.categories.items()},
        }


@transaction.atomic
def subject_erase(
    *,
    subject: DataSubject,
    purposes: Collection[str] | None = None,
    ignore_holds: Collection[str] = (),
    now: datetime | None = None,
) -> ErasureSummary:
    """Erase what VELUX holds on `subject`, walking the data map children first.

    purposes: erase only categories whose every purpose is among these (e.g. only what served
    marketing, for the unsubscribe purge); None erases every category.
    ignore_holds: subject-wide hold reasons the caller may pass over (an erasure request does
    not block itself).

    While a subject-wide hold applies nothing is touched. Otherwise each category's keep rules
    decide rows kept as they are or only anonymised; the rest is erased by the category's
    strategy. The subject row itself goes last, and only when nothing kept still points to it.
    Returns a summary per category without personal data. One transaction.
    """
    context = ErasureContext(
        subject=subject, now=now or timezone.now(), ignore_holds=frozenset(ignore_holds)
    )
    categories = [
        c for c in datamap.erasure_order() if purposes is None or set(c.purposes) <= set(purposes)
    ]
    held_by = tuple(
        hold.reason
        for hold in datamap.holds()
        if hold.reason not in context.ignore_holds and hold.applies(subject)
    )
    if held_by:
        outcomes = {c.key: _hold_everything(c, context, held_by[0]) for c in categories}
        logger.info("erasure of subject %s held by %s", subject.pk, ",".join(held_by))
        return ErasureSummary(subject.pk, outcomes, subject_deleted=False, held_by=held_by)

    outcomes: dict[str, CategoryOutcome] = {}
    subject_deleted = False
    for category in categories:
        if category.subject_path:
            outcomes[category.key] = _erase_category(category, context)
            continue
        # The subject itself, last: kept while any kept row still points to it.
        outcome = CategoryOutcome(category.key)
        if _still_linked(subject):
            outcome.kept[KeepReason.LINKED_DATA_KEPT] = 1
        else:
            outcome.deleted = _delete(category, category.rows_for(subject))
            subject_deleted = outcome.deleted > 0
        outcomes[category.key] = outcome
    logger.info(
        "erased subject %s: %s deleted, %s anonymised, %s kept",
        subject.pk,
        sum(o.deleted for o in outcomes.values()),
        sum(o.anonymised for o in outcomes.values()),
        sum(o.kept_total for o in outcomes.values()),
    )
    return ErasureSummary(subject.pk, outcomes, subject_deleted=subject_deleted)


def _hold_everything(category: Category, context: ErasureContext, reason: str) -> CategoryOutcome:
    outcome = CategoryOutcome(category.key)
    held = category.rows_for(context.subject).count()
    if held:
        outcome.kept[reason] = held
    return outcome


def _erase_category(category: Category, context: ErasureContext) -> CategoryOutcome:
    outcome = CategoryOutcome(category.key)
    remaining = category.rows_for(context.subject)
    for rule in category.keep:
        condition = rule.rows(context)
        matched = remaining.filter(condition)
        if rule.action == RowAction.ANONYMISE:
            outcome.anonymised += _anonymise(category, matched, context)
        else:
            count = matched.count()
            if count:
                outcome.kept[rule.reason] += count
        remaining = remaining.exclude(condition)
    if isinstance(category.erasure, Anonymise):
        outcome.anonymised += _anonymise(category, remaining, context)
    else:
        outcome.deleted += _delete(category, remaining)
    return outcome


def _still_linked(subject: DataSubject) -> bool:
    return any(
        category.rows_for(subject).exists()
        for category in datamap.categories()
        if category.subject_path
    )


def _anonymise(category: Category, rows: QuerySet, context: ErasureContext) -> int:
    # Update by primary key: the values may unlink the very path the rows were found by.
    pks = list(rows.values_list("pk", flat=True))
    if not pks:
        return 0
    values = category.anonymiser.resolve(context)
    return category.model._default_manager.filter(pk__in=pks).update(**values)


def _delete(category: Category, rows: QuerySet) -> int:
    _total, per_model = rows.delete()
    return per_model.get(category.model._meta.label, 0)
