"""Rectification requests (GDPR Art. 16, policy §5): the person's proposed values, field by
field, decided by staff, applied through the data map, and the recipients told (Art. 19).

- The privacy centre (or staff) files the values with `rectification_items_propose`: each a
  (category key, field, value) of a rectifiable field of the data map
  (`subjects.datamap.Category.rectifiable_fields`: a field the person provided, the model's
  own value, never an e-mail address) on the person's one row of that category, validated by
  the model field; what VELUX holds is recorded beside it for staff to compare.
- Staff accept or reject each with a reason (`rectification_item_decide`, the request page).
- "Complete" runs `rectification_execute_task`: the step "apply" writes the accepted values
  (`subjects.services.subject_rectify`, all or nothing, a bad value fails the step with the
  field's message for staff to decide again and retry; an undecided item fails it too), then
  the recipients of the corrected categories get their notices, and once all are answered the
  request completes: the person is told which were applied and which refused, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dsr_requests import roles
from dsr_requests.exceptions import NotAllowed, RightsRequestError, TransitionRefused
from dsr_requests.models import AuditAction, RecipientNotice, RectificationItem, RightsRequest
from dsr_requests.recipient_notices import (
    _audit,
    consented_purposes_of,
    recipient_notices_ensure,
    recipient_notices_open,
)
from dsr_requests.workflow import OPEN_STATES, Kind, State
from subjects.datamap import datamap
from subjects.services import (
    Correction,
    RectificationRefused,
    rectification_field_check,
    rectification_value_clean,
    subject_rectify,
)
from velux_privacy.errors import DomainError
from velux_privacy.models import User

logger = logging.getLogger(__name__)

Decision = RectificationItem.Decision


class RectificationInvalid(RightsRequestError):
    code = "rectification_invalid"
    default_message = _("The proposed correction cannot be taken as it is.")


class CorrectionsUndecided(RightsRequestError):
    code = "corrections_undecided"
    default_message = _("Accept or reject every proposed correction first.")


def _display(value) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def rectification_items_propose(
    *,
    rights_request: RightsRequest,
    items: Sequence[tuple[str, str, str]],
) -> list[RectificationItem]:
    """File the person's proposed values on an open rectification request that knows its
    person (a request made signed in, or once confirmed from the address): each
    `(category_key, field, value)`, e.g. `("identity", "last_name", "Peeters")`.

    Each field must be a rectifiable field of the data map (`Category.rectifiable_fields`),
    the person must have exactly one row of that category, and the value must be valid for the
    model field. All or nothing: RectificationInvalid with `fields` keyed
    "<category>.<field>" and their messages. A field proposed again before it is decided
    takes the new value. Returns the items, in the order given."""
    rights_request = RightsRequest.objects.select_for_update().get(pk=rights_request.pk)
    if rights_request.kind != Kind.RECTIFICATION or rights_request.state not in OPEN_STATES:
        raise TransitionRefused()
    if rights_request.subject_id is None:
        raise RectificationInvalid(code="subject_not_linked")
    if not items:
        raise RectificationInvalid(code="nothing_proposed")
    with translation.override(rights_request.language):
        rows = _items_check(rights_request, items)
    made = []
    for category_key, field_name, object_id, current, value in rows:
        item, _created = RectificationItem.objects.update_or_create(
            rights_request=rights_request,
            category=category_key,
            field=field_name,
            defaults={
                "object_id": object_id,
                "current_value": current,
                "proposed_value": value,
                "decision": "",
                "reason": "",
                "decided_by": None,
                "decided_at": None,
            },
        )
        made.append(item)
    return made


def _items_check(
    rights_request: RightsRequest, items: Sequence[tuple[str, str, str]]
) -> list[tuple[str, str, int, str, str]]:
    errors: dict[str, list] = {}
    rows: list[tuple[str, str, int, str, str]] = []
    for category_key, field_name, value in items:
        name = f"{category_key}.{field_name}"
        try:
            category = rectification_field_check(category_key=category_key, field=field_name)
        except RectificationRefused as refused:
            errors[name] = [str(refused.message)]
            continue
        found = list(category.rows_for(rights_request.subject)[:2])
        if len(found) != 1:
            errors[name] = [
                str(_("This can be corrected only on a single record; write to us instead."))
            ]
            continue
        instance = found[0]
        try:
            rectification_value_clean(
                category=category, instance=instance, field=field_name, value=value
            )
        except RectificationRefused as refused:
            errors[name] = [str(m) for messages in refused.fields.values() for m in messages]
            continue
        earlier = RectificationItem.objects.filter(
            rights_request=rights_request, category=category_key, field=field_name
        ).first()
        if earlier is not None and earlier.applied_at is not None:
            errors[name] = [str(_("This correction was applied already."))]
            continue
        current = _display(getattr(instance, field_name))
        rows.append((category_key, field_name, instance.pk, current, str(value)))
    if errors:
        raise RectificationInvalid(code="rectification_invalid", fields=errors)
    return rows


@transaction.atomic
def rectification_item_decide(
    *,
    item: RectificationItem,
    actor: User,
    accepted: bool,
    reason: str = "",
    now: datetime | None = None,
) -> RectificationItem:
    """Staff accept or reject one proposed value (a rejection needs its reason: the person
    is told it). Open to change until it is applied. Audited with the decision's code."""
    now = now or timezone.now()
    item = (
        RectificationItem.objects.select_for_update()
        .select_related("rights_request")
        .get(pk=item.pk)
    )
    rights_request = item.rights_request
    if not roles.may_work(actor, rights_request):
        raise NotAllowed()
    if rights_request.state not in (State.VERIFIED, State.IN_PROGRESS) or item.applied_at:
        raise TransitionRefused()
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise RectificationInvalid(
            _("Write why the correction is rejected: the person is told."),
            code="reason_required",
            fields={"reason": [_("Write why the correction is rejected: the person is told.")]},
        )
    item.decision = Decision.ACCEPTED if accepted else Decision.REJECTED
    item.reason = reason
    item.decided_by = actor
    item.decided_at = now
    item.save()
    _audit(
        rights_request,
        AuditAction.CORRECTION_DECIDED,
        actor,
        now=now,
        details={"item": item.pk, "decision": item.decision},
    )
    return item


def rectification_execute(*, rights_request_id: int) -> None:
    """The executor's work (rectification_execute_task): the step "apply", then settle."""
    from dsr_requests.execution import step_run, steps_plan

    steps_plan(rights_request_id=rights_request_id, names=["apply", "notify"])
    try:
        step_run(
            rights_request_id=rights_request_id,
            name="apply",
            run=lambda: rectification_apply(rights_request_id=rights_request_id),
        )
    except DomainError:
        return  # recorded on the step, shown in the queue with a Retry button
    # The recipients' notices and the completion, as a step too: a failure here shows in the
    # queue with a Retry (settling again is safe; later answers settle it directly).
    try:
        step_run(
            rights_request_id=rights_request_id,
            name="notify",
            run=lambda: {
                "completed": rectification_request_settle(rights_request_id=rights_request_id)
            },
        )
    except DomainError:
        return


@transaction.atomic
def rectification_apply(*, rights_request_id: int, now: datetime | None = None) -> dict:
    """Write the accepted values (all or nothing). Raises CorrectionsUndecided while an item
    waits for a decision, RectificationRefused for a value the field no longer takes."""
    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_for_update().get(pk=rights_request_id)
    if rights_request.kind != Kind.RECTIFICATION or rights_request.state != State.IN_PROGRESS:
        raise TransitionRefused(code="not_in_progress")
    items = list(rights_request.rectification_items.select_for_update().order_by("pk"))
    if any(not item.decision for item in items):
        raise CorrectionsUndecided()
    accepted = [i for i in items if i.decision == Decision.ACCEPTED and not i.applied_at]
    if accepted:
        subject_rectify(
            subject=rights_request.subject,
            changes=[
                Correction(
                    category=i.category,
                    field=i.field,
                    object_id=i.object_id,
                    value=i.proposed_value,
                )
                for i in accepted
            ],
            rights_request=rights_request,
        )
        RectificationItem.objects.filter(pk__in=[i.pk for i in accepted]).update(applied_at=now)
    _audit(
        rights_request,
        AuditAction.CORRECTIONS_APPLIED,
        None,
        now=now,
        details={"applied": [i.pk for i in accepted]},
    )
    return {
        "applied": [i.pk for i in items if i.decision == Decision.ACCEPTED],
        "rejected": [i.pk for i in items if i.decision == Decision.REJECTED],
    }


@transaction.atomic
def rectification_request_settle(*, rights_request_id: int, now: datetime | None = None) -> bool:
    """Once the values are applied: the recipients of the corrected categories get their
    notices; when all are answered the request completes. Safe to call again; True when it
    completed the request now."""
    from dsr_requests.services import rights_request_execution_done

    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_for_update().filter(pk=rights_request_id).first()
    if (
        rights_request is None
        or rights_request.kind != Kind.RECTIFICATION
        or rights_request.state != State.IN_PROGRESS
        or not rights_request.audit_events.filter(action=AuditAction.CORRECTIONS_APPLIED).exists()
    ):
        return False
    applied = rights_request.rectification_items.filter(applied_at__isnull=False)
    recipient_notices_ensure(
        rights_request=rights_request,
        reason=RecipientNotice.Reason.RECTIFICATION,
        category_keys=sorted(set(applied.values_list("category", flat=True))),
        consented_purposes=consented_purposes_of(email=rights_request.email),
        now=now,
    )
    if recipient_notices_open(rights_request=rights_request):
        return False
    rights_request_execution_done(
        rights_request=rights_request,
        outcome=rectification_outcome_text(rights_request=rights_request),
        now=now,
    )
    return True


def _field_label(category_key: str, field_name: str) -> str:
    category = datamap.category(category_key)
    if category is None:
        return field_name
    for export_field in category.fields:
        if export_field.name == field_name:
            return capfirst(str(export_field.label))
    return field_name


def rectification_outcome_text(*, rights_request: RightsRequest) -> str:
    """The answer, in the person's language: each correction applied, each refused and why."""
    items = list(rights_request.rectification_items.order_by("pk"))
    with translation.override(rights_request.language):
        applied = [i for i in items if i.applied_at]
        refused = [i for i in items if i.decision == Decision.REJECTED]
        lines = []
        if applied:
            lines.append(gettext("We corrected:"))
            lines += [
                "- "
                + gettext("%(field)s: now “%(value)s”")
                % {"field": _field_label(i.category, i.field), "value": i.proposed_value}
                for i in applied
            ]
        if refused:
            if lines:
                lines.append("")
            lines.append(gettext("We did not make these corrections:"))
            lines += [
                "- "
                + gettext("%(field)s (“%(value)s”): %(reason)s")
                % {
                    "field": _field_label(i.category, i.field),
                    "value": i.proposed_value,
                    "reason": i.reason,
                }
                for i in refused
            ]
        if not lines:
            lines.append(gettext("No correction was proposed."))
        if applied and rights_request.recipient_notices.exists():
            lines.append("")
            lines.append(gettext("We told those we had shared this data with of the correction."))
    return "\n".join(lines)
