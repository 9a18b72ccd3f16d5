"""Scheduled erasure work over the data map (subjects.services.subjects_erase)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from subjects.models import DeletionReceipt, ErasurePending
from subjects.services import ErasureCause, subjects_erase
from velux_privacy.calendar import local_date, start_of_day

logger = logging.getLogger(__name__)

BATCH_SIZE = 1_000


def erasures_pending_finish(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Erase again what an earlier erasure had to keep back (an open order, a contract in
    force, a legal hold…), once a day: with the same cause and purposes, so the new receipt
    names the same request or run. A subject whose reason has ended is erased and its pending
    row goes; one still held stays pending, checked again tomorrow. Each batch is its own
    transaction (subjects_erase), so a rerun after a failure carries on where it stopped.

    Returns how many pending erasures were looked at.
    """
    now = now or timezone.now()
    due = ErasurePending.objects.filter(checked_at__lt=start_of_day(local_date(now)))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for subject_id, cause, reference, purposes in due.order_by("pk").values_list(
        "subject_id", "cause", "cause_reference", "purposes"
    ):
        groups[(cause, reference, tuple(purposes) if purposes is not None else None)].append(
            subject_id
        )
    looked_at = 0
    for (cause, reference, purposes), subject_ids in groups.items():
        for start in range(0, len(subject_ids), batch_size):
            batch = subject_ids[start : start + batch_size]
            subjects_erase(
                subject_ids=batch,
                cause=ErasureCause(kind=cause, reference=reference),
                purposes=purposes,
                now=now,
            )
            looked_at += len(batch)
    _erasure_requests_settle(groups, now)
    logger.info("pending erasures looked at: %s", looked_at)
    return looked_at


def _erasure_requests_settle(groups: dict[tuple, list[int]], now: datetime) -> None:
    """The erasure requests that waited for these pending erasures may now be answered
    (dsr_requests.erasure; retention is above dsr_requests in the import direction)."""
    from dsr_requests.erasure import erasure_requests_settle

    references = sorted(
        reference
        for (cause, reference, _purposes) in groups
        if cause == DeletionReceipt.Cause.RIGHTS_REQUEST and reference
    )
    if references:
        erasure_requests_settle(references=references, now=now)
