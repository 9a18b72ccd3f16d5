"""The seam where the execution of a request plugs in (exports, erasure, rectification,
restriction, objection: the next issue builds them).

"Complete" on a verified request of a kind that needs work (`workflow.EXECUTED_KINDS`) moves it
to in progress and, after commit, calls the executor registered for its kind with the
request's id. The executor enqueues its work (a Celery task's `delay`) and, when the work is
done, calls `dsr_requests.services.rights_request_execution_done`, which completes the request
and tells the person. Without an executor for the kind, staff do the work by hand and mark the
request done on its page (the same service).

    from dsr_requests.execution import executor_register
    executor_register(Kind.ACCESS, access_export_build_task.delay)

The executor runs its work as named steps through `step_run`: a step done is never done
again (a redelivered or retried task skips it), a failed one is recorded, shown in the queue
and on the request page, and staff retry it (`services.execution_retry`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from velux_privacy.errors import DomainError

logger = logging.getLogger(__name__)

Executor = Callable[[int], object]
_executors: dict[str, Executor] = {}


def executor_register(kind: str, executor: Executor) -> None:
    """Let `executor(rights_request_id)` start the work for requests of `kind`."""
    if kind in _executors:
        raise ValueError(f"an executor for {kind!r} is registered already")
    _executors[kind] = executor


def executor_for(kind: str) -> Executor | None:
    return _executors.get(kind)


def execution_start(*, rights_request_id: int, kind: str) -> bool:
    """Start the execution of a request (after commit). False when no executor exists for
    the kind: staff complete the work by hand."""
    executor = executor_for(kind)
    if executor is None:
        logger.info("rights request %s: no executor for %s, done by hand", rights_request_id, kind)
        return False
    executor(rights_request_id)
    return True


# Steps whose effect on the person's data cannot be undone (erased, corrected, flagged): once
# one is done the request can no longer be withdrawn (services.rights_request_withdraw), so it
# is still answered, and the recipients' Art. 19 notices still chased, as what it did.
IRREVERSIBLE_STEPS = frozenset({"erase", "apply", "limit_set"})


def execution_irreversible(*, rights_request_id: int) -> bool:
    """Whether a step of the request's execution that cannot be undone is done."""
    from dsr_requests.models import ExecutionStep

    return ExecutionStep.objects.filter(
        rights_request_id=rights_request_id,
        name__in=sorted(IRREVERSIBLE_STEPS),
        status=ExecutionStep.Status.DONE,
    ).exists()


def steps_plan(*, rights_request_id: int, names: list[str]) -> None:
    """Record the steps an execution will take, so the request page shows what is to come."""
    from dsr_requests.models import ExecutionStep

    for name in names:
        ExecutionStep.objects.get_or_create(rights_request_id=rights_request_id, name=name)


def step_run(
    *, rights_request_id: int, name: str, run: Callable[[], dict[str, Any] | None]
) -> dict[str, Any]:
    """Run the step `name` of a request's execution at most once to success.

    A step already done returns its recorded result without calling `run`. Otherwise `run()`
    runs in one transaction with the step's record, which holds the step's row lock (two
    workers given the same task do it once): done with its result (a JSON dict of ids, counts
    and codes), or, on an exception, rolled back, recorded as failed (the exception's class and
    code only: a message may quote personal data), audited, and the exception re-raised.
    """
    from dsr_requests.models import ExecutionStep

    ExecutionStep.objects.get_or_create(rights_request_id=rights_request_id, name=name)
    try:
        with transaction.atomic():
            step = ExecutionStep.objects.select_for_update().get(
                rights_request_id=rights_request_id, name=name
            )
            if step.status == ExecutionStep.Status.DONE:
                return step.result
            step.started_at = timezone.now()
            result = run() or {}
            step.status = ExecutionStep.Status.DONE
            step.attempts += 1
            step.error = ""
            step.result = result
            step.finished_at = timezone.now()
            step.save()
            return result
    except Exception as error:
        _step_failed(rights_request_id, name, error)
        raise


def _step_failed(rights_request_id: int, name: str, error: Exception) -> None:
    from dsr_requests import services

    code = f"{type(error).__name__}"
    if isinstance(error, DomainError):
        code = f"{code}: {error.code}"
    services.execution_step_failed(rights_request_id=rights_request_id, name=name, error=code[:100])
    logger.warning("rights request %s: step %s failed (%s)", rights_request_id, name, code)
