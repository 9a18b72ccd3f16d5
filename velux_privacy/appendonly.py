"""Append-only tables (the consent ledger, the audit trail): rows are added, never changed or
deleted, through the ORM, the admin, or SQL on PostgreSQL.

- `AppendOnlyModel` refuses `save()` of an existing row and `delete()`; its default manager's
  querysets refuse `update()` and `delete()`.
- `append_only_triggers()` are PostgreSQL triggers (django-pgtrigger) that refuse UPDATE,
  DELETE and TRUNCATE in SQL, whoever sends it (`manage.py flush` included: the test suite
  flushes past them, tests/conftest.py). Only an erasure (GDPR Art. 17) may unlink or remove
  such rows about the people it erases: `erasure_allow_in_transaction()`, which the data map's erase
  service calls first in its own transaction, lifts them until that transaction ends, and
  the erase service works through `_base_manager`, which these guards do not cover.
"""

from __future__ import annotations

import pgtrigger
from django.db import connection, models

ERASURE_SETTING = "velux.erasure"
# The triggers hold unless the transaction said it is an erasure (SET LOCAL, below).
_NOT_ERASING = pgtrigger.Condition(
    f"current_setting('{ERASURE_SETTING}', true) IS DISTINCT FROM 'on'"
)


class AppendOnlyError(Exception):
    """A row of an append-only table was to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} rows are never changed")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} rows are never deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are never changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows are never deleted")


def append_only_triggers(prefix: str) -> list[pgtrigger.Trigger]:
    """The Meta.triggers of an append-only model; `prefix` keeps the names unique (at most
    ~40 characters in all, as PostgreSQL names are short)."""
    return [
        pgtrigger.Protect(
            name=f"{prefix}_no_update", operation=pgtrigger.Update, condition=_NOT_ERASING
        ),
        pgtrigger.Protect(
            name=f"{prefix}_no_delete", operation=pgtrigger.Delete, condition=_NOT_ERASING
        ),
        # TRUNCATE fires no row trigger: without its own (statement) trigger it empties the
        # table in one statement. Not even an erasure truncates: it removes its own rows.
        pgtrigger.Trigger(
            name=f"{prefix}_no_truncate",
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            level=pgtrigger.Statement,
            func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % (append-only)', TG_TABLE_NAME;",
        ),
    ]


def erasure_allow_in_transaction() -> None:
    """Let this transaction unlink or delete rows of append-only tables: for the erase
    service only, inside its atomic block (SET LOCAL ends with the transaction)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [ERASURE_SETTING])


def erasure_disallow_in_transaction() -> None:
    """Put the guard back once the erasure is done, for the rest of the transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'off', true)", [ERASURE_SETTING])
