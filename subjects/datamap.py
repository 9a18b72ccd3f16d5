"""THE DATA MAP: one registry of every model that holds personal data (DESIGN.md).

Each app declares its own personal data in `<app>/privacy.py`, auto-discovered at start-up the
way `admin.py` is. A declaration says, for one model:

- its key and label, and the policy purposes (§2.x) it serves, hence its legal basis, and,
  for data collected only under a consent, that consent's purpose (withdrawn, it goes);
- the path from a row to the `DataSubject` (a Django lookup, e.g. ``"order__subject"``);
- the fields to export (labels come from the fields' translated verbose names) and which of
  them the person provided (GDPR Art. 20 portability);
- how to erase rows: `Delete()` or `Anonymise({...})` (where a row must stay);
- `KeepRule`s: rows that must not be erased (kept as they are, or only anonymised), and why.

Subject-wide holds (a legal hold, an open rights request) are registered with
`register_subject_hold`: while one applies, nothing about the subject is erased.

Rules and holds are SQL conditions (`Q`), so one erasure treats a whole batch of subjects with
a bounded number of statements per category (`subjects.services.subjects_erase`).

Rows are found by their path to the subject and, where a category says so (`match_email`), also
by the person's normalised e-mail address: a login signed up but not (yet) linked to the
person is theirs too.

The rule is total: every installed model, the project's and third-party apps' alike, is either
in the map or declared free of personal data with a reason (`declare_no_personal_data`);
`unmapped_models()` names any other, and a test fails the suite on it.

Access exports, portability exports, erasure requests, the unsubscribe purge and the inactivity
deletion all walk this one map (`subjects.services`, `subjects.selectors`); none lists models.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from velux_privacy.lookups import Array

if TYPE_CHECKING:
    from subjects.models import DataSubject


class KeepReason(models.TextChoices):
    """Why personal data is kept although erasure was asked for (GDPR Art. 17(3))."""

    LEGAL_HOLD = "legal_hold", _("a legal hold (§2.8)")
    RESTRICTION = "restriction", _("a restriction of processing (GDPR Art. 18)")
    OPEN_RIGHTS_REQUEST = "open_rights_request", _("a rights request still being handled")
    OPEN_ORDER = "open_order", _("an open order (§2.3)")
    ACCOUNTING_PERIOD = "accounting_period", _("the statutory accounting period")
    VAT_PERIOD = "vat_period", _("the VAT Code's retention of invoices")
    CONTRACT_IN_FORCE = "contract_in_force", _("a contract still in force (§2.1)")
    OPEN_CONTACT_REQUEST = "open_contact_request", _("a request still being answered (§2.2)")
    OPEN_APPLICATION = "open_application", _("an application still being considered (§2.7)")
    LINKED_DATA_KEPT = "linked_data_kept", _("other data about the person that is kept")
    OTHER_PURPOSE = "other_purpose", _("still needed for another purpose (§2.1–2.8)")
    REQUEST_HANDLED = "request_handled", _("the proof that a rights request was answered")
    LOGIN_IN_USE = "login_in_use", _("a login still in use")
    STAFF_LOGIN = "staff_login", _("a staff login, which erasure never deletes")


class RowAction(enum.StrEnum):
    KEEP = "keep"
    ANONYMISE = "anonymise"


@dataclass(frozen=True)
class ErasureContext:
    """What an erasure run knows, for keep rules and anonymised values: when, and for which
    purposes (None: every purpose, a full erasure). Not whom: rules are conditions over a
    whole batch of subjects."""

    now: datetime
    purposes: frozenset[str] | None = None


@dataclass(frozen=True)
class Delete:
    """Erase by deleting the rows."""


@dataclass(frozen=True)
class Anonymise:
    """Erase by overwriting named fields, for rows that must stay (e.g. an order in the books).

    Values are constants or callables taking the `ErasureContext`. The path to the subject must
    be among them (set to None) so an anonymised row no longer points at anybody.
    """

    values: Mapping[str, Any]

    def resolve(self, context: ErasureContext) -> dict[str, Any]:
        return {
            name: (value(context) if callable(value) else value)
            for name, value in self.values.items()
        }

    def already_q(self) -> Q | None:
        """Rows that hold this recipe's fixed values already (anonymised by an earlier run);
        None when the recipe unlinks the row, which then is not found again anyway."""
        fixed = {n: v for n, v in self.values.items() if not callable(v)}
        if not fixed or any(
            v is None and "__" not in n and n in ("subject", "user") for n, v in fixed.items()
        ):
            return None
        condition = Q()
        for name, value in fixed.items():
            condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        return condition


Erasure = Delete | Anonymise


@dataclass(frozen=True)
class KeepRule:
    """Rows matching `rows(context)` are not deleted: kept as they are, or only anonymised
    (by the rule's own `anonymise`, else the category's). Rules apply in order, the first that
    matches a row decides. `rows` may return None: the rule does not apply in this run."""

    reason: str
    rows: Callable[[ErasureContext], Q | None]
    action: RowAction = RowAction.KEEP
    anonymise: Anonymise | None = None


@dataclass(frozen=True)
class SubjectHold:
    """A reason that blocks any erasure of the subjects matching `subjects(now)`, a condition
    over `DataSubject` rows (e.g. an active legal hold exists)."""

    reason: str
    subjects: Callable[[datetime], Q]


@dataclass(frozen=True)
class ExportField:
    name: str  # a field name or a lookup through relations ("device__value")
    label: str | Promise
    choices: Mapping[Any, Any] | None = None


def _matching_rows(
    model: type[models.Model],
    path: str,
    email_lookups: Sequence[str],
    subject_ids: Sequence[int],
    emails: Sequence[str],
    *,
    one: bool,
) -> QuerySet:
    """The rows of `model` linked by `path` to one of `subject_ids`, or linked to nobody and
    holding one of `emails` at one of `email_lookups`, by a condition indexes serve at any
    size. By the shape of the path and the lookups:

    - all on the model's own columns (a request: its subject, its address): one OR on one
      table, which PostgreSQL answers from the two columns' indexes (a BitmapOr);
    - all through the same foreign key first (a request's audit trail, messages, e-mails; a
      login's sessions): the rows whose key is among the matching rows of the model it
      points to, found there the same way (`rights_request_id IN (SELECT id FROM request
      WHERE subject_id = … OR (subject_id IS NULL AND email = …))`), a semi-join from the
      person's few rows;
    - otherwise (a login, found through the subject that points at it and by its own
      address; a login's e-mail addresses, by their own address or their login's): the
      linked rows and those of each address lookup apart, joined by UNION ALL (a row in two
      of them is still one row of `pk IN`), each found from its own index.

    Never one OR across a join, nor an OR of two `pk IN (…)`: PostgreSQL makes no semi-join of
    an OR and tests every row of the table against both (measured on 1.2 million audit
    events: 85 ms to count one person's 58, against 0.09 ms through the request)."""
    manager = model._base_manager
    hop, _, rest = path.partition("__")
    field = model._meta.get_field(hop)
    forward = (field.many_to_one or field.one_to_one) and field.concrete
    if forward and not rest and all("__" not in lookup for lookup in email_lookups):
        return manager.filter(
            _linked(path, subject_ids, one) | _nobodys(path, email_lookups, emails, one)
        )
    if forward and rest and all(lookup.startswith(f"{hop}__") for lookup in email_lookups):
        inner = _matching_rows(
            field.related_model,
            rest,
            [lookup.removeprefix(f"{hop}__") for lookup in email_lookups],
            subject_ids,
            emails,
            one=one,
        )
        return manager.filter(**{f"{hop}__in": inner.values("pk")})
    linked = manager.filter(_linked(path, subject_ids, one)).order_by().values("pk")
    # Each address lookup apart too: an OR of two of them on two tables is again an OR
    # across a join.
    unlinked = [
        manager.filter(nobodys).order_by().values("pk")
        for lookup in email_lookups
        if (nobodys := _nobodys(path, [lookup], emails, one))
    ]
    return manager.filter(pk__in=linked.union(*unlinked, all=True) if unlinked else linked)


def _linked(path: str, subject_ids: Sequence[int], one: bool) -> Q:
    """Linked by `path` to one of `subject_ids` (`one`: to the only one)."""
    if one:
        return Q(**{f"{path}__pk": subject_ids[0]})
    return Q(**{f"{path}__pk__in_array": _array(subject_ids)})


def _nobodys(path: str, email_lookups: Sequence[str], emails: Sequence[str], one: bool) -> Q:
    """Linked to nobody by `path`, holding one of `emails` at one of `email_lookups`; an
    empty Q where no address can match (None matches nothing, as in `in_array`)."""
    found = Q()
    for lookup in email_lookups:
        if one:
            if emails[0] is not None:
                found |= Q(**{lookup: emails[0]})
        else:
            found |= Q(**{f"{lookup}__in_array": _array(emails)})
    return found & Q(**{f"{path}__isnull": True}) if found else Q()


@dataclass(frozen=True)
class Category:
    """One model's entry in the data map."""

    key: str
    model: type[models.Model]
    label: str | Promise
    purposes: tuple[str, ...]
    subject_path: str  # "" for the DataSubject itself
    fields: tuple[ExportField, ...]
    provided: frozenset[str]
    erasure: Erasure
    anonymise: Anonymise | None = None
    keep: tuple[KeepRule, ...] = ()
    order_by: tuple[str, ...] = ("pk",)
    consent_purpose: str | None = None  # collected only under consent for this purpose
    # Also the rows, linked to nobody, whose field at one of these lookups holds the person's
    # normalised e-mail address (a login's address, or the login's own).
    match_email: tuple[str, ...] = ()
    # Part of the person's identity (their login and its e-mail addresses, sessions…): in an
    # erasure for some purposes only, erased with the identity, when nothing else needs it.
    with_identity: bool = False
    # In such an erasure, rows matching this condition (a login still in use) keep the
    # identity, and themselves.
    in_use: Callable[[ErasureContext], Q] | None = None
    # What the person is told of the category (GDPR Art. 15(1)(d) and (g)): how long it is
    # kept and where it comes from, in the texts "my data" and the access export show.
    retention: str | Promise | None = None
    source: str | Promise | None = None
    # False for records that prove what happened (the consent ledger and the state derived
    # from it, the corrections of a request): never corrected through a request (Art. 16).
    rectifiable: bool = True

    def serves_only(self, purposes: set[str]) -> bool:
        """Whether erasing for `purposes` takes this category: it serves nothing else, or it
        was collected under a consent for one of them (no consent, no data)."""
        return set(self.purposes) <= purposes or self.consent_purpose in purposes

    @property
    def anonymiser(self) -> Anonymise | None:
        """How this category's rows are anonymised (by a keep rule or as its erasure)."""
        if self.anonymise is not None:
            return self.anonymise
        return self.erasure if isinstance(self.erasure, Anonymise) else None

    @property
    def page_order(self) -> tuple[str, ...]:
        """The category's order with the primary key to break ties, so pages never overlap;
        in the direction of the first key, so that an index on the path, that key and the
        primary key gives a page by walking it (browsing events: the newest 20 of 10,000
        read from the index, not 10,000 sorted)."""
        if any(key.lstrip("-") == "pk" for key in self.order_by):
            return self.order_by
        return (*self.order_by, "-pk" if self.order_by[0].startswith("-") else "pk")

    @property
    def depth(self) -> int:
        return 0 if not self.subject_path else self.subject_path.count("__") + 1

    def rows_for(self, subject: DataSubject) -> QuerySet:
        """This category's rows about one subject. The same rows as a batch of one, found by
        `=` rather than `= ANY(array)`: PostgreSQL then walks an index on the path and the
        category's order for a page of them, where it sorts all of them for ANY."""
        return self._rows([subject.pk], [subject.email], one=True)

    def rows_for_batch(self, subject_ids: Sequence[int], emails: Sequence[str] = ()) -> QuerySet:
        """This category's rows about any of `subject_ids`, and, for a category that matches
        by e-mail, the rows not linked to anybody that hold one of `emails` (the subjects'
        normalised addresses)."""
        return self._rows(subject_ids, emails)

    def _rows(self, subject_ids: Sequence[int], emails: Sequence[str], one: bool = False):
        manager = self.model._base_manager
        if not self.subject_path:
            if one:
                return manager.filter(pk=subject_ids[0])
            return manager.filter(pk__in_array=_array(subject_ids))
        if self.match_email and emails:
            return _matching_rows(
                self.model, self.subject_path, self.match_email, subject_ids, emails, one=one
            )
        linked = self.linked_rows(subject_ids, one=one)
        if self.subject_path_is_plural:
            # A join through a many-to-many or a reverse link could repeat rows.
            return manager.filter(pk__in=linked.values("pk"))
        return linked

    def linked_rows(self, subject_ids: Sequence[int], *, one: bool = False) -> QuerySet:
        """The rows linked to any of `subject_ids` by the path (`in_array`, from
        velux_privacy.lookups: a batch's ids as one parameter); `one`: to the only one."""
        if one:
            (_subject_id,) = subject_ids
        return self.model._base_manager.filter(_linked(self.subject_path, subject_ids, one))

    def unlinked_rows(self, emails: Sequence[str], *, one: bool = False) -> QuerySet:
        """The rows linked to nobody that hold one of `emails` at a `match_email` lookup;
        `one`: the only one (None matches nothing, as in `in_array`)."""
        found = _nobodys(self.subject_path, self.match_email, emails, one)
        manager = self.model._base_manager
        return manager.filter(found) if found else manager.none()

    @property
    def subject_path_is_plural(self) -> bool:
        model = self.model
        for part in self.subject_path.split("__"):
            field = model._meta.get_field(part)
            if field.many_to_many or field.one_to_many:
                return True
            model = field.related_model
        return False

    @property
    def refers_to_subject_row(self) -> bool:
        """Whether these rows point at the subject's row by a foreign key of theirs (so the
        subject's row cannot go while they stay). A login is pointed at, not pointing."""
        if not self.subject_path:
            return False
        return getattr(
            self.model._meta.get_field(self.subject_path.split("__")[0]), "concrete", False
        )

    def provided_fields(self) -> tuple[ExportField, ...]:
        return tuple(f for f in self.fields if f.name in self.provided)

    def rectifiable_fields(self) -> tuple[ExportField, ...]:
        """What a person may ask to correct (GDPR Art. 16): the fields they provided that are
        the model's own editable values (no relation, no lookup through one). Never an
        e-mail address: a new address is confirmed through the account, not rectified.
        None of a category registered `rectifiable=False` (a record of what happened)."""
        if not self.rectifiable:
            return ()
        found = []
        for export_field in self.provided_fields():
            if "__" in export_field.name:
                continue
            try:
                model_field = self.model._meta.get_field(export_field.name)
            except FieldDoesNotExist:
                continue  # a label-only export field
            if (
                not getattr(model_field, "concrete", False)
                or model_field.is_relation
                or not model_field.editable
                or model_field.primary_key
                or isinstance(model_field, models.EmailField)
            ):
                continue
            found.append(export_field)
        return tuple(found)


@dataclass
class DataMap:
    """The registry. One instance, `datamap`, filled by the apps' `privacy.py` modules."""

    _categories: dict[str, Category] = field(default_factory=dict)
    _by_model: dict[type[models.Model], Category] = field(default_factory=dict)
    _holds: list[SubjectHold] = field(default_factory=list)
    _no_personal_data: dict[type[models.Model], str] = field(default_factory=dict)

    def register(
        self,
        model: type[models.Model] | str,
        *,
        key: str,
        purposes: Sequence[str],
        subject_path: str,
        fields: Sequence[str | tuple[str, str | Promise]],
        provided: Sequence[str] = (),
        erasure: Erasure | None = None,
        anonymise: Anonymise | None = None,
        keep: Sequence[KeepRule] = (),
        label: str | Promise | None = None,
        order_by: Sequence[str] = ("pk",),
        consent_purpose: str | None = None,
        match_email: str | Sequence[str] = (),
        with_identity: bool = False,
        rectifiable: bool = True,
        in_use: Callable[[ErasureContext], Q] | None = None,
        retention: str | Promise | None = None,
        source: str | Promise | None = None,
    ) -> Category:
        model = _resolve_model(model)
        if key in self._categories:
            raise ValueError(f"data map key {key!r} is registered twice")
        if model in self._by_model:
            raise ValueError(f"{model._meta.label} is registered twice in the data map")
        if not purposes:
            raise ValueError(f"{model._meta.label}: a data map entry needs at least one purpose")
        export_fields = tuple(_export_field(model, spec) for spec in fields)
        names = {f.name for f in export_fields}
        unknown = set(provided) - names
        if unknown:
            raise ValueError(f"{model._meta.label}: provided fields {unknown} are not exported")
        category = Category(
            key=key,
            model=model,
            label=label or model._meta.verbose_name_plural,
            purposes=tuple(str(p) for p in purposes),
            subject_path=subject_path,
            fields=export_fields,
            provided=frozenset(provided),
            erasure=erasure or Delete(),
            anonymise=anonymise,
            keep=tuple(keep),
            order_by=tuple(order_by),
            consent_purpose=consent_purpose,
            match_email=(match_email,) if isinstance(match_email, str) else tuple(match_email),
            with_identity=with_identity or not subject_path,
            rectifiable=rectifiable,
            in_use=in_use,
            retention=retention,
            source=source,
        )
        if consent_purpose is not None and consent_purpose not in category.purposes:
            raise ValueError(f"{model._meta.label}: its consent purpose is not among its purposes")
        for lookup in category.match_email:
            _field_at(model, lookup)  # raises for a lookup that does not exist
        for rule in keep:
            if (
                rule.action == RowAction.ANONYMISE
                and (rule.anonymise or category.anonymiser) is None
            ):
                raise ValueError(
                    f"{model._meta.label}: a keep rule anonymises, but how is not said"
                )
        link = subject_path.split("__", 1)[0]
        recipes = [category.anonymiser, *(r.anonymise for r in keep)]
        for recipe in recipes:
            # The subject's own row is anonymised in place; any other row must let go of it.
            if recipe is not None and link and link not in recipe.values:
                raise ValueError(f"{model._meta.label}: anonymising must unlink {link!r}")
        self._categories[key] = category
        self._by_model[model] = category
        return category

    def register_subject_hold(self, reason: str, subjects: Callable[[datetime], Q]) -> None:
        """While `subjects(now)` (a condition over DataSubject) matches a subject, nothing
        about them is erased, for the given reason."""
        self._holds.append(SubjectHold(reason=reason, subjects=subjects))

    def declare_no_personal_data(self, model: type[models.Model] | str, *, why: str) -> None:
        """For an installed model that holds no personal data, and why (the guard asks every
        model not in the map for this). Repeating a declaration is refused."""
        model = _resolve_model(model)
        if model in self._no_personal_data or model in self._by_model:
            raise ValueError(f"{model._meta.label} is declared twice in the data map")
        if not why.strip():
            raise ValueError(f"{model._meta.label}: say why it holds no personal data")
        self._no_personal_data[model] = why

    def categories(self) -> list[Category]:
        """In registration order: the order pages and exports show."""
        return list(self._categories.values())

    def erasure_order(self) -> list[Category]:
        """Children before parents, the subject itself last.

        Deeper paths go first (a login's e-mail addresses before the login). Within one depth,
        a category whose model refers to another's (a browsing event to its device) goes
        before it, whatever the order of registration; ties keep the registration order.
        """
        registered = list(self._categories.values())
        ordered: list[Category] = []
        for depth in sorted({c.depth for c in registered}, reverse=True):
            level = [c for c in registered if c.depth == depth]
            while level:
                unreferenced = [c for c in level if not any(_refers_to(o, c) for o in level)]
                chosen = (unreferenced or level)[0]  # a cycle: registration order decides
                ordered.append(chosen)
                level.remove(chosen)
        return ordered

    def is_declared(self, model: type[models.Model]) -> bool:
        return model in self._by_model or model in self._no_personal_data

    def category(self, key: str) -> Category | None:
        """The category registered under `key`, or None."""
        return self._categories.get(key)

    def category_of(self, model: type[models.Model]) -> Category | None:
        return self._by_model.get(model)

    def holds(self) -> Iterator[SubjectHold]:
        return iter(self._holds)


def _array(values: Sequence) -> Array:
    return values if isinstance(values, Array) else Array(values)


def _refers_to(referrer: Category, referred: Category) -> bool:
    return referrer is not referred and any(
        field.is_relation and field.related_model is referred.model
        for field in referrer.model._meta.concrete_fields
    )


def _resolve_model(model: type[models.Model] | str) -> type[models.Model]:
    return apps.get_model(model) if isinstance(model, str) else model


def _export_field(model: type[models.Model], spec: str | tuple[str, str | Promise]) -> ExportField:
    name, label = (spec, None) if isinstance(spec, str) else spec
    target = _field_at(model, name)
    choices = dict(target.flatchoices) if getattr(target, "choices", None) else None
    return ExportField(name=name, label=label or target.verbose_name, choices=choices)


def _field_at(model: type[models.Model], lookup: str) -> models.Field:
    parts = lookup.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


datamap = DataMap()


def path_to_subject(model: type[models.Model], *, max_depth: int = 4) -> str | None:
    """The shortest lookup from `model` to `DataSubject`, or None if it has none.

    Follows foreign keys, many-to-many fields, and one-to-one links in both directions (a
    login reaches its subject through the reverse one-to-one `data_subject`).
    """
    from subjects.models import DataSubject

    if model is DataSubject:
        return ""
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    seen = {model}
    for _depth in range(max_depth):
        next_frontier = []
        for current, path in frontier:
            for relation in current._meta.get_fields(include_hidden=False):
                if not relation.is_relation or relation.one_to_many:
                    continue
                if relation.many_to_many and not getattr(relation, "concrete", False):
                    continue  # a reverse many-to-many: the owning side is walked instead
                target = relation.related_model
                if target is None or target in seen:
                    continue
                step = relation.name
                if not getattr(relation, "concrete", False) and not relation.one_to_one:
                    continue
                new_path = f"{path}__{step}" if path else step
                if target is DataSubject:
                    return new_path
                seen.add(target)
                next_frontier.append((target, new_path))
        frontier = next_frontier
    return None


def unmapped_models(
    map_: DataMap | None = None, *, models_: Sequence[type[models.Model]] | None = None
) -> list[str]:
    """Every installed model, auto-created many-to-many tables included, that is in neither
    the map nor declared free of personal data: the completeness test fails on any of them.

    Each is named with what suggests personal data in it (a path to a data subject, e-mail
    fields, generic foreign keys, JSON fields), so whoever adds it can decide.
    """
    map_ = map_ or datamap
    missing = []
    for model in models_ if models_ is not None else apps.get_models(include_auto_created=True):
        if map_.is_declared(model):
            continue
        hints = _personal_data_hints(model)
        missing.append(f"{model._meta.label}{f' ({hints})' if hints else ''}")
    return sorted(missing)


def _personal_data_hints(model: type[models.Model]) -> str:
    from django.contrib.contenttypes.fields import GenericForeignKey

    hints = []
    path = path_to_subject(model)
    if path is not None:
        hints.append(f"reaches a data subject through {path or 'itself'!r}")
    fields = model._meta.get_fields(include_hidden=True)
    pointing = sorted(
        {
            f.related_model._meta.label
            for f in fields
            if (f.one_to_many or f.one_to_one)
            and not f.concrete
            and f.related_model is not model
            and path_to_subject(f.related_model) is not None
        }
    )
    if path is None and pointing:
        hints.append(f"pointed at by {', '.join(pointing)}, which reaches a data subject")
    emails = [f.name for f in fields if isinstance(f, models.EmailField)]
    if emails:
        hints.append(f"e-mail fields {', '.join(emails)}")
    generic = [f.name for f in fields if isinstance(f, GenericForeignKey)]
    if generic:
        hints.append(f"generic foreign keys {', '.join(generic)}")
    json_fields = [f.name for f in fields if isinstance(f, models.JSONField)]
    if json_fields:
        hints.append(f"JSON fields {', '.join(json_fields)}")
    if hints:
        hints.append("likely personal data")
    return "; ".join(hints)
