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
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
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
from subjects.models import DataSubject, DeletionReceipt, ErasurePending, PurposeCode
from velux_privacy.appendonly import erasure_allow_in_transaction
from velux_privacy.errors import DomainError
from velux_privacy.models import normalise_email

logger = logging.getLogger(__name__)

# Subject-wide holds a caller may pass over: an erasure request does not block itself. Never a
# legal hold (GDPR Art. 17(3)(b)).
IGNORABLE_HOLDS = frozenset({KeepReason.OPEN_RIGHTS_REQUEST})
# Kept for reasons that do not end by themselves, or that are no erasure left undone: nothing
# to finish later.
_NOT_PENDING = frozenset(
    {KeepReason.STAFF_LOGIN, KeepReason.OTHER_PURPOSE, KeepReason.LOGIN_IN_USE}
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


@dataclass
class CategoryOutcome:
    """What erasure did to one category of one subject: rows deleted, rows anonymised (and
    why they stay), rows kept as they are (by reason)."""

    key: str
    deleted: int = 0
    anonymised: int = 0
    anonymised_for: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)

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
    locked = dict(
        DataSubject.objects.select_for_update()
        .filter(pk__in=requested)
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
    active = [pk for pk in locked if pk not in held]
    taken = [
        c
        for c in datamap.erasure_order()
        if context.purposes is None or c.serves_only(set(context.purposes))
    ]
    for category in (c for c in taken if not c.with_identity):
        run.erase_category(category, active)
    identity_ids, identity_kept = run.identity_free(active)
    for category in (c for c in datamap.erasure_order() if c.with_identity):
        run.erase_category(category, identity_ids)
    for pk, reason in identity_kept.items():
        run.outcome(pk, "identity").kept[reason] += 1
    for category in datamap.erasure_order():
        run.count_held(category, held)

    deleted_subjects = set(identity_ids) - set(
        DataSubject.objects.filter(pk__in=identity_ids).values_list("pk", flat=True)
    )
    for pk in locked:
        summaries[pk] = ErasureSummary(
            pk,
            run.outcomes[pk],
            subject_deleted=pk in deleted_subjects,
            held_by=held.get(pk, ()),
        )
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


class _ErasureRun:
    """The statements of one batch erasure, category by category, and what they did."""

    def __init__(self, *, context: ErasureContext, emails: dict[int, str]) -> None:
        self.context = context
        self.emails = emails
        self.outcomes: dict[int, dict[str, CategoryOutcome]] = defaultdict(dict)
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
            matching = DataSubject.objects.filter(pk__in=list(self.emails)).filter(
                hold.subjects(self.context.now)
            )
            for pk in matching.values_list("pk", flat=True):
                held[pk].append(hold.reason)
        return {pk: tuple(reasons) for pk, reasons in held.items()}

    def count_held(self, category: Category, held: dict[int, tuple[str, ...]]) -> None:
        if not held:
            return
        for pk, count in self._count_by_subject(category, self._rows(category, list(held))):
            self.outcome(pk, category.key).kept[held[pk][0]] += count

    # The identity

    def identity_free(self, active: list[int]) -> tuple[list[int], dict[int, str]]:
        """The subjects whose identity this run erases, and why the others' stays.

        A full erasure takes every identity (its keep rules still apply). One for some
        purposes only takes an identity when no other category still holds rows on the person
        and their login is not in use.
        """
        if self.context.purposes is None or not active:
            return active, {}
        subjects = DataSubject.objects.filter(pk__in=active)
        needed = reduce(
            or_,
            (
                self._exists_for_subject(c)
                for c in datamap.categories()
                if c.subject_path and not c.with_identity
            ),
            Q(pk__in=[]),
        )
        in_use = reduce(
            or_,
            (
                self._exists_for_subject(c, c.in_use(self.context))
                for c in datamap.categories()
                if c.in_use is not None
            ),
            Q(pk__in=[]),
        )
        kept = dict.fromkeys(
            subjects.filter(needed).values_list("pk", flat=True), KeepReason.OTHER_PURPOSE
        )
        for pk in subjects.filter(in_use).values_list("pk", flat=True):
            kept.setdefault(pk, KeepReason.LOGIN_IN_USE)
        return [pk for pk in active if pk not in kept], kept

    def _exists_for_subject(self, category: Category, condition: Q | None = None) -> Q:
        """Subjects (as DataSubject rows) that have a row of `category` (matching `condition`)."""
        rows = category.model._base_manager.all()
        if condition is not None:
            rows = rows.filter(condition)
        found = Q(Exists(rows.filter(**{category.subject_path: OuterRef("pk")})))
        if category.match_email:
            unlinked = rows.filter(
                **{
                    category.match_email: OuterRef("email"),
                    f"{category.subject_path}__isnull": True,
                }
            )
            found |= Q(Exists(unlinked))
        return found

    # Categories

    def _rows(self, category: Category, subject_ids: Sequence[int]) -> QuerySet:
        emails = [self.emails[pk] for pk in subject_ids] if category.match_email else ()
        return category.rows_for_batch(subject_ids, emails)

    def _subject_of_row(self, category: Category):
        """An expression giving, for each row, the id of the subject it is about."""
        if not category.subject_path:
            return F("pk")
        linked = F(category.subject_path)
        if not category.match_email:
            return linked
        by_email = DataSubject.objects.filter(email=OuterRef(category.match_email)).values("pk")
        return Coalesce(linked, Subquery(by_email[:1]))

    def _count_by_subject(self, category: Category, rows: QuerySet) -> list[tuple[int, int]]:
        counted = (
            rows.annotate(erasure_subject=self._subject_of_row(category))
            .values("erasure_subject")
            .annotate(n=Count("pk"))
            .values_list("erasure_subject", "n")
            .order_by()
        )
        return [(pk, n) for pk, n in counted if pk in self.emails]

    def erase_category(self, category: Category, subject_ids: list[int]) -> None:
        if not subject_ids:
            return
        remaining = self._rows(category, subject_ids)
        for rule in category.keep:
            condition = rule.rows(self.context)
            if condition is None:
                continue
            matched = remaining.filter(condition)
            counts = self._count_by_subject(category, matched)
            if counts and rule.action == RowAction.ANONYMISE:
                self._anonymise(category, matched, rule.anonymise or category.anonymiser)
            for pk, count in counts:
                outcome = self.outcome(pk, category.key)
                if rule.action == RowAction.ANONYMISE:
                    outcome.anonymised += count
                    outcome.anonymised_for[rule.reason] += count
                else:
                    outcome.kept[rule.reason] += count
            remaining = remaining.exclude(condition)
        for pk in subject_ids:
            self.outcome(pk, category.key)  # a category walked shows, even with nothing
        if isinstance(category.erasure, Anonymise):
            counts = self._count_by_subject(category, remaining)
            if counts:
                self._anonymise(category, remaining, category.erasure)
            for pk, count in counts:
                self.outcome(pk, category.key).anonymised += count
            return
        blocked = _still_pointed_at(category.model)
        if blocked is not None:
            for pk, count in self._count_by_subject(category, remaining.filter(blocked)):
                self.outcome(pk, category.key).kept[KeepReason.LINKED_DATA_KEPT] += count
            remaining = remaining.exclude(blocked)
        counts = self._count_by_subject(category, remaining)
        if counts:
            self._relabel_admin_log(category.model, remaining)
            _delete_set(remaining)
        for pk, count in counts:
            self.outcome(pk, category.key).deleted += count

    def _anonymise(self, category: Category, rows: QuerySet, recipe: Anonymise) -> None:
        # The values may unlink the very path the rows were found by: one UPDATE whose WHERE
        # is evaluated before it sets anything.
        self._relabel_admin_log(category.model, rows)
        category.model._base_manager.filter(pk__in=rows.values("pk")).update(
            **recipe.resolve(self.context)
        )

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


def _still_pointed_at(model: type[models.Model]) -> Q | None:
    conditions = [
        Q(
            Exists(
                relation.related_model._base_manager.filter(
                    **{relation.field.name: OuterRef(relation.field.target_field.attname)}
                )
            )
        )
        for relation in _reverse_relations(model)
        if _blocks_deletion(relation)
    ]
    return reduce(or_, conditions) if conditions else None


def _delete_set(rows: QuerySet) -> int:
    """DELETE the rows in SQL, with what the database would refuse or Django would cascade
    done first by set: links that SET_NULL are cleared, unmapped rows that CASCADE are
    deleted the same way. Never loads a row, never sends a signal (the map knows all data)."""
    model = rows.model
    for relation in _reverse_relations(model):
        if _blocks_deletion(relation):
            continue  # excluded from `rows` by the caller (`_still_pointed_at`)
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
    return rows._raw_delete(rows.db)


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
            subject_id__in=done, cause=cause.kind, cause_reference=cause.reference
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
        DeletionReceipt(
            subject_hash=subject_hash(emails[pk]),
            cause=cause.kind,
            cause_reference=cause.reference,
            purposes=purposes,
            summary=summary.as_dict(),
            subject_deleted=summary.subject_deleted,
            rows_kept=summary.rows_kept,
            erased_at=context.now,
        )
        for pk, summary in summaries.items()
        if summary.rows_deleted or summary.rows_anonymised
    ]
    DeletionReceipt.objects.bulk_create(receipts, batch_size=1000)


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
