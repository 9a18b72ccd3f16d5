"""The access and portability exports (GDPR Art. 15 and 20), written from the data map.

`subject_export_write` writes one ZIP into private storage (the default storage, under
PRIVATE_STORAGE_ROOT): for every category the map holds rows of, `data/<key>.json` and
`data/<key>.csv`, plus `index.html`, the Art. 15(1) summary of this person's own processing in
their language (purposes, categories, recipients with transfers and safeguards, retention,
source, their rights and the right to complain), and `manifest.json`. Rows are read once, in
chunks, and written as they come into a ZIP file on disk (the standard library's zipfile, entry
by entry), so memory stays flat whatever the amount of data. On PostgreSQL the server formats
the rows and streams them with COPY; elsewhere Python does, from the same queries.

For portability (Art. 20) only the fields the person provided, of categories processed on
consent or contract, go in. Rows staff withheld to protect other people (Art. 15(4)) are left
out and counted in the summary with the reason.

The request, its review and its download live in dsr_requests; this module knows only the
subject and the map.
"""

from __future__ import annotations

import csv
import io
import json
import select
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.temp import NamedTemporaryFile
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.template.loader import render_to_string
from django.utils import timezone, translation

from subjects.datamap import Category, ExportField, _field_at, datamap
from subjects.models import DataSubject, LegalBasis, Purpose, PurposeCode, Recipient
from subjects.selectors import subject_category_totals
from velux_privacy.controller import CONTROLLER, SUPERVISORY_AUTHORITY

CHUNK_ROWS = 2_000
# zlib's fastest levels: the data is text that packs well either way, and the export should
# cost little more than reading the rows.
COMPRESS_LEVEL = 1

# Processing on these bases is portable (GDPR Art. 20(1)(a)): consent or contract.
PORTABLE_BASES = frozenset({LegalBasis.CONSENT, LegalBasis.CONTRACT})


@dataclass(frozen=True)
class Withheld:
    """Rows of one category left out of an export, and why (GDPR Art. 15(4))."""

    row_ids: frozenset
    reason: str


@dataclass
class ExportedCategory:
    key: str
    label: str
    rows: int
    withheld: int = 0
    withheld_reason: str = ""


@dataclass
class ExportManifest:
    storage_name: str
    portability: bool
    language: str
    generated_at: datetime
    categories: list[ExportedCategory] = field(default_factory=list)
    size: int = 0

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.categories)

    def as_dict(self) -> dict:
        return {
            "portability": self.portability,
            "language": self.language,
            "generated_at": self.generated_at.isoformat(),
            "categories": [
                {
                    "key": c.key,
                    "label": c.label,
                    "rows": c.rows,
                    "withheld": c.withheld,
                    "withheld_reason": c.withheld_reason,
                }
                for c in self.categories
            ],
        }


def portable_categories() -> list[Category]:
    """The categories Art. 20 covers: every purpose they serve rests on consent or contract
    (read from the purpose register), and the person provided some of their fields."""
    bases = dict(Purpose.objects.values_list("code", "legal_basis"))
    return [
        category
        for category in datamap.categories()
        if category.provided
        and all(bases.get(code) in PORTABLE_BASES for code in _own_purposes(category))
    ]


def _own_purposes(category: Category) -> tuple[str, ...]:
    # The identity serves every purpose; for portability what counts is that the person gave
    # it to us for a contract or a consent, which every use of it rests on first.
    if not category.subject_path:
        return (PurposeCode.CUSTOMERS,)
    return category.purposes


def subject_export_write(
    *,
    subject: DataSubject,
    storage_name: str,
    language: str,
    portability: bool = False,
    withheld: Mapping[str, Withheld] | None = None,
    recipient_shown: Callable[[Recipient], bool] | None = None,
    now: datetime | None = None,
) -> ExportManifest:
    """Write the export of `subject` to `storage_name` in the default (private) storage.

    withheld: by category key, the rows left out and why (staff's review, Art. 15(4)).
    recipient_shown: which recipients of the purposes to name (e.g. those that need a
    consent only when the person gave it); all by default.
    Returns what was written, without personal data (counts per category).
    """
    withheld = withheld or {}
    manifest = ExportManifest(
        storage_name=storage_name,
        portability=portability,
        language=language,
        generated_at=now or timezone.now(),
    )
    categories = portable_categories() if portability else datamap.categories()
    present = []
    with translation.override(language), _one_snapshot():
        chosen = [
            (category, category.provided_fields() if portability else category.fields)
            for category in categories
        ]
        chosen = [(category, fields) for category, fields in chosen if fields]
        totals = subject_category_totals(subject, [category for category, _fields in chosen])
        for category, fields in chosen:
            total = totals[category.key]
            if not total:
                continue
            kept_out = withheld.get(category.key)
            rows = category.rows_for(subject)
            left_out = 0
            if kept_out is not None and kept_out.row_ids:
                left_out = rows.filter(pk__in=list(kept_out.row_ids)).count()
                rows = rows.exclude(pk__in=list(kept_out.row_ids))
            exported = ExportedCategory(
                key=category.key,
                label=str(category.label),
                rows=total - left_out,
                withheld=left_out,
                withheld_reason=kept_out.reason if left_out else "",
            )
            manifest.categories.append(exported)
            present.append((category, fields, rows, exported))

        # Written straight into a temporary ZIP file, entry by entry, then handed to the
        # storage, which copies it in chunks (file system) or uploads it (S3): memory stays
        # flat whatever the number of rows.
        with NamedTemporaryFile(suffix=".zip") as spool:
            with zipfile.ZipFile(
                spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
            ) as archive:
                for category, fields, rows, _exported in present:
                    _write_category(archive, category, fields, rows, portability)
                archive.writestr(
                    "index.html", _summary_html(subject, manifest, present, recipient_shown)
                )
                archive.writestr(
                    "manifest.json", json.dumps(manifest.as_dict(), indent=2, ensure_ascii=False)
                )
            spool.flush()
            manifest.size = spool.tell()
            spool.seek(0)
            manifest.storage_name = default_storage.save(storage_name, File(spool))
    return manifest


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Every read of an export in one snapshot of the database, on PostgreSQL when no
    transaction is open (a worker's task): the counts, the JSON and the CSV of each category
    and the summary then agree even while the person's data changes. A caller's own
    transaction is left as it is."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _write_category(
    archive: zipfile.ZipFile,
    category: Category,
    fields: tuple[ExportField, ...],
    rows,
    portability: bool,
) -> None:
    """`data/<key>.json` and `data/<key>.csv` from ONE pass over the rows, read in chunks: the
    JSON goes straight into the archive, the CSV into a temporary file on disk that follows
    it (a ZIP takes one entry at a time). Dates and times come from the database already as
    ISO 8601 text (`_IsoText`), so no row is parsed into Python objects only to be printed
    again."""
    names = [f.name for f in fields]
    kinds = [_field_at(category.model, name) for name in names]
    columns = {
        f"export_{index}": _IsoText(name)
        for index, (name, kind) in enumerate(zip(names, kinds, strict=True))
        if isinstance(kind, models.DateField | models.DateTimeField)
    }
    selected = [
        f"export_{index}" if f"export_{index}" in columns else name
        for index, name in enumerate(names)
    ]
    if connection.vendor == "postgresql":
        _write_category_by_copy(archive, category, fields, kinds, rows, portability)
        return
    ordered = rows.order_by(*category.order_by).annotate(**columns).values_list(*selected)
    plain = [_plain_for(kind) for kind in kinds]
    cells = [
        _cell_for(kind, None if portability else export_field.choices)
        for kind, export_field in zip(kinds, fields, strict=True)
    ]
    with NamedTemporaryFile(mode="w+", encoding="utf-8", newline="") as table:
        writer = csv.writer(table)
        table.write("\ufeff")  # a byte-order mark: spreadsheets then read accents right
        writer.writerow([str(f.label) for f in fields])
        with archive.open(f"data/{category.key}.json", "w") as out:
            out.write(b"[")
            first = True
            batch: list[tuple] = []
            for row in ordered.iterator(chunk_size=CHUNK_ROWS):
                batch.append(row)
                if len(batch) == CHUNK_ROWS:
                    out.write(_json_chunk(batch, names, plain, first))
                    writer.writerows(_csv_rows(batch, cells))
                    first, batch = False, []
            if batch:
                out.write(_json_chunk(batch, names, plain, first))
                writer.writerows(_csv_rows(batch, cells))
            out.write(b"\n]\n")
        table.flush()
        archive.write(table.name, f"data/{category.key}.csv")


def _write_category_by_copy(
    archive: zipfile.ZipFile,
    category: Category,
    fields: tuple[ExportField, ...],
    kinds: list,
    rows,
    portability: bool,
) -> None:
    """The same two files, formatted by PostgreSQL and streamed with COPY … TO STDOUT.

    Each row becomes its JSON object and its CSV line in SQL, in one scan (`_copy_blocks`,
    which joins them ROWS_PER_BLOCK rows at a time). The JSON goes into the archive as it
    comes, the CSV into a temporary file that follows it (a ZIP takes one entry at a time):
    memory stays at a block.
    """
    ordered = rows.order_by(*category.order_by)
    as_csv = _CsvLine(
        *(_csv_cell(f, kind, portability) for f, kind in zip(fields, kinds, strict=True))
    )
    header = io.StringIO()
    header.write("\ufeff")  # a byte-order mark: spreadsheets then read accents right
    csv.writer(header, lineterminator="\n").writerow([str(f.label) for f in fields])
    with NamedTemporaryFile(suffix=".csv") as table, connection.cursor() as cursor:
        table.write(header.getvalue().encode())
        with archive.open(f"data/{category.key}.json", "w") as out:
            out.write(b"[\n")
            first = True
            for json_block, csv_block in _copy_blocks(
                cursor.cursor, ordered, fields, as_csv, category
            ):
                out.write(json_block if first else b",\n" + json_block)
                table.write(csv_block + b"\n")
                first = False
            out.write(b"\n]\n")
        table.flush()
        archive.write(table.name, f"data/{category.key}.csv")


ROWS_PER_BLOCK = 2_000


def _copy_blocks(raw_cursor, ordered, fields, as_csv, category: Category):
    """The rows of `ordered` as (JSON objects joined by commas, CSV lines joined by line
    ends), in order, in blocks of ROWS_PER_BLOCK rows.

    Each object is `row_to_json` of the row's fields under their names (a derived table's
    column list names them): PostgreSQL's fastest way to write a row as JSON. COPY's binary
    format sends each row's two texts as they are, with nothing escaped on the way or to
    undo, and `_copy_binary_rows` cuts them out of libpq's messages. The
    order's columns travel out of the derived table too, so that the outer query has its own
    ORDER BY, which PostgreSQL serves from the inner one (no second sort)."""
    order = {
        f"export_o{index}": F(term.lstrip("-")) for index, term in enumerate(category.order_by)
    }
    inner = ordered.annotate(export_csv=as_csv, **order).values_list(
        "export_csv", *order, *(f.name for f in fields)
    )
    sql, params = inner.query.sql_with_params()
    names = [connection.ops.quote_name(f.name) for f in fields]
    ordering = ", ".join(
        f"t.{alias} {'DESC' if term.startswith('-') else 'ASC'}"
        for alias, term in zip(order, category.order_by, strict=True)
    )
    statement = (
        "COPY (SELECT row_to_json(r)::text, t.export_csv "  # noqa: S608
        f"FROM ({sql}) AS t(export_csv, {', '.join([*order, *names])}) "
        f"CROSS JOIN LATERAL (SELECT {', '.join(f't.{name}' for name in names)}) AS r"
        + (f" ORDER BY {ordering}" if ordering else "")
        + ") TO STDOUT (FORMAT binary)"
    )
    objects: list[bytes] = []
    lines: list[bytes] = []
    with raw_cursor.copy(statement, params) as copy:
        for row in _copy_binary_rows(copy):
            # A row of two fields: their count (2 bytes), then each as length (4) and bytes.
            size = int.from_bytes(row[2:6])
            objects.append(row[6 : 6 + size])
            lines.append(row[10 + size :])
            if len(objects) == ROWS_PER_BLOCK:
                yield b",\n".join(objects), b"\n".join(lines)
                objects, lines = [], []
    if objects:
        yield b",\n".join(objects), b"\n".join(lines)


# COPY's binary format (PostgreSQL's documentation, "Binary Format"): a header before the
# first row, each row in a message of its own, and a trailer in the last one.
_BINARY_HEADER_SIZE = 19  # signature (11), flags (4), length of the header extension (4)
_BINARY_TRAILER = b"\xff\xff"  # a field count of -1


def _copy_binary_rows(copy) -> Iterator[bytes]:
    """The rows of a `COPY … TO STDOUT (FORMAT binary)` under way, each as its bytes (field
    count, then each field's length and bytes), header and trailer removed.

    Read from libpq's own messages (psycopg's documented `pq` layer): psycopg's `Copy.rows()`
    spends about a microsecond of Python on every row, three times what this loop does, and
    an export reads hundreds of thousands. Waits for the socket only when libpq has no
    message ready. At the trailer psycopg's `Copy.read()` takes the end of the COPY and its
    result, as it would have; a COPY that ends without one (the server's error) raises that
    error."""
    pgconn = copy.connection.pgconn
    receive = pgconn.get_copy_data
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    skip = _BINARY_HEADER_SIZE
    while True:
        size, message = receive(1)  # 1: don't block; 0 is "nothing yet"
        if size == 0:
            poller.poll()
            pgconn.consume_input()
            continue
        if size < 0:
            _copy_failed(pgconn)
        # Copied out of libpq's buffer: a memoryview would keep every message of a block
        # alive in libpq's memory, and joining them costs more than this copy.
        row = bytes(message)[skip:]
        skip = 0
        if row == _BINARY_TRAILER:
            if copy.read():
                raise psycopg.DataError("COPY sent data after its trailer")
            return
        yield row


def _copy_failed(pgconn) -> None:
    """Raise the error that ended a COPY early, from the results libpq holds: all of them
    read first (else the connection stays busy), the error built by psycopg itself (its
    class by SQLSTATE, a plain DatabaseError for a code it does not know, with `diag`)."""
    failed = None
    while (result := pgconn.get_result()) is not None:
        if failed is None and result.status == psycopg.pq.ExecStatus.FATAL_ERROR:
            failed = result
    if failed is None:
        raise psycopg.OperationalError("COPY ended before its trailer")
    # As psycopg's own COPY reader does (psycopg.generators.copy_from).
    raise psycopg.errors.error_from_result(failed, encoding=pgconn._encoding)


class _CsvLine(models.Func):
    """The row as one CSV line (RFC 4180) from its cells (`_csv_cell`)."""

    output_field = models.TextField()
    arg_joiner = " || ',' || "
    template = "(%(expressions)s)"


class _CsvQuoted(models.Func):
    """A value as a quoted CSV cell, its quotes doubled; NULL as an empty cell."""

    output_field = models.TextField()
    template = "('\"' || replace(coalesce((%(expressions)s)::text, ''), '\"', '\"\"') || '\"')"


class _CsvPlain(models.Func):
    """A value that can hold no comma, quote or line end (a number, a date, a known word) as
    a CSV cell, unquoted; NULL as an empty cell."""

    output_field = models.TextField()
    template = "coalesce((%(expressions)s)::text, '')"


def _csv_literal(text: str) -> Value:
    """A fixed text (a choice's label) as the CSV cell it makes, quoted only if it must be."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([text])
    return Value(out.getvalue())


def _csv_cell(export_field: ExportField, kind, portability: bool):
    """A column as its cell in the CSV line: choices by their label in the person's language
    (not in a portability export, which keeps the stored codes), dates and times as the
    database writes them in ISO 8601 (`_IsoText`), booleans as words, numbers as they are;
    any other text quoted."""
    name = export_field.name
    if export_field.choices is not None and not portability:
        return models.Case(
            *(
                models.When(**{name: key}, then=_csv_literal(str(label)))
                for key, label in export_field.choices.items()
            ),
            default=_CsvQuoted(F(name)),
            output_field=models.TextField(),
        )
    if isinstance(kind, models.DateField | models.DateTimeField):
        return _CsvPlain(_IsoText(name))
    if isinstance(kind, models.BooleanField):
        return models.Case(
            models.When(**{name: True}, then=Value("true")),
            models.When(**{name: False}, then=Value("false")),
            default=Value(""),
            output_field=models.TextField(),
        )
    if isinstance(kind, models.IntegerField | models.DecimalField | models.FloatField):
        return _CsvPlain(F(name))
    return _CsvQuoted(F(name))


class _IsoText(models.Func):
    """A date or time as ISO 8601 text, made by the database: on PostgreSQL with its ISO
    DateStyle (the default) the value's own text, "2026-11-30 20:01:02.5+00", which costs
    least; in another DateStyle to_json's form, "2026-11-30T20:01:02.5+00:00"."""

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra):
        connection.ensure_connection()
        style = connection.connection.info.parameter_status("DateStyle") or ""
        if style.startswith("ISO"):
            template = "(%(expressions)s)::text"
        else:
            template = "(to_json(%(expressions)s) #>> '{}')"
        return self.as_sql(compiler, connection, template=template)

    def as_sql(self, compiler, connection, **extra):
        extra.setdefault("template", "CAST(%(expressions)s AS TEXT)")
        return super().as_sql(compiler, connection, **extra)


def _plain_for(kind) -> Callable[[Any], Any] | None:
    if isinstance(kind, models.DecimalField):
        return lambda value: None if value is None else str(value)
    return None


def _cell_for(kind, choices: Mapping | None) -> Callable[[Any], Any] | None:
    """How a column shows in the CSV: choices by their label in the person's language (a
    portability export keeps the stored codes), JSON as JSON text; else as it is."""
    if choices is not None:
        labels = {key: str(label) for key, label in choices.items()}
        return lambda value: labels.get(value, value)
    if isinstance(kind, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)
    return None


def _json_chunk(rows: list[tuple], names: list[str], plain: list, first: bool) -> bytes:
    """Rows as JSON objects by field name (machine-readable, Art. 20), comma-separated: one
    call of the C encoder per chunk."""
    if any(plain):
        rows = [
            tuple(
                value if convert is None else convert(value)
                for value, convert in zip(row, plain, strict=True)
            )
            for row in rows
        ]
    encoded = json.dumps([dict(zip(names, row, strict=True)) for row in rows], ensure_ascii=False)
    return ("\n" if first else ",\n").encode() + encoded[1:-1].encode()


def _csv_rows(rows: list[tuple], cells: list) -> list:
    if not any(cells):
        return rows
    return [
        [
            value if convert is None or value is None else convert(value)
            for value, convert in zip(row, cells, strict=True)
        ]
        for row in rows
    ]


@dataclass
class _PurposeSection:
    purpose: Purpose | None
    code: str
    categories: list[dict]
    recipients: list[Recipient]


def _summary_html(
    subject: DataSubject,
    manifest: ExportManifest,
    present: list,
    recipient_shown: Callable[[Recipient], bool] | None,
) -> str:
    """The Art. 15(1) information about this person's own processing, as a standalone page."""
    purposes = {p.code: p for p in Purpose.objects.prefetch_related("recipients")}
    in_use = {
        code for category, *_ in present if category.subject_path for code in category.purposes
    }
    sections: dict[str, _PurposeSection] = {}
    for category, _fields, _rows, exported in present:
        codes = category.purposes
        if not category.subject_path:
            codes = tuple(code for code in codes if code in in_use) or codes[:1]
        for code in codes:
            purpose = purposes.get(code)
            section = sections.setdefault(
                code,
                _PurposeSection(
                    purpose=purpose,
                    code=code,
                    categories=[],
                    recipients=[
                        r
                        for r in (purpose.recipients.all() if purpose else [])
                        if r.is_active and (recipient_shown is None or recipient_shown(r))
                    ],
                ),
            )
            section.categories.append(
                {
                    "key": category.key,
                    "label": exported.label,
                    "rows": exported.rows,
                    "withheld": exported.withheld,
                    "withheld_reason": exported.withheld_reason,
                    "retention": category.retention,
                    "source": category.source,
                }
            )
    order = list(PurposeCode.values)
    ordered = sorted(
        sections.values(), key=lambda s: order.index(s.code) if s.code in order else 99
    )
    return render_to_string(
        "subjects/export/index.html",
        {
            "subject": subject,
            "manifest": manifest,
            "sections": ordered,
            "authority": SUPERVISORY_AUTHORITY,
            "controller": CONTROLLER,
            "LANGUAGE_CODE": manifest.language,
        },
    )
