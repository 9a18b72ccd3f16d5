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

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subjects.datamap import (
    Anonymise,
    Category,
    ErasureContext,
    KeepReason,
    RowAction,
    datamap,
)
from subjects.models import DataSubject, PurposeCode
from velux_privacy.errors import DomainError

logger = logging.getLogger(__name__)

# Subject-wide holds a caller may pass over: an erasure request does not block itself. Never a
# legal hold (GDPR Art. 17(3)(b)).
IGNORABLE_HOLDS = frozenset({KeepReason.OPEN_RIGHTS_REQUEST})


class ErasureRefused(DomainError):
    code = "erasure_refused"
    default_message = _("This erasure cannot be carried out as asked.")


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
    already_erased: bool = False  # the subject was gone before this run (a retried task)

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
            "already_erased": self.already_erased,
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

    purposes: erase only the categories these purposes take (`Category.serves_only`: all
    their purposes are among these, or they exist only by a consent for one of them; the
    unsubscribe purge passes §2.5); None erases every category.
    ignore_holds: subject-wide hold reasons the caller may pass over (only those in
    IGNORABLE_HOLDS: an erasure request does not block itself; a legal hold always does).

    The subject's row is locked first, so a hold or an order added meanwhile waits for the
    erasure to end. While a subject-wide hold applies nothing is touched. Otherwise each
    category's keep rules decide rows kept as they are or only anonymised; the rest is erased
    by the category's strategy, and admin log entries about erased rows are re-labelled. The
    subject row itself goes last, and only when nothing kept still points to it. Returns a
    summary per category without personal data (`already_erased` when the subject was gone
    already). One transaction. Raises ErasureRefused for a hold that may not be passed over or
    an unknown purpose.
    """
    if set(ignore_holds) - IGNORABLE_HOLDS:
        raise ErasureRefused(code="hold_not_ignorable")
    if purposes is not None and set(purposes) - set(PurposeCode.values):
        raise ErasureRefused(code="unknown_purpose")
    locked = DataSubject.objects.select_for_update().filter(pk=subject.pk).first()
    if locked is None:
        return ErasureSummary(subject.pk, {}, subject_deleted=False, already_erased=True)
    subject = locked
    context = ErasureContext(subject=subject, now=now or timezone.now())
    categories = [
        c for c in datamap.erasure_order() if purposes is None or c.serves_only(set(purposes))
    ]
    held_by = tuple(
        hold.reason
        for hold in datamap.holds()
        if hold.reason not in ignore_holds and hold.applies(subject)
    )
    if held_by:
        outcomes = {c.key: _hold_everything(c, context, held_by[0]) for c in categories}
        logger.info("erasure of subject %s held by %s", subject.pk, ",".join(held_by))
        return ErasureSummary(subject.pk, outcomes, subject_deleted=False, held_by=held_by)

    outcomes: dict[str, CategoryOutcome] = {}
    subject_deleted = False
    login_category = next((c for c in categories if c.model is get_user_model()), None)
    staff_login_unlinked = login_category is not None and _unlink_staff_login(subject)
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
    if staff_login_unlinked:
        outcomes[login_category.key].kept[KeepReason.STAFF_LOGIN] += 1
    summary = ErasureSummary(subject.pk, outcomes, subject_deleted=subject_deleted)
    logger.info(
        "erased subject %s: %s deleted, %s anonymised, %s kept",
        subject.pk,
        summary.rows_deleted,
        summary.rows_anonymised,
        summary.rows_kept,
    )
    return summary


def _unlink_staff_login(subject: DataSubject) -> bool:
    """A staff login is never a data subject's own (DESIGN.md). One found linked (a customer
    who became staff) is unlinked before the walk, so it stays, with its verified e-mail
    addresses, and the staff member can still sign in."""
    user = subject.user
    if user is None or not (user.is_staff or user.is_superuser):
        return False
    DataSubject.objects.filter(pk=subject.pk).update(user=None)
    subject.user = None
    return True


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
    anonymised = category.model._default_manager.filter(pk__in=pks)
    _relabel_admin_log(category, anonymised)
    return anonymised.update(**category.anonymiser.resolve(context))


def _delete(category: Category, rows: QuerySet) -> int:
    _relabel_admin_log(category, rows)
    _total, per_model = rows.delete()
    return per_model.get(category.model._meta.label, 0)


def _relabel_admin_log(category: Category, rows: QuerySet) -> None:
    """Admin log entries name their object by its __str__, which for some models (allauth's
    EmailAddress) is personal data: the entries about erased rows keep only the row's id."""
    content_type = ContentType.objects.get_for_model(category.model)
    row_ids = rows.annotate(log_object_id=Cast("pk", CharField())).values("log_object_id")
    LogEntry.objects.filter(content_type=content_type, object_id__in=row_ids).update(
        object_repr="[erased]"
    )
