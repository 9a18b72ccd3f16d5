"""Executing an erasure request (GDPR Art. 17, policy §5) on the execution steps.

"Complete" on a verified erasure request puts it in progress and enqueues
`erasure_execute_task` (registered in DsrRequestsConfig.ready). Its step "erase" erases the
person through the data map (`subjects.services.subject_erase`, cause: this request, passing
over the request's own hold), once: a rerun finds the step done, and an erasure run again
finds nothing left to erase and writes no second receipt. Then `erasure_request_settle`:

- while the erasure is held back by a reason that ends soon by itself (an open order, an open
  contact request, an application: `WAITING_FOR`), the request stays in progress; the daily
  re-check (`retention.services.erasures_pending_finish`) erases what the reason kept and
  settles the request again;
- otherwise the recipients of the erased categories get their Art. 19 notices
  (dsr_requests.recipient_notices), and once all are answered the request completes: the
  person is told, in their language, what was erased, what is kept, why and until when.

What a reason that lasts (the accounting period, a contract in force, a legal hold) keeps is
told to the person and stays an erasure pending, finished by the daily re-check when it ends.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from dsr_requests.exceptions import RightsRequestError
from dsr_requests.models import AuditAction, RecipientNotice, RightsRequest
from dsr_requests.recipient_notices import (
    _audit,
    consented_purposes_of,
    recipient_notices_ensure,
    recipient_notices_open,
)
from dsr_requests.workflow import HOLDING_KINDS, OPEN_STATES, Kind, State
from subjects.datamap import KeepReason, datamap
from subjects.models import DeletionReceipt, ErasurePending, Purpose
from subjects.services import (
    ErasureCause,
    ErasureSummary,
    subject_erase,
    subject_erasure_preview,
    subject_hash,
)
from velux_privacy.errors import DomainError

logger = logging.getLogger(__name__)

# The request's own hold: an erasure request does not block itself; nor does the person's own
# restriction (GDPR Art. 18), which keeps back only the scheduled erasures.
OWN_HOLDS = frozenset({KeepReason.OPEN_RIGHTS_REQUEST, KeepReason.RESTRICTION})
# Reasons that end by themselves, soon: the request waits for them (the re-check finishes).
WAITING_FOR = frozenset(
    {KeepReason.OPEN_ORDER, KeepReason.OPEN_CONTACT_REQUEST, KeepReason.OPEN_APPLICATION}
)
# Kept only while this request is open (its own rows, and the identity they point at): gone at
# the next re-check after the answer, not worth telling as "kept".
KEPT_WITH_THE_REQUEST = frozenset(
    {KeepReason.OPEN_RIGHTS_REQUEST, KeepReason.LINKED_DATA_KEPT, KeepReason.REQUEST_HANDLED}
)


def erasure_cause(rights_request: RightsRequest) -> ErasureCause:
    return ErasureCause(
        kind=DeletionReceipt.Cause.RIGHTS_REQUEST, reference=rights_request.reference
    )


# The steps


def erasure_execute(*, rights_request_id: int) -> None:
    """The executor's work (erasure_execute_task): the step "erase", then settle."""
    from dsr_requests.execution import step_run, steps_plan

    steps_plan(rights_request_id=rights_request_id, names=["erase", "notify"])
    try:
        step_run(
            rights_request_id=rights_request_id,
            name="erase",
            run=lambda: erasure_erase(rights_request_id=rights_request_id),
        )
    except DomainError:
        return  # recorded on the step, shown in the queue with a Retry button
    # The recipients' notices and the completion, as a step too: a failure here shows in the
    # queue with a Retry (settling again is safe; later answers settle it directly).
    try:
        step_run(
            rights_request_id=rights_request_id,
            name="notify",
            run=lambda: {"completed": erasure_request_settle(rights_request_id=rights_request_id)},
        )
    except DomainError:
        return


@transaction.atomic
def erasure_erase(*, rights_request_id: int, now: datetime | None = None) -> dict:
    """Erase the request's person through the data map, in one transaction with its audit
    event. Returns the summary (no personal data), recorded as the step's result."""
    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_for_update().get(pk=rights_request_id)
    if rights_request.kind != Kind.ERASURE or rights_request.state != State.IN_PROGRESS:
        from dsr_requests.exceptions import TransitionRefused

        raise TransitionRefused(code="not_in_progress")
    if (
        rights_request.subject_id is not None
        and RightsRequest.objects.filter(
            subject_id=rights_request.subject_id,
            kind__in=sorted(HOLDING_KINDS),
            state__in=sorted(OPEN_STATES),
        )
        .exclude(pk=rights_request.pk)
        .exists()
    ):
        # The hold passed over is this request's own: an open access or portability request
        # of the person is answered first, from the data as it was (EDPB 01/2022 §2.3.3).
        # The step fails with this code; staff retry once that request is answered.
        raise RightsRequestError(code="access_request_open")
    if rights_request.subject_id is None:
        summary = {"categories": {}, "subject_deleted": False, "held_by": []}
    else:
        erased = subject_erase(
            subject=rights_request.subject,
            cause=erasure_cause(rights_request),
            ignore_holds=OWN_HOLDS,
            now=now,
        )
        summary = erased.as_dict()
    rows = summary["categories"].values()
    _audit(
        rights_request,
        AuditAction.ERASURE_EXECUTED,
        None,
        now=now,
        details={
            "rows_deleted": sum(c["deleted"] for c in rows),
            "rows_anonymised": sum(c["anonymised"] for c in rows),
            "held_by": summary["held_by"],
        },
    )
    logger.info("erasure request %s: erased", rights_request.pk)
    return summary


def erasure_waiting_reasons(rights_request: RightsRequest) -> list[str]:
    """The reasons that end soon for which the erasure of this request still waits (from its
    erasure pending)."""
    if rights_request.subject_id is None:
        return []
    pending = ErasurePending.objects.filter(
        subject_id=rights_request.subject_id,
        cause=DeletionReceipt.Cause.RIGHTS_REQUEST,
        cause_reference=rights_request.reference,
    ).first()
    if pending is None:
        return []
    return [r for r in pending.kept_for if r in WAITING_FOR]


@transaction.atomic
def erasure_request_settle(*, rights_request_id: int, now: datetime | None = None) -> bool:
    """Complete the erasure request if nothing is left to wait for: no reason that ends soon
    holds the erasure back, and every recipient notice is answered (made here, once nothing
    waits). Safe to call any number of times (the executor, each notice answered, the daily
    re-check); True when it completed the request now."""
    from dsr_requests.services import rights_request_execution_done

    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_for_update().filter(pk=rights_request_id).first()
    if (
        rights_request is None
        or rights_request.kind != Kind.ERASURE
        or rights_request.state != State.IN_PROGRESS
        or not rights_request.audit_events.filter(action=AuditAction.ERASURE_EXECUTED).exists()
    ):
        return False
    waiting = erasure_waiting_reasons(rights_request)
    if waiting:
        last = (
            rights_request.audit_events.filter(action=AuditAction.ERASURE_WAITING)
            .order_by("-at", "-pk")
            .first()
        )
        if last is None or last.details.get("kept_for") != waiting:
            _audit(
                rights_request,
                AuditAction.ERASURE_WAITING,
                None,
                now=now,
                details={"kept_for": waiting},
            )
        return False
    recipient_notices_ensure(
        rights_request=rights_request,
        reason=RecipientNotice.Reason.ERASURE,
        category_keys=list(erasure_erased_counts(rights_request)),
        consented_purposes=consented_purposes_of(email=rights_request.email),
        now=now,
    )
    if recipient_notices_open(rights_request=rights_request):
        return False
    rights_request_execution_done(
        rights_request=rights_request,
        outcome=erasure_outcome_text(rights_request=rights_request, now=now),
        now=now,
    )
    return True


def erasure_requests_settle(*, references: list[str], now: datetime | None = None) -> int:
    """Settle the open erasure requests of these references (the daily re-check calls it
    after finishing their pending erasures). Returns how many completed."""
    ids = RightsRequest.objects.filter(
        reference__in=references, kind=Kind.ERASURE, state=State.IN_PROGRESS
    ).values_list("pk", flat=True)
    return sum(erasure_request_settle(rights_request_id=pk, now=now) for pk in ids)


# What was erased, what is kept


@dataclass
class CategoryLine:
    key: str
    label: str
    count: int
    reasons: list[str] = field(default_factory=list)
    retention: str = ""


@dataclass
class ErasureReport:
    """What an erasure did or would do, in words for staff or the person (no e-mail, no name):
    categories deleted, anonymised (kept without what identifies the person, and why), kept
    (why and until when), the holds that stop it all, and the services that stop."""

    deleted: list[CategoryLine]
    anonymised: list[CategoryLine]
    kept: list[CategoryLine]
    held_by: list[str]
    services_stop: list[str]


def erasure_erased_counts(rights_request: RightsRequest) -> dict[str, dict]:
    """Per category, what the erasures of this request did (all its receipts: the first
    erasure and what the re-check finished later)."""
    receipts = DeletionReceipt.objects.filter(
        cause=DeletionReceipt.Cause.RIGHTS_REQUEST, cause_reference=rights_request.reference
    )
    if rights_request.email:
        receipts = receipts.filter(subject_hash=subject_hash(rights_request.email))
    totals: dict[str, dict] = defaultdict(
        lambda: {"deleted": 0, "anonymised": 0, "anonymised_for": {}}
    )
    for summary in receipts.order_by("erased_at", "pk").values_list("summary", flat=True):
        for key, counts in summary.get("categories", {}).items():
            if not (counts.get("deleted") or counts.get("anonymised")):
                continue
            total = totals[key]
            total["deleted"] += counts.get("deleted", 0)
            total["anonymised"] += counts.get("anonymised", 0)
            for reason, n in counts.get("anonymised_for", {}).items():
                total["anonymised_for"][reason] = total["anonymised_for"].get(reason, 0) + n
    return dict(totals)


def _label(key: str) -> str:
    category = datamap.category(key)
    return str(category.label) if category else key


def _reason_labels(reasons) -> list[str]:
    return [str(KeepReason(r).label) if r in KeepReason.values else r for r in reasons]


def _retention(key: str) -> str:
    category = datamap.category(key)
    return str(category.retention) if category is not None and category.retention else ""


def erasure_report_from_summary(summary: ErasureSummary) -> ErasureReport:
    deleted, anonymised, kept = [], [], []
    kept_purposes: set[str] = set()
    deleted_purposes: set[str] = set()
    for key, outcome in summary.categories.items():
        category = datamap.category(key)
        purposes = set(category.purposes) if category else set()
        if outcome.deleted:
            deleted.append(CategoryLine(key, _label(key), outcome.deleted))
            deleted_purposes |= purposes
        if outcome.anonymised:
            anonymised.append(
                CategoryLine(
                    key,
                    _label(key),
                    outcome.anonymised,
                    _reason_labels(outcome.anonymised_for),
                    _retention(key),
                )
            )
        reasons = [r for r, n in outcome.kept.items() if n and r not in KEPT_WITH_THE_REQUEST]
        if reasons:
            kept.append(
                CategoryLine(
                    key,
                    _label(key),
                    sum(outcome.kept[r] for r in reasons),
                    _reason_labels(reasons),
                    _retention(key),
                )
            )
            kept_purposes |= purposes
    stopping = deleted_purposes - kept_purposes
    services = [
        str(p) for p in Purpose.objects.filter(code__in=sorted(stopping)).order_by("section")
    ]
    return ErasureReport(
        deleted=deleted,
        anonymised=anonymised,
        kept=kept,
        held_by=_reason_labels(summary.held_by),
        services_stop=services,
    )


def erasure_preview_build(*, rights_request: RightsRequest) -> ErasureReport | None:
    """What "Complete" will erase, keep and stop, for the request page (the erasure itself,
    run and rolled back: `subject_erasure_preview`). None without a person to erase."""
    if rights_request.subject_id is None:
        return None
    summary = subject_erasure_preview(subject=rights_request.subject, ignore_holds=OWN_HOLDS)
    return erasure_report_from_summary(summary)


def erasure_outcome_text(*, rights_request: RightsRequest, now: datetime | None = None) -> str:
    """The answer the person gets, in their language: what was erased (the receipts of this
    request), what is still kept, why and until when (the erasure run now and rolled back),
    and what stays of the request itself."""
    erased = erasure_erased_counts(rights_request)
    kept: list[CategoryLine] = []
    held: list[str] = []
    with translation.override(rights_request.language):
        if rights_request.subject_id is not None:
            summary = subject_erasure_preview(
                subject=rights_request.subject, ignore_holds=OWN_HOLDS, now=now
            )
            report = erasure_report_from_summary(summary)
            kept, held = report.kept, report.held_by
        lines = []
        if erased:
            lines.append(gettext("What we erased:"))
            for key, counts in erased.items():
                if counts["deleted"]:
                    lines.append(
                        "- "
                        + ngettext(
                            "%(category)s: %(count)s item deleted",
                            "%(category)s: %(count)s items deleted",
                            counts["deleted"],
                        )
                        % {"category": _label(key), "count": counts["deleted"]}
                    )
                if counts["anonymised"]:
                    lines.append(
                        "- "
                        + ngettext(
                            "%(category)s: %(count)s item partly erased, the rest kept for "
                            "%(reasons)s. %(retention)s",
                            "%(category)s: %(count)s items partly erased, the rest kept for "
                            "%(reasons)s. %(retention)s",
                            counts["anonymised"],
                        )
                        % {
                            "category": _label(key),
                            "count": counts["anonymised"],
                            "reasons": ", ".join(_reason_labels(counts["anonymised_for"])),
                            "retention": _retention(key),
                        }
                    )
        else:
            lines.append(gettext("We held no personal data on you that could be erased."))
        if held:
            lines.append("")
            lines.append(
                gettext("We could not erase anything yet because of %(reasons)s.")
                % {"reasons": ", ".join(held)}
            )
        if kept:
            lines.append("")
            lines.append(gettext("What we must keep, why and until when:"))
            for line in kept:
                lines.append(
                    f"- {line.label}: "
                    + gettext("kept for %(reasons)s.") % {"reasons": ", ".join(line.reasons)}
                    + (f" {line.retention}" if line.retention else "")
                )
            lines.append(
                gettext("We erase it as soon as the reason to keep it ends: we check every day.")
            )
        lines.append("")
        lines.append(
            gettext(
                "This request stays as the proof that we answered it, without your name, "
                "address or what you wrote."
            )
        )
    return "\n".join(lines).strip()
