"""Writes over the data map: erasing personal data (GDPR Art. 17), by request or by schedule.

One implementation, set-based: `subjects_erase` erases a batch of subjects with a bounded number
of statements per category (the rules and holds of the map are SQL conditions over the batch),
and `subject_erase` is the batch of one. Rows are deleted by set in SQL, never loaded into
Python: no per-row signals, no Collector. Every erasure that removed or anonymised something
writes a deletion receipt in its own transaction; whatever a reason that ends still keeps
(an open order, a contract in force, a legal hold) is recorded as an erasure pending, which the
daily re-check finishes once the reason is gone.

Used by erasure requests (dsr_requests) and the scheduled deletions (retention); neither
imports the other, both pass their cause.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import CharField, Count, F, Q, QuerySet
from django.db.models.functions import Cast
from django.db.models.sql import DeleteQuery
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
from subjects.models import (
    DataSubject,
    DeletionReceipt,
    ErasurePending,
    ProcessingLimit,
    PurposeCode,
)
from velux_privacy.appendonly import (
    erasure_allow_in_transaction,
    erasure_disallow_in_transaction,
)
from velux_privacy.errors import DomainError
from velux_privacy.lookups import Array
from velux_privacy.models import normalise_email

logger = logging.getLogger(__name__)

# Subject-wide holds a caller may pass over: an erasure request does not block itself, and the
# person's own erasure request passes over the restriction they asked for (it supersedes it).
# Never a legal hold (GDPR Art. 17(3)(b)).
IGNORABLE_HOLDS = frozenset({KeepReason.OPEN_RIGHTS_REQUEST, KeepReason.RESTRICTION})
# Kept for reasons that do not end by themselves, or that are no erasure left undone: nothing
# to finish later.
_NOT_PENDING = frozenset(
    {
        KeepReason.STAFF_LOGIN,
        KeepReason.OTHER_PURPOSE,
        KeepReason.LOGIN_IN_USE,
        KeepReason.REQUEST_HANDLED,
    }
)


class ErasureRefused(DomainError):
    code = "erasure_refused"
    default_message = _("This erasure cannot be carried out as asked.")


@dataclass(frozen=True)
class ErasureCause:
    """Why an erasure runs, for its receipt: a `DeletionReceipt.Cause` and what a person or
    auditor can quote (the request's reference, the retention run's id)."""

    kind: str
    reference: str = ""


def _add(counts: dict[str, int], reason: str, n: int) -> None:
    counts[reason] = counts.get(reason, 0) + n


@dataclass
class CategoryOutcome:
    """What erasure did to one category of one subject: rows deleted, rows anonymised (and
    why they stay), rows kept as they are (by reason)."""

    key: str
    deleted: int = 0
    anonymised: int = 0
    anonymised_for: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    @property
    def kept_total(self) -> int:
        return sum(self.kept.values())

    @property
    def is_empty(self) -> bool:
        return not (self.deleted or self.anonymised or self.kept_total)

    def as_dict(self) -> dict:
        return {
            "deleted": self.deleted,
            "anonymised": self.anonymised,
            "anonymised_for": dict(sorted(self.anonymised_for.items())),
            "kept": dict(sorted(self.kept.items())),
        }


@dataclass
class ErasureSummary:
    subject_id: int
    categories: Mapping[str, CategoryOutcome]
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

    def kept_for(self) -> list[str]:
        """The reasons rows were kept as they are, in the map's order of reasons."""
        reasons = {r for o in self.categories.values() for r, n in o.kept.items() if n}
        return [r for r in KeepReason.values if r in reasons]

    def as_dict(self) -> dict:
        """The summary without personal data, fit for a deletion receipt: the categories
        something happened to."""
        return {
            "subject_deleted": self.subject_deleted,
            "already_erased": self.already_erased,
            "held_by": list(self.held_by),
            "categories": {
                key: o.as_dict() for key, o in self.categories.items() if not o.is_empty
            },
        }


def subject_hash(email: str) -> str:
    """HMAC-SHA256 of the normalised e-mail under RECEIPT_HASH_KEY: how receipts and logs name
    a person without holding their data (DESIGN.md), and how `receipt_check` finds them."""
    key = settings.RECEIPT_HASH_KEY.encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def subject_erase(
    *,
    subject: DataSubject,
    cause: ErasureCause,
    purposes: Collection[str] | None = None,
    ignore_holds: Collection[str] = (),
    now: datetime | None = None,
) -> ErasureSummary:
    """Erase one subject: `subjects_erase` for a batch of one."""
    summaries = subjects_erase(
        subject_ids=[subject.pk],
        cause=cause,
        purposes=purposes,
        ignore_holds=ignore_holds,
        now=now,
    )
    return summaries[subject.pk]


class _PreviewDone(Exception):  # control flow, never raised to a caller
    def __init__(self, summary: ErasureSummary) -> None:
        self.summary = summary


def subject_erasure_preview(
    *,
    subject: DataSubject,
    purposes: Collection[str] | None = None,
    ignore_holds: Collection[str] = (),
    now: datetime | None = None,
) -> ErasureSummary:
    """What `subject_erase` would do to `subject` now, changing nothing: the erasure itself,
    run in a savepoint that is then rolled back (its receipt, pending records and after-commit
    work go with it). So the preview a person or staff member reads before confirming is the
    erasure's own outcome, never a second reading of the map's rules that could drift from it.
    """
    try:
        with transaction.atomic():
            summary = subject_erase(
                subject=subject,
                cause=ErasureCause(kind=DeletionReceipt.Cause.RIGHTS_REQUEST, reference="preview"),
                purposes=purposes,
                ignore_holds=ignore_holds,
                now=now,
            )
            raise _PreviewDone(summary)
    except _PreviewDone as done:
        return done.summary


@transaction.atomic
def subjects_erase(
    *,
    subject_ids: Iterable[int],
    cause: ErasureCause,
    purposes: Collection[str] | None = None,
    ignore_holds: Collection[str] = (),
    now: datetime | None = None,
) -> dict[int, ErasureSummary]:
    """Erase what VELUX holds on each of `subject_ids`, walking the data map children first.

    purposes: erase only the categories these purposes take (`Category.serves_only`: all
    their purposes are among these, or they exist only by a consent for one of them; the
    unsubscribe purge passes §2.5). Then the person's identity (and their login, its e-mail
    addresses and sessions) goes too when nothing else is held on them any more and their
    login is not still in use; otherwise it stays, for the other purposes. None erases every
    category.
    ignore_holds: subject-wide hold reasons the caller may pass over (only those in
    IGNORABLE_HOLDS: an erasure request does not block itself; a legal hold always does).

    The subjects' rows are locked first (in id order), so a hold or an order added meanwhile
    waits for the erasure to end. A subject under a subject-wide hold is not touched. For the
    others each category's keep rules decide the rows kept as they are or only anonymised; the
    rest is erased by the category's strategy, and admin log entries about erased rows are
    re-labelled. A row still pointed at by a row that stays, stays too. Staff logins always
    stay. Writes one deletion receipt per subject something was erased of, and records an
    erasure pending for what a reason that ends still keeps.

    Returns a summary per subject without personal data (`already_erased` for a subject gone
    before this run: a retried task). One transaction, a bounded number of statements per
    category for the whole batch. Raises ErasureRefused for a hold that may not be passed over
    or an unknown purpose.
    """
    if set(ignore_holds) - IGNORABLE_HOLDS:
        raise ErasureRefused(code="hold_not_ignorable")
    if purposes is not None and set(purposes) - set(PurposeCode.values):
        raise ErasureRefused(code="unknown_purpose")
    requested = sorted(set(subject_ids))
    context = ErasureContext(
        now=now or timezone.now(),
        purposes=frozenset(purposes) if purposes is not None else None,
    )
    erasure_allow_in_transaction()
    try:
        return _subjects_erase_locked(
            requested=requested, cause=cause, context=context, ignore_holds=ignore_holds
        )
    finally:
        # The guard of the append-only tables is back for the rest of a caller's transaction.
        erasure_disallow_in_transaction()


def _subjects_erase_locked(
    *,
    requested: list[int],
    cause: ErasureCause,
    context: ErasureContext,
    ignore_holds: Collection[str],
) -> dict[int, ErasureSummary]:
    locked = dict(
        DataSubject.objects.select_for_update()
        .filter(pk__in_array=requested)
        .order_by("pk")
        .values_list("pk", "email")
    )
    run = _ErasureRun(context=context, emails=locked)
    summaries = {
        pk: ErasureSummary(pk, {}, subject_deleted=False, already_erased=True)
        for pk in requested
        if pk not in locked
    }

    held = run.held_subjects(ignore_holds)
    active = Array(pk for pk in locked if pk not in held)
    taken = [
        c
        for c in datamap.erasure_order()
        if context.purposes is None or c.serves_only(set(context.purposes))
    ]
    run.find_holding(datamap.erasure_order(), active)
    for category in (c for c in taken if not c.with_identity):
        run.erase_category(category, active)
    identity_ids, identity_kept = run.identity_free(active)
    identity = datamap.category_of(DataSubject)
    going = run.identity_settle(identity, Array(identity_ids))
    for category in datamap.erasure_order():
        if category.with_identity and category is not identity:
            run.erase_category(category, going)
    run.identity_erase(identity, going)
    for pk, reason in identity_kept.items():
        _add(run.outcome(pk, "identity").kept, reason, 1)
    for category in datamap.erasure_order():
        run.count_held(category, held)

    deleted_subjects = set(going) - set(
        DataSubject.objects.filter(pk__in_array=going).values_list("pk", flat=True)
    )
    for pk in locked:
        summaries[pk] = ErasureSummary(
            pk,
            _Outcomes(run.outcomes.get(pk, {}), run.walked),
            subject_deleted=pk in deleted_subjects,
            held_by=held.get(pk, ()),
        )
    run.relabel_admin_log_naming_addresses()
    _record_pending(summaries, deleted_subjects, cause, context)
    _write_receipts(summaries, locked, cause, context)
    logger.info(
        "erasure (%s %s): %s subjects, %s deleted, %s held, %s already erased",
        cause.kind,
        cause.reference or "-",
        len(requested),
        len(deleted_subjects),
        len(held),
        len(requested) - len(locked),
    )
    return {pk: summaries[pk] for pk in requested}


class _Outcomes(Mapping[str, CategoryOutcome]):
    """A subject's outcome per category: those something happened to, and an empty outcome
    for every other category the run walked (built on demand: a batch is thousands)."""

    def __init__(self, touched: dict[str, CategoryOutcome], walked: Sequence[str]) -> None:
        self._touched = touched
        self._walked = walked  # shared by the batch's summaries

    def _keys(self) -> list[str]:
        return list(dict.fromkeys([*self._walked, *self._touched]))

    def __getitem__(self, key: str) -> CategoryOutcome:
        if key in self._touched:
            return self._touched[key]
        if key in self._walked:
            return CategoryOutcome(key)
        raise KeyError(key)

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def values(self):
        return self._touched.values()

    def items(self):
        return self._touched.items()


class _ErasureRun:
    """The statements of one batch erasure, category by category, and what they did."""

    def __init__(self, *, context: ErasureContext, emails: dict[int, str]) -> None:
        self.context = context
        self.emails = emails
        self.subject_by_email = {email: pk for pk, email in emails.items()}
        self.outcomes: dict[int, dict[str, CategoryOutcome]] = defaultdict(dict)
        # Categories walked in this run, and those of them whose rows about the batch all
        # went (none kept, none left): such rows cannot stand in the way of a parent's delete.
        self.walked: list[str] = []
        self.emptied: set[type[models.Model]] = set()
        self.left: dict[type[models.Model], set[int]] = {}
        self.identity_settled: list = []
        self.held: dict[int, tuple[str, ...]] = {}
        # The keys of the categories that hold a row about the batch (`find_holding`); None:
        # not looked up, every category is walked in full.
        self.holding: set[str] | None = None
        models_ = [c.model for c in datamap.categories()]
        content_types = ContentType.objects.get_for_models(*models_)
        logged = set(
            LogEntry.objects.filter(content_type__in=content_types.values())
            .values_list("content_type_id", flat=True)
            .distinct()
        )
        # Re-label the admin log only for models it has entries about.
        self.logged_content_types = {
            model: ct for model, ct in content_types.items() if ct.pk in logged
        }

    def outcome(self, pk: int, key: str) -> CategoryOutcome:
        outcomes = self.outcomes[pk]
        if key not in outcomes:
            outcomes[key] = CategoryOutcome(key)
        return outcomes[key]

    # Holds

    def held_subjects(self, ignore_holds: Collection[str]) -> dict[int, tuple[str, ...]]:
        held: dict[int, list[str]] = defaultdict(list)
        if not self.emails:
            return {}
        for hold in datamap.holds():
            if hold.reason in ignore_holds:
                continue
            matching = DataSubject.objects.filter(pk__in_array=list(self.emails)).filter(
                hold.subjects(self.context.now)
            )
            for pk in matching.values_list("pk", flat=True):
                held[pk].append(hold.reason)
        self.held = {pk: tuple(reasons) for pk, reasons in held.items()}
        return self.held

    def count_held(self, category: Category, held: dict[int, tuple[str, ...]]) -> None:
        if not held:
            return
        for pk, count in self._count_by_subject(category, self._rows(category, list(held))):
            _add(self.outcome(pk, category.key).kept, held[pk][0], count)

    # The identity

    def identity_free(self, active: list[int]) -> tuple[list[int], dict[int, str]]:
        """The subjects whose identity this run erases, and why the others' stays.

        A full erasure takes every identity (its keep rules still apply). One for some
        purposes only takes an identity when no other category still holds rows on the person
        and their login is not in use.
        """
        if self.context.purposes is None or not active:
            return active, {}
        needed = self._subjects_having(
            [(c, None) for c in datamap.categories() if c.subject_path and not c.with_identity],
            active,
        )
        in_use = self._subjects_having(
            [(c, c.in_use(self.context)) for c in datamap.categories() if c.in_use is not None],
            active,
        )
        kept = dict.fromkeys(needed, KeepReason.OTHER_PURPOSE)
        for pk in in_use:
            kept.setdefault(pk, KeepReason.LOGIN_IN_USE)
        return [pk for pk in active if pk not in kept], kept

    def _subjects_having(
        self, wanted: list[tuple[Category, Q | None]], subject_ids: list[int]
    ) -> set[int]:
        """The subjects among `subject_ids` with a row in any of the categories (matching its
        condition): one UNION of index lookups, whatever the number of categories."""
        by_link, by_email = [], []
        for category, condition in wanted:
            rows = self._rows(category, subject_ids)
            if condition is not None:
                rows = rows.filter(condition)
            # Rows found by e-mail are not linked: their subject is the one of that address.
            linked = category.subject_path or "pk"
            by_link.append(
                rows.filter(**{f"{linked}__isnull": False}).values_list(linked).order_by()
            )
            for lookup in category.match_email:
                by_email.append(
                    rows.filter(**{f"{linked}__isnull": True})
                    .annotate(subject_email=F(lookup))
                    .values_list("subject_email")
                    .order_by()
                )
        found: set[int] = set()
        if by_link:
            found |= {pk for (pk,) in by_link[0].union(*by_link[1:])}
        if by_email:
            addresses = {email for (email,) in by_email[0].union(*by_email[1:])}
            found |= {
                self.subject_by_email[email]
                for email in addresses
                if email in self.subject_by_email
            }
        return found & set(subject_ids)

    # Categories

    def _rows(self, category: Category, subject_ids: Sequence[int]) -> QuerySet:
        emails = [self.emails[pk] for pk in subject_ids] if category.match_email else ()
        return category.rows_for_batch(subject_ids, emails)

    def _attribution(self, category: Category) -> tuple[str, ...]:
        """What tells, for each row, whom it is about: its path to the subject and, for a
        category that also matches by e-mail, that address (resolved here, in Python)."""
        linked = category.subject_path or "pk"
        return (linked, *category.match_email)

    def _subject_of(self, values: tuple) -> int | None:
        linked = values[0]
        if linked is not None:
            return linked
        for email in values[1:]:  # the first address that is one of the batch's people
            if email in self.subject_by_email:
                return self.subject_by_email[email]
        return None

    def _count_by_subject(self, category: Category, rows: QuerySet) -> list[tuple[int, int]]:
        fields = self._attribution(category)
        counted = rows.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n").order_by()
        totals: Counter[int] = Counter()
        for *values, n in counted:
            subject_id = self._subject_of(tuple(values))
            if subject_id in self.emails:
                totals[subject_id] += n
        return list(totals.items())

    def _rows_by_subject(self, category: Category, rows: QuerySet) -> list[tuple[int, int]]:
        """(primary key, subject id) of each row: the few rows a rule keeps or anonymises."""
        found = rows.values_list("pk", *self._attribution(category)).order_by()
        return [(pk, self._subject_of(tuple(values))) for pk, *values in found]

    def erase_category(self, category: Category, subject_ids: list[int]) -> None:
        """Apply the category's keep rules, then its erasure, to the batch's rows.

        The rows a rule keeps or anonymises are found by key (they are few: what must stay),
        and left out of the rest by key, so the statements stay plain index lookups whatever
        the number of rules; the rows deleted are never read.
        """
        if not subject_ids:
            return
        if self.holding is not None and category.key not in self.holding:
            # Nothing about the batch: what walking it would conclude, without its 5 to 8
            # statements (no row kept, left or pointing at anything of the batch).
            self.walked.append(category.key)
            if not isinstance(category.erasure, Anonymise):
                self.emptied.add(category.model)
                self.left[category.model] = set()
            return
        rows = self._rows_of(category, subject_ids)
        settled = self._settle(category, rows)
        self._erase_rest(category, rows, settled, set(subject_ids) - set(settled))

    def find_holding(self, categories: Sequence[Category], subject_ids: Sequence[int]) -> None:
        """Which of `categories` hold a row about any of `subject_ids` (`holding`), in one
        statement: an EXISTS of each category's rows (index lookups), joined by UNION ALL.
        Most categories hold nothing on most batches, and walking each cost 5 to 8 statements
        (bench/erase.py). A row linked to a subject is never added during the run (the
        subjects are locked, and its insert waits for the lock), so a category that only
        links stays empty for them, and for the subset whose identity goes.

        A row linked to nobody and found by address does not wait: a sign-up or a request
        with the person's address while the batch runs. Such a row is new data, given after
        the batch looked: in a category that held nothing on the batch it stays, as one given
        a second later would (a fresh account is not taken from under its owner). Looking for
        it again before each such category's turn cost 17 EXISTS of 1,000 addresses per
        batch, +20 % of the batch's time (bench/erase.py), and still left the window between
        a look and the commit. Should such a row point at one of the batch's rows that goes,
        the database's deferred foreign key refuses the commit: nothing of the batch is
        erased, and its people are still due at the next run."""
        if not subject_ids:
            self.holding = set()
            return
        parts, params = [], []
        for category in categories:
            rows = self._rows(category, subject_ids).values("pk").order_by()
            sql, row_params = rows.query.sql_with_params()
            parts.append(f"SELECT %s WHERE EXISTS ({sql})")
            params += [category.key, *row_params]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            self.holding = {key for (key,) in cursor.fetchall()}

    def identity_settle(self, category: Category, subject_ids: list[int]) -> Array:
        """The people's own rows, first half: their keep rules (kept whole, or reduced to what
        an open order needs), and whom other rows that stay still point at. Returns the
        subjects whose identity goes: only theirs may the categories that go with the
        identity (their login, restrictions, consent history…) be erased."""
        if not subject_ids:
            return Array([])
        rows = self._rows_of(category, subject_ids)
        self.identity_settled = self._settle(category, rows)
        candidates = set(subject_ids) - set(self.identity_settled)
        remaining = (
            rows.exclude(pk__in_array=self.identity_settled) if self.identity_settled else rows
        )
        along = {c.model for c in datamap.categories() if c.with_identity and c.subject_path}
        blocked = self._blocked(category, remaining, candidates, ignoring=along)
        for subject_id in blocked:
            _add(self.outcome(subject_id, category.key).kept, KeepReason.LINKED_DATA_KEPT, 1)
        going = Array(pk for pk in subject_ids if pk in candidates and pk not in blocked)
        self._kept_with_identity(category, [pk for pk in subject_ids if pk not in set(going)])
        return going

    def _kept_with_identity(self, identity: Category, staying: list[int]) -> None:
        """What goes with the identity stays with it: counted as kept, for the reason the
        person stays (their login, restrictions, consent history…)."""
        if not staying:
            return
        reasons = {}
        for pk in staying:
            outcome = self.outcome(pk, identity.key)
            reasons[pk] = next(iter({**outcome.kept, **outcome.anonymised_for}), None)
        for category in datamap.categories():
            if not (category.with_identity and category.subject_path):
                continue
            if self.holding is not None and category.key not in self.holding:
                continue  # nothing about the batch, so nothing about those who stay
            counts = self._count_by_subject(category, self._rows_of(category, staying))
            for pk, count in counts:
                reason = reasons.get(pk) or KeepReason.LINKED_DATA_KEPT
                _add(self.outcome(pk, category.key).kept, reason, count)

    def identity_erase(self, category: Category, going: Array) -> None:
        """Second half: the rows of the people whose identity goes, once what goes with it is
        gone (children first)."""
        self.walked.append(category.key)
        if not going:
            return
        rows = self._rows_of(category, going)
        self._erase_rest(category, rows, [], set(going), walked=False)

    def _rows_of(self, category: Category, subject_ids) -> QuerySet:
        if not category.match_email:
            return self._rows(category, subject_ids)
        # A login's rows, found by link or by address: a few per person. Their keys first (two
        # index lookups), so every statement below starts from an exact list, not from a join
        # and an OR the planner cannot estimate.
        emails = [self.emails[pk] for pk in subject_ids]
        keys = [
            *category.linked_rows(subject_ids).values_list("pk", flat=True),
            *category.unlinked_rows(emails).values_list("pk", flat=True),
        ]
        return category.model._base_manager.filter(pk__in_array=list(dict.fromkeys(keys)))

    def _settle(self, category: Category, rows: QuerySet) -> list:
        """Apply the keep rules in order; returns the keys of the rows they kept or anonymised
        in place. A row already anonymised the way its rule says (an earlier run) is counted
        as kept, not anonymised again: a rerun changes nothing and proves nothing new."""
        settled: list = []
        for rule in category.keep:
            condition = rule.rows(self.context)
            if condition is None:
                continue
            matched = rows.filter(condition)
            if settled:
                matched = matched.exclude(pk__in_array=settled)
            found = self._rows_by_subject(category, matched)
            if not found:
                continue
            keys = list(dict.fromkeys(pk for pk, _subject in found))
            changed = set(keys)
            if rule.action == RowAction.ANONYMISE:
                recipe = rule.anonymise or category.anonymiser
                done = recipe.already_q()
                if done is not None:
                    changed -= set(
                        category.model._base_manager.filter(pk__in_array=keys)
                        .filter(done)
                        .values_list("pk", flat=True)
                    )
                if changed:
                    self._anonymise(category, sorted(changed), recipe)
            for pk, subject_id in found:
                if subject_id not in self.emails:
                    continue
                outcome = self.outcome(subject_id, category.key)
                if rule.action == RowAction.ANONYMISE and pk in changed:
                    outcome.anonymised += 1
                    _add(outcome.anonymised_for, rule.reason, 1)
                else:
                    _add(outcome.kept, rule.reason, 1)
            settled += keys
        return settled

    def _erase_rest(
        self,
        category: Category,
        rows: QuerySet,
        settled: list,
        candidates: set[int],
        *,
        walked: bool = True,
    ) -> None:
        """The category's erasure for the rows no rule settled."""
        if walked:
            self.walked.append(category.key)
        remaining = rows.exclude(pk__in_array=settled) if settled else rows
        if isinstance(category.erasure, Anonymise):
            found = self._rows_by_subject(category, remaining)
            if found:
                self._anonymise(category, [pk for pk, _s in found], category.erasure)
            for _pk, subject_id in found:
                if subject_id in self.emails:
                    self.outcome(subject_id, category.key).anonymised += 1
            return
        blocked = self._blocked(category, remaining, candidates)
        left: set[int] = set()
        if blocked:
            for _pk, subject_id in self._rows_by_subject(
                category, rows.filter(pk__in_array=list(blocked))
            ):
                if subject_id in self.emails:
                    _add(
                        self.outcome(subject_id, category.key).kept, KeepReason.LINKED_DATA_KEPT, 1
                    )
                    left.add(subject_id)
            remaining = remaining.exclude(pk__in_array=list(blocked))
        self._relabel_admin_log(category.model, remaining)
        for pk, count in self._delete_counting(category, remaining):
            self.outcome(pk, category.key).deleted += count
        if not settled and not blocked:
            self.emptied.add(category.model)
        # Whom rows of this category still point at: kept as they are, or held by a child.
        self.left[category.model] = left | {
            subject_id
            for subject_id, outcome in self.outcomes_of(category.key)
            if outcome.kept_total
        }

    def outcomes_of(self, key: str):
        for subject_id, outcomes in self.outcomes.items():
            if key in outcomes:
                yield subject_id, outcomes[key]

    def _blocked(
        self,
        category: Category,
        remaining: QuerySet,
        candidates: set[int],
        *,
        ignoring: Collection[type[models.Model]] = (),
    ) -> set:
        """The keys of `remaining` that a row which stays still points at. For the subjects'
        own rows, the walk already knows whom every category it took still holds rows on;
        other parents (an order its lines keep) are looked up."""
        if category.subject_path:
            return _pointed_at(category.model, remaining, emptied=self.emptied)
        known = {
            relation.related_model
            for relation in _reverse_relations(category.model)
            if relation.related_model in self.left
        }
        blocked = _pointed_at(
            category.model, remaining, emptied=self.emptied | known | set(ignoring)
        )
        for model in known:
            if model not in self.emptied and model not in ignoring:
                blocked |= self.left[model]
        return blocked & candidates

    def _delete_counting(self, category: Category, rows: QuerySet) -> list[tuple[int, int]]:
        """Delete `rows` (`_delete_set`) and say how many of each subject went.

        On PostgreSQL, for rows one foreign key away from the subject, one statement does
        both: the DELETE returns each row's subject to a GROUP BY in the same statement, so
        nothing per row reaches Python. Otherwise a count, then the delete.
        """
        path = category.subject_path
        one_hop = path and "__" not in path and not category.match_email
        link = category.model._meta.get_field(path) if one_hop else None
        if connection.vendor != "postgresql" or link is None or not link.concrete:
            counts = self._count_by_subject(category, rows)
            if counts:
                _delete_set(rows)
            return counts
        _delete_dependants(rows)
        _files_delete_on_commit(rows)
        query = rows.query.clone()
        query.__class__ = DeleteQuery
        delete_sql, params = query.get_compiler(rows.db).as_sql()
        column = connection.ops.quote_name(link.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH gone AS ({delete_sql} RETURNING {column} AS subject_id) "  # noqa: S608
                "SELECT subject_id, COUNT(*) FROM gone GROUP BY subject_id",
                params,
            )
            return [(pk, n) for pk, n in cursor.fetchall() if pk in self.emails]

    def _anonymise(self, category: Category, keys: list, recipe: Anonymise) -> None:
        rows = category.model._base_manager.filter(pk__in_array=keys)
        self._relabel_admin_log(category.model, rows)
        rows.update(**recipe.resolve(self.context))

    def relabel_admin_log_naming_addresses(self) -> None:
        """Entries that name one of the batch's addresses as their object (allauth's
        EmailAddress is shown by its address), whatever row they were about, even one
        deleted earlier: they keep only the row's id. One statement a batch."""
        addresses = [email for pk, email in self.emails.items() if pk not in self.held]
        if addresses:
            LogEntry.objects.filter(object_repr__in_array=addresses).update(object_repr="[erased]")

    def _relabel_admin_log(self, model: type[models.Model], rows: QuerySet) -> None:
        """Admin log entries name their object by its __str__, which for some models (allauth's
        EmailAddress) is personal data: the entries about erased rows keep only the row's id."""
        content_type = self.logged_content_types.get(model)
        if content_type is None:
            return
        row_ids = rows.annotate(log_object_id=Cast("pk", CharField())).values("log_object_id")
        LogEntry.objects.filter(content_type=content_type, object_id__in=row_ids).update(
            object_repr="[erased]"
        )


def _reverse_relations(model: type[models.Model]) -> list:
    """Every foreign key and one-to-one pointing at `model`, hidden ones (many-to-many tables)
    included."""
    return [
        relation
        for relation in model._meta.get_fields(include_hidden=True)
        if (relation.one_to_many or relation.one_to_one)
        and relation.auto_created
        and not relation.concrete
    ]


def _blocks_deletion(relation) -> bool:
    """A row pointing at a row to delete keeps it when deleting would take or break the row
    that stays: a mapped row (erased first if it had to go, so one left was kept), or one
    whose link PROTECTs, RESTRICTs or is left to the database."""
    on_delete = relation.on_delete
    if on_delete in (models.PROTECT, models.RESTRICT, models.DO_NOTHING):
        return True
    return datamap.category_of(relation.related_model) is not None and on_delete is models.CASCADE


def _pointed_at(
    model: type[models.Model], rows: QuerySet, *, emptied: Collection[type[models.Model]] = ()
) -> set:
    """The keys of `rows` that a row which must stay still points at (`_blocks_deletion`):
    one UNION of index lookups over the referring tables, nothing when none can refer.

    `emptied`: mapped models whose rows about the batch this run deleted, every one: they
    point at nothing of the batch any more (the subjects' rows are locked, so none is added
    meanwhile) and are not looked at. Should one still point, the database's foreign key
    refuses the delete: the last net.
    """
    queries = [
        relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": rows.values(relation.field.target_field.attname)}
        )
        .values_list(relation.field.attname, flat=True)
        .order_by()
        for relation in _reverse_relations(model)
        if _blocks_deletion(relation) and relation.related_model not in emptied
    ]
    if not queries:
        return set()
    return set(queries[0].union(*queries[1:])) - {None}


def _delete_set(rows: QuerySet) -> int:
    """DELETE the rows in SQL, with what the database would refuse or Django would cascade
    done first by set (`_delete_dependants`). Never loads a row, never sends a signal (the
    map knows all data); the files the rows point at go after commit (`_files_delete_on_commit`)."""
    _delete_dependants(rows)
    _files_delete_on_commit(rows)
    return rows._raw_delete(rows.db)


def _files_delete_on_commit(rows: QuerySet) -> None:
    """The stored files of `rows` (an export's ZIP, a document, a recipient's answer) are
    deleted once the erasure commits: a raw DELETE leaves them on disk, and personal data must
    not wait for a nightly sweep. One SELECT of the file columns, only for models that have
    any; a failed delete is logged and left to the sweeps (robust)."""
    file_fields = [f for f in rows.model._meta.concrete_fields if isinstance(f, models.FileField)]
    if not file_fields:
        return
    for file_field in file_fields:
        names = [
            name
            for name in rows.exclude(**{file_field.attname: ""})
            .values_list(file_field.attname, flat=True)
            .order_by()
            if name
        ]
        if names:
            storage = file_field.storage
            transaction.on_commit(
                lambda storage=storage, names=names: _files_delete(storage, names), robust=True
            )


def _files_delete(storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
    logger.info("deleted %s stored files of erased rows", len(names))


def _delete_dependants(rows: QuerySet) -> None:
    """Before `rows` go: links to them that SET_NULL are cleared, unmapped rows that CASCADE
    are deleted (and theirs), each by one statement."""
    for relation in _reverse_relations(rows.model):
        if _blocks_deletion(relation):
            continue  # left out of `rows` by the caller (`_pointed_at`)
        link = relation.field
        pointing = relation.related_model._base_manager.filter(
            **{f"{link.name}__in": rows.values(link.target_field.attname)}
        )
        if relation.on_delete is models.CASCADE:
            _delete_set(pointing)
        elif relation.on_delete is models.SET_NULL:
            pointing.update(**{link.name: None})
        else:  # SET_DEFAULT, SET(...)
            raise NotImplementedError(f"{link} needs its on_delete done by set")


def _record_pending(
    summaries: dict[int, ErasureSummary],
    deleted_subjects: set[int],
    cause: ErasureCause,
    context: ErasureContext,
) -> None:
    """What a reason that ends still keeps is finished later (the daily re-check): one
    ErasurePending per subject and cause, up to date; none once nothing is kept."""
    purposes = sorted(context.purposes) if context.purposes is not None else None
    pending = []
    done = []
    for pk, summary in summaries.items():
        if summary.already_erased or pk in deleted_subjects:
            continue
        kept_for = [r for r in (*summary.held_by, *summary.kept_for()) if r not in _NOT_PENDING]
        if kept_for:
            pending.append(
                ErasurePending(
                    subject_id=pk,
                    cause=cause.kind,
                    cause_reference=cause.reference,
                    purposes=purposes,
                    kept_for=list(dict.fromkeys(kept_for)),
                    recorded_at=context.now,
                    checked_at=context.now,
                )
            )
        else:
            done.append(pk)
    if done:
        ErasurePending.objects.filter(
            subject__pk__in_array=done, cause=cause.kind, cause_reference=cause.reference
        ).delete()
    if pending:
        ErasurePending.objects.bulk_create(
            pending,
            update_conflicts=True,
            unique_fields=["subject", "cause", "cause_reference"],
            update_fields=["purposes", "kept_for", "checked_at"],
        )


def _write_receipts(
    summaries: dict[int, ErasureSummary],
    emails: dict[int, str],
    cause: ErasureCause,
    context: ErasureContext,
) -> None:
    purposes = sorted(context.purposes) if context.purposes is not None else None
    receipts = [
        {
            "subject_hash": subject_hash(emails[pk]),
            "summary": summary.as_dict(),
            "subject_deleted": summary.subject_deleted,
            "rows_kept": summary.rows_kept,
        }
        for pk, summary in summaries.items()
        if summary.rows_deleted or summary.rows_anonymised
    ]
    if not receipts:
        return
    common = {
        "cause": cause.kind,
        "cause_reference": cause.reference,
        "purposes": purposes,
        "erased_at": context.now,
    }
    if connection.vendor == "postgresql":
        # One JSON document for the whole batch, unpacked by the server: thousands of rows
        # without quoting each value on the client (bulk_create's arrays cost more than the
        # erasure they prove).
        table = DeletionReceipt._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (subject_hash, summary, subject_deleted, rows_kept, '  # noqa: S608
                "cause, cause_reference, purposes, erased_at) "
                "SELECT r.subject_hash, r.summary, r.subject_deleted, r.rows_kept, "
                "%s, %s, %s::jsonb, %s FROM jsonb_to_recordset(%s::jsonb) AS r("
                "subject_hash varchar, summary jsonb, subject_deleted boolean, rows_kept integer)",
                [
                    common["cause"],
                    common["cause_reference"],
                    None if purposes is None else json.dumps(purposes),
                    common["erased_at"],
                    json.dumps(receipts),
                ],
            )
        return
    DeletionReceipt.objects.bulk_create(
        (DeletionReceipt(**receipt, **common) for receipt in receipts), batch_size=1000
    )


class RectificationRefused(DomainError):
    """A correction that cannot be applied: an unknown category or field, a row that is no
    longer there, or a value the field does not take (`fields` says which, and why)."""

    code = "rectification_refused"
    default_message = _("The correction cannot be applied as asked.")


@dataclass(frozen=True)
class Correction:
    """One value to write: `field` of the row `object_id` of the data map's `category`."""

    category: str
    field: str
    object_id: int
    value: str


def rectification_field_check(*, category_key: str, field: str) -> Category:
    """The category of a correction of `field`, or RectificationRefused when `field` is not a
    rectifiable field of it (`Category.rectifiable_fields`)."""
    category = datamap.category(category_key)
    if category is None:
        raise RectificationRefused(
            _("VELUX does not hold this kind of data."), code="unknown_category"
        )
    if field not in {f.name for f in category.rectifiable_fields()}:
        message = _("This field cannot be corrected through a request.")
        raise RectificationRefused(message, code="field_not_rectifiable", fields={field: [message]})
    return category


def rectification_value_clean(*, category: Category, instance: models.Model, field: str, value):
    """`value` as `field` of `instance` stores it, validated by the model field (its type,
    length, choices and validators); RectificationRefused with the field's messages
    otherwise."""
    from django.core.exceptions import ValidationError

    model_field = category.model._meta.get_field(field)
    try:
        return model_field.clean(value, instance)
    except ValidationError as error:
        raise RectificationRefused(
            code="invalid_value", fields={field: list(error.messages)}
        ) from error


@transaction.atomic
def subject_rectify(
    *,
    subject: DataSubject,
    changes: Sequence[Correction],
    actor=None,
    rights_request=None,
) -> list[Correction]:
    """Apply corrections (GDPR Art. 16) to `subject`'s rows, field by field, through the data
    map: each field must be rectifiable (`Category.rectifiable_fields`), each row the
    subject's, each value valid for its model field (`Field.clean`, then the row's
    `clean_fields` and `validate_unique`). All or nothing: one bad value raises
    RectificationRefused (with the fields and their messages) and changes nothing.

    `actor` and `rights_request` are the staff login and the request it is done for (logged
    by id). Returns the corrections applied."""
    from django.core.exceptions import ValidationError

    by_row: dict[tuple[str, int], list[Correction]] = defaultdict(list)
    for change in changes:
        by_row[(change.category, change.object_id)].append(change)
    errors: dict[str, list] = {}
    to_save = []
    for (category_key, object_id), row_changes in by_row.items():
        for change in row_changes:
            category = rectification_field_check(category_key=category_key, field=change.field)
        instance = category.rows_for(subject).select_for_update().filter(pk=object_id).first()
        if instance is None:
            raise RectificationRefused(code="row_not_found")
        names = []
        for change in row_changes:
            try:
                cleaned = rectification_value_clean(
                    category=category, instance=instance, field=change.field, value=change.value
                )
            except RectificationRefused as refused:
                errors.update(refused.fields or {})
                continue
            setattr(instance, change.field, cleaned)
            names.append(change.field)
        others = [f.name for f in instance._meta.concrete_fields if f.name not in names]
        try:
            instance.clean_fields(exclude=others)
            instance.validate_unique()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        to_save.append((instance, names))
    if errors:
        raise RectificationRefused(code="invalid_value", fields=errors)
    for instance, names in to_save:
        if names:
            instance.save(update_fields=names)
    logger.info(
        "subject %s rectified: %s fields (request %s, by login %s)",
        subject.pk,
        len(changes),
        getattr(rights_request, "pk", None),
        getattr(actor, "pk", None),
    )
    return list(changes)


class SubjectLinkRefused(DomainError):
    code = "subject_link_refused"
    default_message = _("This login cannot be linked to the person's data.")


@transaction.atomic
def subject_get_or_create_for_email(*, email: str, language: str | None = None) -> DataSubject:
    """The data subject of a confirmed e-mail address, created when VELUX holds nothing on it
    yet (DESIGN.md: intake finds or creates the subject by normalised e-mail, only once the
    address is confirmed; callers confirm it first). `language` is the new subject's
    preferred language; an existing subject's is left as it is."""
    normalised = normalise_email(email)
    subject = DataSubject.objects.select_for_update().filter(email=normalised).first()
    if subject is not None:
        return subject
    fields = {"email": normalised}
    if language:
        fields["preferred_language"] = language
    # The unique constraint is the last net if two confirmations race (get_or_create retries).
    subject, _created = DataSubject.objects.get_or_create(email=normalised, defaults=fields)
    return subject


@transaction.atomic
def subject_link_login(*, user, email: str, language: str | None = None) -> DataSubject:
    """Link a customer's login to the data subject of `email`, an address of that login which
    allauth has just verified, creating the subject if VELUX holds nothing on it yet.

    Raises SubjectLinkRefused for a staff login (staff logins have no data subject), for an
    address that is not the login's own verified one, and when the subject is already linked
    to another login. Linking again the same pair changes nothing.
    """
    from allauth.account.models import EmailAddress

    if user.is_staff or user.is_superuser:
        raise SubjectLinkRefused(code="staff_login")
    normalised = normalise_email(email)
    if not EmailAddress.objects.filter(user=user, email=normalised, verified=True).exists():
        raise SubjectLinkRefused(code="email_not_verified")
    subject = subject_get_or_create_for_email(email=normalised, language=language)
    if subject.user_id == user.pk:
        return subject
    if subject.user_id is not None:
        raise SubjectLinkRefused(code="subject_has_another_login")
    # A login links to one subject: an earlier link (another address of this login) stays.
    if DataSubject.objects.filter(user=user).exists():
        raise SubjectLinkRefused(code="login_has_another_subject")
    subject.user = user
    subject.save(update_fields=["user"])
    logger.info("login %s linked to subject %s", user.pk, subject.pk)
    return subject


# Restrictions (GDPR Art. 18) and objections (Art. 21): flags on the subject that every
# processing of §2.4 and §2.6 and consent's "may VELUX contact" selector respect
# (subjects.selectors.subject_processing_allowed). Rights requests set and end them.


class ProcessingLimitRefused(DomainError):
    code = "processing_limit_refused"
    default_message = _("This restriction or objection cannot be recorded as asked.")


@transaction.atomic
def processing_limit_set(
    *,
    subject: DataSubject,
    kind: str,
    purposes: Collection[str],
    reason: str,
    reference: str,
    ends_at: datetime | None = None,
    actor=None,
    now: datetime | None = None,
) -> list[ProcessingLimit]:
    """Record a restriction or an objection of `subject`, in force from `now`, for each of
    `purposes` (a `PurposeCode`, or "" for every purpose), with its reason and the reference
    of what it comes from (a rights request). `ends_at`: the end the person asked for.

    Idempotent by reference: limits already recorded under `reference` for a purpose are
    returned as they are, so a rerun of the step that sets them records nothing twice.
    Raises ProcessingLimitRefused for an unknown kind or purpose, an empty reason or
    reference, or an end that is not after the start."""
    now = now or timezone.now()
    if kind not in ProcessingLimit.Kind.values:
        raise ProcessingLimitRefused(code="unknown_kind")
    wanted = list(dict.fromkeys(purposes))
    if not wanted or set(wanted) - {"", *PurposeCode.values}:
        raise ProcessingLimitRefused(code="unknown_purpose")
    if not reason.strip() or not reference:
        raise ProcessingLimitRefused(code="reason_required")
    if ends_at is not None and ends_at <= now:
        raise ProcessingLimitRefused(code="end_before_start")
    DataSubject.objects.select_for_update().filter(pk=subject.pk).first()
    existing = {
        limit.purpose: limit
        for limit in ProcessingLimit.objects.filter(subject=subject, kind=kind, reference=reference)
    }
    limits = []
    for purpose in wanted:
        limit = existing.get(purpose)
        if limit is None:
            limit = ProcessingLimit.objects.create(
                subject=subject,
                kind=kind,
                purpose=purpose,
                reason=reason.strip(),
                reference=reference,
                started_at=now,
                ended_at=ends_at,
                recorded_by=actor,
            )
            logger.info("processing limit %s (%s) set on subject %s", limit.pk, kind, subject.pk)
        limits.append(limit)
    return limits


@transaction.atomic
def processing_limits_end(
    *, subject: DataSubject, reference: str, ends_at: datetime, now: datetime | None = None
) -> list[ProcessingLimit]:
    """End the limits recorded under `reference` at `ends_at` (a moment ahead: they hold until
    then). A limit that already ends sooner keeps its end; one ended already is left alone.
    Returns the limits still in force at `now` whose end this set."""
    now = now or timezone.now()
    ending = ProcessingLimit.objects.select_for_update().filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=ends_at),
        subject=subject,
        reference=reference,
    )
    changed = list(ending)
    for limit in changed:
        limit.ended_at = ends_at
        limit.save(update_fields=["ended_at"])
        logger.info("processing limit %s of subject %s ends", limit.pk, subject.pk)
    return [limit for limit in changed if limit.ended_at > now]
