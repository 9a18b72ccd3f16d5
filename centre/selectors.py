"""Reads of the privacy centre: the purpose and recipient registers as the public pages show
them, and "my data", the live GDPR Art. 15 view of everything the data map holds on the
person who is signed in.

"My data" walks the data map (`subjects.datamap`) the way `subjects.selectors.
subject_data_collect` does, with pages: each category shows PAGE_SIZE rows, and one category
at a time can be paged through (`?category=<key>&page=<n>`). The number of queries depends on
the number of categories in the map, never on the number of rows held.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from centre.categories import CategoryNotes, category_notes
from centre.display import display_formatter
from centre.exceptions import NotYourData
from centre.rights import RIGHTS_BY_KEY
from subjects.compiled import (
    Compiled,
    stand_in_subject,
    statement_fill,
    statements_run,
    values_compile,
)
from subjects.datamap import Category, datamap
from subjects.models import DataSubject, Purpose, Recipient
from subjects.selectors import (
    CategoryData,
    Registers,
    SubjectData,
    registers,
    subject_category_totals,
)

PAGE_SIZE = 20
# A category with more fields than this shows each row as a block of label and value, on
# every screen; fewer fields fit a table (which reflows on a phone).
TABLE_MAX_FIELDS = 5


def purpose_list_with_recipients() -> tuple[Purpose, ...]:
    """The purpose register in policy order, each with its active recipients
    (`active_recipients`): `subjects.selectors.registers`, no query while it is unchanged."""
    return registers().purposes


def recipient_list_outside_eea() -> tuple[Recipient, ...]:
    """Active recipients outside the EEA (policy §4, §7), with the purposes they serve."""
    return registers().outside_eea


def _capfirst(text: Any) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _CategoryTexts:
    """What "my data" prints of a category besides its rows' values, in one language."""

    label: str
    labels: tuple[str, ...]
    provided_labels: str
    # Per field, in order: its name, the escaped markup that opens its value as a table
    # cell, and as a row of a block of label and value, and {stored value: its label} of a
    # field with choices (None otherwise).
    cells: tuple[tuple[str, str, str, dict[Any, str] | None], ...]


_texts: dict[tuple, tuple[Category, _CategoryTexts]] = {}


def _category_texts(category: Category, fields, language: str | None) -> _CategoryTexts:
    """The category's texts in `language`, the active one, translated once per process (a
    page prints a few hundred labels of some twenty categories)."""
    key = (category.key, language, tuple(f.name for f in fields))
    cached = _texts.get(key)
    if cached is None or cached[0] is not category:  # a category registered anew: anew
        provided = [str(f.label) for f in fields if f.name in category.provided]
        labels = tuple(_capfirst(f.label) for f in fields)
        texts = _CategoryTexts(
            label=_capfirst(category.label),
            labels=labels,
            provided_labels=_capfirst(", ".join(provided)) if provided else "",
            cells=tuple(
                (
                    f.name,
                    f'<td data-label="{escape(label)}">',
                    f'<div class="summary-list__row"><dt>{escape(label)}</dt><dd>',
                    {value: str(text) for value, text in f.choices.items()} if f.choices else None,
                )
                for f, label in zip(fields, labels, strict=True)
            ),
        )
        cached = _texts[key] = (category, texts)
    return cached[1]


# Whether a text holds a character that html.escape replaces.
_ESCAPED_CHARACTERS = re.compile("[&<>\"']").search
# How a page of rows is printed: a table's rows, or a block of label and value per row.
_TABLE_MARKUP = ("<tr>", "</td>", "</tr>")
_BLOCK_MARKUP = ('<dl class="summary-list record">', "</dd></div>", "</dl>\n")


@dataclass
class CategoryView:
    """One category of the person's data as "my data" shows it: a page of its rows, every
    text and value already turned into what the page prints, in the request's language (the
    page's shell only places them: a page may show hundreds of values)."""

    data: CategoryData
    notes: CategoryNotes
    page: int
    pages: int
    # The active language and `centre.display.display_formatter()`, looked up once per page
    # by the caller (None: looked up here).
    language: str | None = field(default=None, repr=False, compare=False)
    display: Callable[[Any], str] | None = field(default=None, repr=False, compare=False)
    label: str = field(init=False)
    labels: tuple[str, ...] = field(init=False)
    # The rows as the page prints them, escaped: a table's <tr>s, or a <dl> per row.
    rows_html: SafeString = field(init=False)
    provided_labels: str = field(init=False)

    def __post_init__(self) -> None:
        if self.display is None:
            self.language, self.display = translation.get_language(), display_formatter()
        texts = _category_texts(self.category, self.data.fields, self.language)
        self.label = texts.label
        self.labels = texts.labels
        self.rows_html = self._rows_html(texts)
        self.provided_labels = texts.provided_labels

    def _rows_html(self, texts: _CategoryTexts) -> SafeString:
        """The rows' markup, built here in one pass rather than by two nested template loops
        (a page of several categories holds hundreds of values): each value as the person
        reads it (a choice by its label, `centre.display`), escaped."""
        display = self.display
        as_table = self.as_table
        row_open, value_close, row_close = _TABLE_MARKUP if as_table else _BLOCK_MARKUP
        cells = [
            (name, table_open if as_table else block_open, choices)
            for name, table_open, block_open, choices in texts.cells
        ]
        parts: list[str] = []
        append = parts.append
        for row in self.data.rows:
            append(row_open)
            for name, value_open, choices in cells:
                value = row[name]
                if choices is not None:
                    value = choices.get(value, value)
                append(value_open)
                # Most values are text: nothing to format, and mostly nothing to escape.
                text = value if value and type(value) is str else display(value)
                append(escape(text) if _ESCAPED_CHARACTERS(text) else text)
                append(value_close)
            append(row_close)
        return SafeString("".join(parts))

    @property
    def category(self) -> Category:
        return self.data.category

    # Where the category's data comes from and how long it is kept: printed by the page's
    # shell only (`_body_shell`), in the language it is rendered in.
    @property
    def source(self) -> str:
        return str(self.notes.source)

    @property
    def retention(self) -> str:
        return str(self.notes.retention)

    @property
    def key(self) -> str:
        return self.data.key

    @property
    def anchor(self) -> str:
        return f"category-{self.key}"

    @property
    def total(self) -> int:
        return self.data.total

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.data.rows) - 1 if self.data.rows else 0

    @property
    def meta(self) -> str:
        """ "12 items", and on a paged category " · showing 21 to 40"."""
        text = ngettext("%(counter)s item", "%(counter)s items", self.total) % {
            "counter": self.total
        }
        if self.is_paged:
            text += " · " + _("showing %(first)s to %(last)s") % {
                "first": self.first_row,
                "last": self.last_row,
            }
        return text

    @property
    def is_paged(self) -> bool:
        return self.pages > 1

    @property
    def as_table(self) -> bool:
        return len(self.data.fields) <= TABLE_MAX_FIELDS and self.total > 1

    def page_numbers(self) -> list[int | None]:
        """Page links: the first, the last, and two either side of the current page; None
        where pages are left out."""
        shown = {1, self.pages, *range(self.page - 2, self.page + 3)}
        numbers: list[int | None] = []
        for number in range(1, self.pages + 1):
            if number in shown:
                numbers.append(number)
            elif numbers and numbers[-1] is not None:
                numbers.append(None)
        return numbers

    @property
    def pagination_html(self) -> SafeString:
        """The page links of a paged category (nothing otherwise): a <nav> with the previous
        and next page and `page_numbers`, each link to this category's page and anchor."""
        if not self.is_paged:
            return SafeString("")
        anchor = escape(self.anchor)

        def href(number: int) -> str:
            return f"?category={escape(self.key)}&amp;page={number}#{anchor}"

        label = escape(_("Pages of %(label)s") % {"label": self.label})
        parts = [f'<nav class="pagination" aria-label="{label}">\n']
        if self.page > 1:
            previous = escape(_("Previous"))
            parts.append(f'  <a href="{href(self.page - 1)}" rel="prev">{previous}</a>\n')
        parts.append("  <ul>\n")
        for number in self.page_numbers():
            if number is None:
                item = '<span aria-hidden="true">…</span>'
            elif number == self.page:
                item = f'<span aria-current="page">{number}</span>'
            else:
                page_label = escape(_("Page %(number)s") % {"number": number})
                item = f'<a href="{href(number)}" aria-label="{page_label}">{number}</a>'
            parts.append(f"    <li>{item}</li>\n")
        parts.append("  </ul>\n")
        if self.page < self.pages:
            following = escape(_("Next"))
            parts.append(f'  <a href="{href(self.page + 1)}" rel="next">{following}</a>\n')
        parts.append("</nav>")
        return SafeString("".join(parts))


@dataclass
class PurposeSection:
    """A purpose (§2.x) of the register and the person's data that serves it."""

    purpose: Purpose
    # Why, on which legal basis, who may receive it: the same for everyone (_purpose_facts).
    facts_html: SafeString
    categories: list[CategoryView] = field(default_factory=list)
    # Categories that also serve this purpose, shown in full under an earlier one.
    shown_earlier: list[CategoryView] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"purpose-{self.purpose.code}"


@dataclass(frozen=True)
class MyData:
    subject: DataSubject
    sections: list[PurposeSection]
    # The registers the sections' purposes and facts come from.
    register: Registers | None = field(default=None, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.sections

    @property
    def views(self) -> list[CategoryView]:
        """The categories shown in full, in the order of the page."""
        return [view for section in self.sections for view in section.categories]

    def html(self, *, email: str) -> SafeString:
        """The page's content for the person signed in as `email`: its shell (`_body_shell`)
        with the address, and each category's count line, rows and page links, in its
        slots."""
        parts = _body_shell(self)
        filled = [escape(email)]
        for view in self.views:
            filled += (escape(view.meta), view.rows_html, view.pagination_html)
        pieces = [parts[0]]
        for value, part in zip(filled, parts[1:], strict=True):
            pieces += (value, part)
        return SafeString("".join(pieces))


# Where the shell of "my data" takes what is the person's own: the address they are signed
# in with, then per category its count line, rows and page links. Random per process, so that
# no text of the shell can hold it (a NUL alone could be in a register's text on SQLite).
_SLOT = f"\x00{secrets.token_hex(16)}\x00"
_BODY_TEMPLATE = "centre/includes/my_data_body.html"
# Shells kept per process: one per language and set of categories shown (a page layout),
# the oldest dropped beyond this many.
BODY_SHELLS_KEPT = 256
_bodies: dict[tuple, tuple[Registers | None, tuple[Category, ...], tuple[str, ...]]] = {}


def _body_shell(data: MyData) -> tuple[str, ...]:
    """centre/includes/my_data_body.html for `data`'s layout (which purposes, which
    categories in which of them, each as a table or blocks) in the active language, cut at
    its slots: rendered once per process and layout while the registers and the categories
    are the same ones, since all of it but the slots is the same for everyone (the purposes'
    facts, the categories' labels, sources, retention and column headings), and rendering
    it took a third of the page's time."""
    layout = tuple(
        (
            section.purpose.code,
            tuple((view.key, view.as_table) for view in section.categories),
            tuple(view.key for view in section.shown_earlier),
        )
        for section in data.sections
    )
    key = (translation.get_language(), layout)
    categories = tuple(view.category for view in data.views)
    cached = _bodies.get(key)
    if (
        cached is not None
        and cached[0] is data.register
        and len(cached[1]) == len(categories)
        and all(kept is category for kept, category in zip(cached[1], categories, strict=True))
    ):
        return cached[2]
    slot = SafeString(_SLOT)
    html = render_to_string(_BODY_TEMPLATE, {"data": data, "rights": RIGHTS_BY_KEY, "slot": slot})
    parts = tuple(html.split(_SLOT))
    if len(parts) != 2 + 3 * len(categories):
        raise ImproperlyConfigured(
            f"{_BODY_TEMPLATE} must place the address once, then each category's count line, "
            "rows and page links once, in the order of the page"
        )
    while len(_bodies) >= BODY_SHELLS_KEPT:
        try:
            del _bodies[next(iter(_bodies))]
        except (KeyError, RuntimeError, StopIteration):
            break  # another thread of a threaded server changed the shells meanwhile
    _bodies[key] = (data.register, categories, parts)
    return parts


_page_statements: dict[tuple, tuple[Category, Compiled]] = {}


def _category_pages(subject: DataSubject, wanted: list[tuple[Category, int]]) -> list[list[dict]]:
    """For each (category, start) of `wanted`, PAGE_SIZE rows of the category about `subject`
    from row `start`, as {field name: value}: what `entry.rows_for(subject).order_by(...)
    .values(...)[start:start + PAGE_SIZE]` returns, from statements compiled once per process
    (building and compiling ~20 ORM queries per page cost more than running them), run by
    `subjects.compiled.statements_run` (on PostgreSQL prepared, in one round trip)."""
    statements = [_page_statement_cached(entry) for entry, _start in wanted]
    arguments = [
        [*statement_fill(statement.params, subject), PAGE_SIZE, start]
        for statement, (_entry, start) in zip(statements, wanted, strict=True)
    ]
    fetched = statements_run(
        [(statement.sql, values) for statement, values in zip(statements, arguments, strict=True)]
    )
    return [statement.rows(rows) for statement, rows in zip(statements, fetched, strict=True)]


def _page_statement_cached(entry: Category) -> Compiled:
    cache_key = (connection.alias, connection.vendor, entry.key)
    cached = _page_statements.get(cache_key)
    if cached is None or cached[0] is not entry:  # a category registered anew: compiled anew
        cached = _page_statements[cache_key] = (entry, _page_statement(entry))
    return cached[1]


def _page_statement(entry: Category) -> Compiled:
    """A category's page query, compiled for the stand-in subject: its SQL ends in LIMIT and
    OFFSET placeholders."""
    queryset = (
        entry.rows_for(stand_in_subject())
        .order_by(*entry.page_order)
        .values(*(f.name for f in entry.fields))
    )
    return values_compile(queryset, key=entry.key, sql_suffix=" LIMIT %s OFFSET %s")


def my_data_collect(
    *, viewer, subject: DataSubject, category: str | None = None, page: int = 1
) -> MyData:
    """Everything the data map holds on `subject`, the viewer's own, grouped by the purposes
    it serves (policy order), each purpose with its active recipients; each category a page
    of PAGE_SIZE rows: `page` of `category`, the first page of the others.

    Raises NotYourData when `subject` is not the viewer's (callers pass
    `consent.selectors.subject_of_viewer(viewer)`). Queries on PostgreSQL: two (the counts
    of all categories, and the pages of those that hold rows in one round trip), and the
    registers only when they changed (`subjects.selectors.registers`); elsewhere one per
    category that holds rows instead of the second.
    """
    if subject.user_id is None or subject.user_id != viewer.pk:
        raise NotYourData()
    categories = datamap.categories()
    totals = subject_category_totals(subject, categories)
    listed = []  # (category, its total, its number of pages, the page shown)
    for entry in categories:
        total = totals[entry.key]
        if not total:
            continue
        pages = max(1, math.ceil(total / PAGE_SIZE))
        current = min(max(page, 1), pages) if entry.key == category else 1
        listed.append((entry, total, pages, current))
    pages_rows = _category_pages(
        subject, [(entry, (current - 1) * PAGE_SIZE) for entry, _t, _p, current in listed]
    )
    views: list[CategoryView] = []
    language, display = translation.get_language(), display_formatter()
    for (entry, total, pages, current), rows in zip(listed, pages_rows, strict=True):
        data = CategoryData(category=entry, fields=entry.fields, rows=rows, total=total)
        views.append(
            CategoryView(
                data=data,
                notes=category_notes(entry.key),
                page=current,
                pages=pages,
                language=language,
                display=display,
            )
        )

    by_key = {view.key: view for view in views}
    register = registers()
    by_code = {purpose.code: purpose for purpose in register.purposes}
    grouped = SubjectData(
        subject_id=subject.pk, categories=[view.data for view in views]
    ).by_purpose(by_code)
    sections: list[PurposeSection] = []
    shown: set[str] = set()
    for purpose, categories in grouped:
        code = getattr(purpose, "code", purpose)
        register_entry = by_code.get(code)
        if register_entry is None:
            continue  # a purpose code the register lacks: never happens with the seeded one
        section = PurposeSection(
            purpose=register_entry,
            facts_html=_purpose_facts(register, register_entry),
        )
        for data in categories:
            view = by_key[data.key]
            if view.key in shown:
                section.shown_earlier.append(view)
            else:
                section.categories.append(view)
                shown.add(view.key)
        sections.append(section)
    return MyData(subject=subject, sections=sections, register=register)


def _purpose_facts(register: Registers, purpose: Purpose) -> SafeString:
    """The purpose's facts as "my data" shows them, rendered once per language while the
    registers are unchanged (kept with them: `Registers.rendered`)."""
    key = ("my_data_facts", purpose.pk, translation.get_language())
    html = register.rendered.get(key)
    if html is None:
        html = register.rendered[key] = render_to_string(
            "centre/includes/purpose_facts.html",
            {"purpose": purpose, "recipients": purpose.active_recipients},
        )
    return html


@dataclass(frozen=True)
class PreviewLine:
    label: str
    count: int
    reasons: tuple[str, ...] = ()
    until: str = ""


@dataclass(frozen=True)
class ErasurePreview:
    """What an erasure of the person's data would do now, in words (the erasure's own outcome,
    `subjects.services.subject_erasure_preview`): what goes, what stays only without their
    name, what stays as it is and why and until when, and the services that stop."""

    erased: list[PreviewLine]
    anonymised: list[PreviewLine]
    kept: list[PreviewLine]
    held_by: list[str]
    services_stop: list[str]
    account_closes: bool


def erasure_preview_for(*, viewer, subject: DataSubject) -> ErasurePreview:
    """The erasure preview of the signed-in `viewer`'s own subject. Raises NotYourData for
    anyone else's. Changes nothing (the erasure runs in a savepoint rolled back)."""
    from django.utils import timezone

    from subjects.datamap import KeepReason
    from subjects.services import IGNORABLE_HOLDS, subject_erasure_preview

    if not viewer.is_authenticated or subject.user_id != viewer.pk:
        raise NotYourData()
    now = timezone.now()
    # A hold on the whole person (another request still open, a legal hold) is said first;
    # the lists then show what the erasure does once an open request no longer holds it.
    held_by = [
        hold.reason
        for hold in datamap.holds()
        if DataSubject.objects.filter(hold.subjects(now), pk=subject.pk).exists()
    ]
    summary = subject_erasure_preview(subject=subject, ignore_holds=IGNORABLE_HOLDS, now=now)
    held_by += [reason for reason in summary.held_by if reason not in held_by]

    def reasons(counts: dict[str, int]) -> tuple[str, ...]:
        return tuple(
            str(KeepReason(reason).label) if reason in KeepReason.values else reason
            for reason, n in counts.items()
            if n
        )

    erased, anonymised, kept = [], [], []
    stopping: set[str] = set()
    staying: set[str] = set()
    for key, outcome in summary.categories.items():
        category = datamap._categories.get(key)
        if category is None or outcome.is_empty:
            continue
        label = _capfirst(category.label)
        until = str(category.retention or "")
        if outcome.deleted:
            erased.append(PreviewLine(label, outcome.deleted))
            stopping.update(category.purposes)
        if outcome.anonymised:
            anonymised.append(
                PreviewLine(label, outcome.anonymised, reasons(outcome.anonymised_for), until)
            )
        if outcome.kept_total:
            kept.append(PreviewLine(label, outcome.kept_total, reasons(outcome.kept), until))
            staying.update(category.purposes)
    purposes = Purpose.objects.filter(code__in=stopping - staying).order_by("section")
    return ErasurePreview(
        erased=erased,
        anonymised=anonymised,
        kept=kept,
        held_by=[str(KeepReason(r).label) for r in held_by if r in KeepReason.values],
        services_stop=[f"§{p.section} {p.name}" for p in purposes],
        account_closes=summary.subject_deleted,
    )
