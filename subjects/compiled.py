"""Statements compiled once for a stand-in subject, then run for any person.

Building and compiling the ORM queries of the ~30 categories of the data map costs more than
running them (bench/pages.py, bench/export.py). Their SQL depends only on the map, never on
the person: a statement is compiled once per process for a stand-in subject, and each run
fills in the person's id and address where the stand-in's stood (`statement_fill`).
`statement_check` refuses a statement in which the stand-in's id does not occur: a category
whose rows did not depend on the subject would show or count everybody's rows.

`values_compile` compiles a `.values()` queryset so, with the converters the ORM would apply
to its columns (`Compiled.rows`). `statements_run` runs such statements. On PostgreSQL they
are prepared (planned once per connection: planning the ~30 joined selects of the map cost
more than running them) and sent together in one round trip (psycopg's pipeline mode), with
PostgreSQL's own placeholders and psycopg's C loader of timestamps (`statements_run`).
"""

from __future__ import annotations

import datetime
import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from subjects.models import DataSubject
from velux_privacy.lookups import Array

_STAND_IN_ID = -7_294_651_083
_STAND_IN_EMAIL = "stand-in.subject@totals.invalid"


def stand_in_subject() -> DataSubject:
    """The subject statements are compiled for (never saved)."""
    return DataSubject(pk=_STAND_IN_ID, email=_STAND_IN_EMAIL)


_STAND_IN_IDS = Array([_STAND_IN_ID]).literal
_STAND_IN_EMAILS = Array([_STAND_IN_EMAIL]).literal


def statement_fill(params: list, subject) -> list:
    """`params` of a statement compiled for the stand-in, with `subject`'s id and address
    where the stand-in's stood (`subject`: a DataSubject, or a login where the statement
    compared a login's id with the stand-in's)."""
    stand_ins = {
        _STAND_IN_ID: subject.pk,
        _STAND_IN_IDS: Array([subject.pk]).literal,
        _STAND_IN_EMAIL: subject.email,
        _STAND_IN_EMAILS: Array([subject.email]).literal,
    }
    return [stand_ins.get(param, param) if _hashable(param) else param for param in params]


def statement_check(key: str, params) -> None:
    """Refuse the statement of category `key` if its rows do not depend on the subject."""
    if not any(_hashable(param) and param in (_STAND_IN_ID, _STAND_IN_IDS) for param in params):
        raise ImproperlyConfigured(f"{key}: its rows do not depend on the subject")


@dataclass(frozen=True)
class Compiled:
    """A `.values()` queryset compiled for the stand-in subject: its SQL, its parameters, the
    names of the values it selects and the converters the ORM would apply to them (dates,
    decimals, JSON)."""

    sql: str
    params: list
    names: tuple[str, ...]
    converters: dict[int, tuple[list, Any]]

    def rows(self, fetched: list[tuple]) -> list[dict]:
        """`fetched` rows of this statement as the queryset would give them: {name: value}."""
        converters = self.converters.items()
        rows = []
        for values in fetched:
            values = list(values)
            for position, (functions, expression) in converters:
                value = values[position]
                for function in functions:
                    value = function(value, expression, connection)
                values[position] = value
            rows.append(dict(zip(self.names, values, strict=True)))
        return rows


def values_compile(queryset, *, key: str, sql_suffix: str = "") -> Compiled:
    """`queryset`, a `.values()` queryset whose rows depend on the stand-in subject
    (`statement_check`, under `key`), compiled once; `sql_suffix` appended to its SQL (a
    LIMIT and OFFSET of placeholders, say)."""
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    statement_check(key, params)
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    if len(columns) != len(names):
        raise ImproperlyConfigured(f"{key}: its statement selects other columns than its values")
    return Compiled(
        sql=f"{sql}{sql_suffix}",
        params=list(params),
        names=names,
        converters=compiler.get_converters(columns),
    )


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def statements_run(statements: Sequence[tuple[str, Sequence]]) -> list[list[tuple]]:
    """The rows of each (sql, params) of `statements`, in order.

    On PostgreSQL with prepared statements allowed (DATABASE_PREPARED_STATEMENTS, on by
    default) each goes prepared, all in one round trip; elsewhere one by one through Django's
    cursor. Either way each statement is one query in Django's query log (the tests' query
    counts, the debug toolbar); Django's execute wrappers see only the second way: run only
    reads here."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor != "postgresql" or raw.prepare_threshold is None:
        results = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader  # registered, psycopg's C one

    # Django's loader of timestamptz, a Python subclass of psycopg's (to set the connection's
    # time zone), cost 0.8 ms of the 2.5 ms of Python that the ~150 timestamps of a page of
    # "my data" took to fetch. psycopg's own, in C, gives the same aware datetimes whenever
    # the connection's time zone is UTC (USE_TZ and no TIME_ZONE of the database, as here):
    # Django then sets the session's TimeZone to UTC.
    fast_timestamps = connection.timezone is datetime.UTC
    started = time.monotonic()
    with connection.wrap_database_errors:
        cursors = []
        with raw.pipeline():
            for sql, params in statements:
                cursor = psycopg.RawCursor(raw)
                if fast_timestamps:
                    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
                # Without parameters Django's cursor sends the SQL as it is, %% and all.
                native = sql if params is None else _native(sql)
                cursor.execute(native, params, prepare=True)
                cursors.append(cursor)
        results = [cursor.fetchall() for cursor in cursors]
        for cursor in cursors:
            cursor.close()
    if connection.queries_logged:
        duration = (time.monotonic() - started) / max(len(statements), 1)
        for sql, _params in statements:
            connection.queries_log.append({"sql": sql, "time": f"{duration:.3f}"})
    return results


# Django's placeholders and escaped percent signs.
_PLACEHOLDER = re.compile("%[s%]")
# Statements' SQL with PostgreSQL's placeholders ($1, $2, …), encoded once: psycopg's
# RawCursor sends it as is, where its Cursor parsed and encoded it on every run (it keeps the
# conversion only of statements under 4 kB, and the totals' is 15 kB). Bounded: callers pass
# compiled statements, a few dozen of them.
_native_sql: dict[str, bytes] = {}
NATIVE_SQL_KEPT = 512


def _native(sql: str) -> bytes:
    """`sql` (Django's %s placeholders, %% for a percent sign) with PostgreSQL's own
    placeholders, in the connection's encoding (Django's is always UTF-8)."""
    native = _native_sql.get(sql)
    if native is None:
        numbers = itertools.count(1)
        native = _PLACEHOLDER.sub(
            lambda found: "%" if found[0] == "%%" else f"${next(numbers)}", sql
        ).encode()
        if len(_native_sql) >= NATIVE_SQL_KEPT:
            _native_sql.clear()
        _native_sql[sql] = native
    return native
