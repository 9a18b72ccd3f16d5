"""`field__in_array=[...]`: `IN (...)` for a long list, sent as ONE parameter on PostgreSQL.

A batch erasure filters by the batch's thousands of subject ids in many statements; as
`IN (%s, %s, …)` each statement carries thousands of parameters that the driver quotes one by
one and the server parses, which costs more than the work itself. On PostgreSQL the list goes
as one array literal (`= ANY(%s::bigint[])`); elsewhere it is the usual `IN`.

Pass an `Array` where the same long list is used in many statements: Django then neither
walks its values (it does so for every list or tuple in a filter) nor is the literal built
twice. Registered on every field at import (velux_privacy.apps).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.db.models import Field, Lookup
from django.db.models.lookups import In


class Array:
    """A list of values for `in_array`: built once, quoted once."""

    def __init__(self, values: Iterable) -> None:
        self.values = list(values)

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        return iter(self.values)

    @cached_property
    def literal(self) -> str:
        values = self.values
        if all(type(value) is int for value in values):
            return "{" + ",".join(map(str, values)) + "}"
        return "{" + ",".join(_array_element(value) for value in values) + "}"


@Field.register_lookup
class InArray(Lookup):
    lookup_name = "in_array"

    def get_prep_lookup(self):
        # NULL equals nothing, as with IN (Django's In drops None too).
        if isinstance(self.rhs, Array):
            if None in self.rhs.values:
                return Array(value for value in self.rhs.values if value is not None)
            return self.rhs
        prep = self.lhs.output_field.get_prep_value
        return Array(prep(value) for value in self.rhs if value is not None)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        element_type = self.lhs.output_field.cast_db_type(connection)
        if element_type.startswith(("varchar", "char")):
            # Unbounded: a cast to varchar(n) would cut a longer value to a match.
            element_type = "text"
        return f"{lhs} = ANY(%s::{element_type}[])", [*lhs_params, self.rhs.literal]

    def as_sql(self, compiler, connection):
        return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)


def _array_element(value) -> str:
    if type(value) is int:
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
