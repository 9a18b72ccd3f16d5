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
"""

from __future__ import annotations

import logging
from collections.abc import Callable

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
