"""Reads over the data map: everything VELUX holds on one subject (GDPR Art. 15 and 20)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from subjects.compiled import (
    stand_in_subject,
    statement_check,
    statement_fill,
    statements_run,
)
from subjects.datamap import Category, ExportField, datamap
from subjects.models import DataSubject, ProcessingLimit, Purpose, PurposeCode, Recipient
from velux_privacy.snapshots import Snapshot


@dataclass(frozen=True)
class CategoryData:
    """One category's rows for one subject: a list of {field name: value}, in map order."""

    category: Category
    fields: tuple[ExportField, ...]
    rows: list[dict[str, Any]]
    total: int  # rows held; larger than len(rows) when a limit cut the list
    withheld: bool = False  # the viewer may not see this category's rows: count only

    @property
    def key(self) -> str:
        return self.category.key

    def labelled_rows(self) -> list[list[tuple[str, Any]]]:
        """Rows as (label, display value) pairs, choices shown by their label."""
        return [
            [(str(f.label), _display(f, row[f.name])) for f in self.fields] for row in self.rows
        ]


@dataclass(frozen=True)
class SubjectData:
    subject_id: int
    categories: list[CategoryData]

    def by_purpose(
        self, purposes: Mapping[str, Purpose] | None = None
    ) -> list[tuple[Purpose | str, list[CategoryData]]]:
        """Categories grouped under each purpose they serve, in policy order (§2.1–2.8).

        The identity category serves every purpose; it is shown only under the purposes that
        the person's other data serves (under the first, when nothing else is held), so a
        customer does not appear under "candidates" for their name alone. `purposes`: the
        register by code, where the caller read it already (else one query).
        """
        if purposes is None:
            purposes = {p.code: p for p in Purpose.objects.all()}
        in_use = {
            code
            for data in self.categories
            if data.category.subject_path
            for code in data.category.purposes
        }
        grouped: dict[str, list[CategoryData]] = defaultdict(list)
        for data in self.categories:
            codes = data.category.purposes
            if not data.category.subject_path:
                codes = tuple(code for code in codes if code in in_use) or codes[:1]
            for code in codes:
                grouped[code].append(data)
        policy_order = list(PurposeCode.values)
        ordered = sorted(
            grouped, key=lambda code: policy_order.index(code) if code in policy_order else 99
        )
        return [(purposes.get(code, code), grouped[code]) for code in ordered]


def subject_data_collect(
    *,
    subject: DataSubject,
    provided_only: bool = False,
    limit_per_category: int | None = None,
    include_empty: bool = False,
    may_see_rows: Callable[[Category], bool] | None = None,
) -> SubjectData:
    """Everything held on `subject`, walked through the data map.

    provided_only: only the fields the person provided (portability, GDPR Art. 20).
    limit_per_category: show at most this many rows of each category (newest first where the
    category orders so); `total` still counts them all.
    may_see_rows: for a staff viewer, whether they may see a category's rows (their model
    permissions); a category they may not see is counted, its rows never read (`withheld`).
    """
    collected = []
    for category in datamap.categories():
        fields = category.provided_fields() if provided_only else category.fields
        if not fields:
            continue
        rows_qs: QuerySet = category.rows_for(subject)
        total = rows_qs.count()
        if not total and not include_empty:
            continue
        if may_see_rows is not None and not may_see_rows(category):
            collected.append(
                CategoryData(category=category, fields=(), rows=[], total=total, withheld=True)
            )
            continue
        values = rows_qs.order_by(*category.order_by).values(*(f.name for f in fields))
        if limit_per_category is not None:
            values = values[:limit_per_category]
        collected.append(
            CategoryData(category=category, fields=fields, rows=list(values), total=total)
        )
    return SubjectData(subject_id=subject.pk, categories=collected)


def _display(field: ExportField, value: Any) -> Any:
    if field.choices is not None and value in field.choices:
        return field.choices[value]
    return value


def subject_processing_limits(
    *, subject: DataSubject, purpose: str, now: datetime | None = None
) -> QuerySet[ProcessingLimit]:
    """The restrictions (Art. 18) and objections (Art. 21) in force for `subject` that limit
    processing for `purpose` (a `PurposeCode`): those for every purpose and those for it."""
    return ProcessingLimit.objects.filter(
        ProcessingLimit.active_q(now=now),
        Q(purpose="") | Q(purpose=purpose),
        subject=subject,
    )


def subject_processing_allowed(
    *, subject: DataSubject, purpose: str, now: datetime | None = None
) -> bool:
    """Whether VELUX may process `subject`'s data for `purpose` now, as far as restrictions
    and objections go (consent is the consent app's question). Every processing of §2.4 and
    §2.6, and consent's "may VELUX contact" selector, ask this. One query."""
    return not subject_processing_limits(subject=subject, purpose=purpose, now=now).exists()


def subjects_processing_limited_q(
    *, purpose: str, now: datetime | None = None, outer: str = "pk"
) -> Q:
    """Subjects (or rows reaching one through `outer`, e.g. "subject") whose processing for
    `purpose` a restriction or objection in force stops: `subject_processing_allowed` as a
    condition over a set, for the batch jobs (an EXISTS)."""
    from django.db.models import Exists, OuterRef

    return Q(
        Exists(
            ProcessingLimit.objects.filter(
                ProcessingLimit.active_q(now=now),
                Q(purpose="") | Q(purpose=purpose),
                subject=OuterRef(outer),
            )
        )
    )


def login_recorded_actions_q(*, outer: str = "pk") -> Q:
    """Logins (or rows reaching one through `outer`) whose holder's actions something records:
    any row pointing at the login other than the login's own account data (its e-mail
    addresses, sessions, second factors, roles) and a customer's link to their data subject —
    the admin log, a legal hold placed, a restriction recorded, a consent recorded on someone's
    behalf, an audit event. Read from the models' relations, so a new model that records
    actors is covered without a change. Such a login is never erased or deleted: it is the
    proof of who did what (a former staff member included)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    condition = Q(pk__in=[])
    for relation in get_user_model()._meta.get_fields(include_hidden=True):
        if not (relation.one_to_many or relation.one_to_one) or relation.concrete:
            continue
        related = relation.related_model
        if related._meta.auto_created or related is DataSubject:
            continue
        category = datamap.category_of(related)
        if category is not None and category.subject_path == f"{relation.field.name}__data_subject":
            continue  # the login's own account data
        pointing = related._base_manager.filter(**{relation.field.name: OuterRef(outer)})
        condition |= Q(Exists(pointing))
    return condition


_totals_sql: dict[tuple, tuple[str, list]] = {}


def subject_category_totals(subject: DataSubject, categories) -> dict[str, int]:
    """How many rows each of `categories` holds about `subject`, in one query: the ORM's own
    query of each category's rows (`Category.rows_for`), counted, the counts joined by UNION
    ALL; compiled once per process for the stand-in subject (`subjects.compiled`)."""
    keys = tuple(entry.key for entry in categories)
    cache_key = (connection.alias, connection.vendor, keys)
    if cache_key not in _totals_sql:
        _totals_sql[cache_key] = _totals_statement(categories)
    sql, params = _totals_sql[cache_key]
    totals = dict.fromkeys(keys, 0)
    if sql:
        [counted] = statements_run([(sql, statement_fill(params, subject))])
        totals.update(counted)
    return totals


def _totals_statement(categories) -> tuple[str, list]:
    stand_in = stand_in_subject()
    parts, params = [], []
    for number, entry in enumerate(categories):
        sql, row_params = entry.rows_for(stand_in).order_by().values("pk").query.sql_with_params()
        statement_check(entry.key, row_params)
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) category_{number}")  # noqa: S608
        params += [entry.key, *row_params]
    return " UNION ALL ".join(parts), params


# The purpose and recipient registers, as the public pages read them


@dataclass(frozen=True)
class Registers:
    """The purpose register in policy order, each purpose with its active recipients
    (`active_recipients`, by category and name), and the active recipients outside the EEA,
    by name, each with the purposes it serves (policy §4, §7)."""

    purposes: tuple[Purpose, ...]
    outside_eea: tuple[Recipient, ...]
    # What the pages render from these registers alone, kept as long as they are (by the
    # pages' own keys, e.g. purpose and language).
    rendered: dict = field(default_factory=dict, compare=False, repr=False)


def _registers_load() -> Registers:
    active = Recipient.objects.filter(is_active=True)
    purposes = Purpose.objects.order_by("section").prefetch_related(
        Prefetch(
            "recipients",
            queryset=active.order_by("category", "name"),
            to_attr="active_recipients",
        )
    )
    recipients = active.order_by("name").prefetch_related(
        Prefetch("purposes", queryset=Purpose.objects.order_by("section"))
    )
    return Registers(
        purposes=tuple(purposes),
        outside_eea=tuple(recipient for recipient in recipients if recipient.outside_eea),
    )


# Kept between requests until a purpose or recipient changes (velux_privacy.snapshots).
_registers = Snapshot("registers", _registers_load, [Purpose, Recipient])


def registers() -> Registers:
    """The registers as they are now (read from the database at most once a change)."""
    return _registers.get()
