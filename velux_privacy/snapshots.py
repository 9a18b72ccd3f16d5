"""Registers that every page reads and staff rarely change, kept in each process between
requests: the purposes and their recipients, the policy versions published.

A `Snapshot` loads its value with one call of its loader and serves it until one of its
models changes. A change committed anywhere (a staff edit in the admin, a worker, a command)
gives the snapshot a new version in the shared cache (Redis in production), and every process
compares that version with its own copy's before serving it: one cache read per page instead
of the register's queries, and the next page after a change shows the change.

- Inside a transaction the value is loaded afresh: the transaction may have changed the
  register itself, and what it has not committed must not be kept for others.
- A copy older than `max_age` seconds is loaded again whatever the version says: a change
  that sends no signal (a queryset's `update()`, SQL by hand) shows within that time.
- The cache unreachable: loaded afresh, as before there were snapshots.

The value is shared by every request the process serves: callers read it and never change it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

T = TypeVar("T")

_UNSET = object()


class Snapshot(Generic[T]):
    """The value `load()` returns, kept in this process while none of `models` (nor their
    many-to-many relations) has changed, and for at most `max_age` seconds."""

    every: list[Snapshot] = []

    def __init__(
        self, name: str, load: Callable[[], T], models: list[type[Model]], max_age: float = 60
    ) -> None:
        self.name = name
        self.cache_key = f"snapshot:{name}:version"
        self._load = load
        self.max_age = max_age
        self._value: T | object = _UNSET
        self._version: str | None = None
        self._loaded_at = 0.0
        for model in models:
            uid = f"snapshot:{name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(
                self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete"
            )
            for relation in model._meta.many_to_many:
                m2m_changed.connect(
                    self._changed,
                    sender=relation.remote_field.through,
                    weak=False,
                    dispatch_uid=f"{uid}:{relation.name}",
                )
        Snapshot.every.append(self)

    def get(self) -> T:
        if connection.in_atomic_block:
            return self._load()
        try:
            version = cache.get(self.cache_key)
            if version is None:  # first use, or the cache was emptied: a version of its own
                version = uuid.uuid4().hex
                if not cache.add(self.cache_key, version, timeout=None):
                    version = cache.get(self.cache_key)
        except Exception:  # the cache unreachable: the register as it is now
            logger.warning("snapshot %s: the cache did not answer; loaded afresh", self.name)
            return self._load()
        now = time.monotonic()
        # One read of the copy: a commit in another thread may forget it meanwhile.
        value, kept_version, loaded_at = self._value, self._version, self._loaded_at
        if (
            value is _UNSET
            or version is None
            or version != kept_version
            or now - loaded_at > self.max_age
        ):
            # The version is read before the load: a change committed in between gives a
            # newer version, and the next page loads again.
            value = self._load()
            self._value, self._version, self._loaded_at = value, version, now
        return value  # type: ignore[return-value]

    def forget(self) -> None:
        """Drop this process's copy (the next `get` loads)."""
        self._value, self._version = _UNSET, None

    def _changed(self, **kwargs) -> None:
        # After the commit (at once outside a transaction): a version given before it would
        # let another process keep what it read before the change under the new version.
        transaction.on_commit(self._new_version, robust=True)

    def _new_version(self) -> None:
        self.forget()
        try:
            cache.set(self.cache_key, uuid.uuid4().hex, timeout=None)
        except Exception:
            # Other processes then see the change after max_age.
            logger.warning("snapshot %s: the cache did not take the new version", self.name)
