"""Restriction (GDPR Art. 18) and objection (Art. 21) requests carried out: the flags on the
subject (subjects.services.processing_limit_set) that consent's "may VELUX contact" selector
and every processing of §2.4 and §2.6 respect, the answer to the person, and the lifting of a
restriction, told to the person first (Art. 18(3)).

Staff decide on the request page ("Complete"): for a restriction, the last day the person
asked it to last (if any); for an objection, nothing (it is granted) or VELUX's compelling
legitimate grounds (Art. 21(1)), which the person is told. The executor of each kind
(`limit_execute`, run by `dsr_requests.tasks.limit_execute_task`) then runs its steps through
`execution.step_run`, so a rerun or a retry does nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dsr_requests import execution, services
from dsr_requests.exceptions import RightsRequestError, TransitionRefused
from dsr_requests.models import (
    AuditAction,
    NotificationSend,
    RequestMessage,
    RightsRequest,
)
from dsr_requests.workflow import Action, Kind, State
from subjects.models import ProcessingLimit, Purpose, PurposeCode
from subjects.services import processing_limit_set, processing_limits_end
from velux_privacy.calendar import local_date, start_of_day
from velux_privacy.models import User

logger = logging.getLogger(__name__)

# Art. 21(1): processing on legitimate interest (§2.4 business development, §2.6 surveys) stops
# unless VELUX shows compelling legitimate grounds. Art. 21(2), (3): an objection to direct
# marketing (§2.5) always stops it. Other purposes rest on a contract or the law: no objection.
LEGITIMATE_INTEREST_PURPOSES = (PurposeCode.BUSINESS_DEVELOPMENT, PurposeCode.SURVEYS)
DIRECT_MARKETING = PurposeCode.COMMERCIAL_COMMUNICATION
OBJECTABLE_PURPOSES = (*LEGITIMATE_INTEREST_PURPOSES, DIRECT_MARKETING)

LIMIT_KINDS = {
    Kind.RESTRICTION: ProcessingLimit.Kind.RESTRICTION,
    Kind.OBJECTION: ProcessingLimit.Kind.OBJECTION,
}
STEPS = ("limit_set", "answer")


def limit_purposes(rights_request: RightsRequest) -> list[str]:
    """The purposes the request's flags cover: a restriction of the purpose named, or of every
    purpose (""); an objection to the purpose named, or to every purpose one may object to."""
    if rights_request.kind == Kind.RESTRICTION or rights_request.purpose:
        return [rights_request.purpose]
    return list(OBJECTABLE_PURPOSES)


def _purposes_set(rights_request: RightsRequest) -> list[str]:
    """The purposes an execution flags: with compelling grounds recorded, only direct
    marketing (Art. 21(3): no grounds outweigh it), when the objection covers it."""
    purposes = limit_purposes(rights_request)
    if rights_request.kind == Kind.OBJECTION and rights_request.objection_grounds:
        return [p for p in purposes if p == DIRECT_MARKETING]
    return purposes


@transaction.atomic
def rights_request_limit_decide(
    *,
    rights_request: RightsRequest,
    actor: User,
    ends_on: date | None = None,
    grounds: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """ "Complete" on a verified restriction or objection request: record staff's decision and
    start the execution (services.rights_request_complete).

    Restriction: `ends_on`, the last day the person asked it to last (none: until lifted).
    Objection: granted unless `grounds`, VELUX's compelling legitimate grounds (Art. 21(1)),
    are written; they are sent to the person with the answer. Raises RightsRequestError
    (with `fields`) for an end in the past, grounds on a restriction or against an objection
    to direct marketing (Art. 21(3)), and an objection to a purpose resting on a contract or
    the law (reject it instead); TransitionRefused when the request cannot start now."""
    now = now or timezone.now()
    locked = services._lock(rights_request, Action.START, actor)
    if locked.kind not in LIMIT_KINDS:
        raise TransitionRefused()
    grounds = grounds.strip()
    errors: dict[str, list] = {}
    if locked.kind == Kind.RESTRICTION:
        if grounds:
            errors["grounds"] = [_("A restriction has no grounds to record.")]
        if ends_on is not None and ends_on < local_date(now):
            errors["ends_on"] = [_("The last day of the restriction cannot be in the past.")]
    else:
        if ends_on is not None:
            errors["ends_on"] = [_("An objection lasts: it has no last day.")]
        if locked.purpose and locked.purpose not in OBJECTABLE_PURPOSES:
            errors["grounds"] = [
                _(
                    "One may object only to processing on legitimate interest (§2.4, §2.6) or "
                    "to direct marketing (§2.5). Reject the request with the reason instead."
                )
            ]
        elif grounds and locked.purpose == DIRECT_MARKETING:
            errors["grounds"] = [
                _(
                    "No grounds outweigh an objection to direct marketing (GDPR Art. 21(3)): "
                    "it is always granted."
                )
            ]
    if errors:
        message = next(iter(errors.values()))[0]
        raise RightsRequestError(message, code="limit_decision_invalid", fields=errors)
    locked.limit_ends_on = ends_on
    locked.objection_grounds = grounds
    locked.save(update_fields=["limit_ends_on", "objection_grounds"])
    if grounds:
        services._audit(locked, AuditAction.OBJECTION_GROUNDS, actor, locked.state, now=now)
    started = services.rights_request_complete(rights_request=locked, actor=actor, now=now)
    execution.steps_plan(rights_request_id=started.pk, names=list(STEPS))
    return started


def limit_execute(*, rights_request_id: int) -> None:
    """The executor of restriction and objection requests: flag the subject (step
    "limit_set"), then complete the request with the answer (step "answer"). A request no
    longer in progress (done already, withdrawn) is left as it is."""
    rights_request = RightsRequest.objects.select_related("subject").get(pk=rights_request_id)
    if rights_request.state != State.IN_PROGRESS:
        logger.info("rights request %s: not in progress, nothing to execute", rights_request_id)
        return
    execution.step_run(
        rights_request_id=rights_request_id,
        name="limit_set",
        run=lambda: _limits_set(rights_request),
    )
    execution.step_run(
        rights_request_id=rights_request_id,
        name="answer",
        run=lambda: _answer(rights_request),
    )


def _limits_set(rights_request: RightsRequest) -> dict:
    if rights_request.subject_id is None:
        raise RightsRequestError(code="no_subject")
    purposes = _purposes_set(rights_request)
    if not purposes:
        return {"limits": []}
    now = timezone.now()
    ends_at = (
        start_of_day(rights_request.limit_ends_on + timedelta(days=1))
        if rights_request.limit_ends_on
        else None
    )
    with translation.override(rights_request.language):
        default_reason = gettext("Asked in rights request %(reference)s.") % {
            "reference": rights_request.reference
        }
    limits = processing_limit_set(
        subject=rights_request.subject,
        kind=LIMIT_KINDS[rights_request.kind],
        purposes=purposes,
        reason=rights_request.details.strip() or default_reason,
        reference=rights_request.reference,
        ends_at=ends_at,
        now=now,
    )
    ids = [limit.pk for limit in limits]
    services._audit(
        rights_request,
        AuditAction.LIMIT_SET,
        None,
        rights_request.state,
        now=now,
        details={
            "limits": ids,
            "purposes": purposes,
            "ends_on": rights_request.limit_ends_on.isoformat()
            if rights_request.limit_ends_on
            else None,
        },
    )
    return {"limits": ids}


def _answer(rights_request: RightsRequest) -> dict:
    services.rights_request_execution_done(
        rights_request=rights_request, outcome=limit_outcome(rights_request=rights_request)
    )
    return {"state": State.COMPLETED}


def limit_outcome(*, rights_request: RightsRequest) -> str:
    """The answer the person gets, in the request's language."""
    with translation.override(rights_request.language):
        purposes = _purposes_in_words(limit_purposes(rights_request))
        if rights_request.kind == Kind.RESTRICTION:
            parts = [
                gettext(
                    "From today the processing of your personal data is restricted for "
                    "%(purposes)s: we only store it, and do not use it otherwise without your "
                    "consent, except for legal claims, to protect another person or for an "
                    "important public interest (GDPR Article 18(2))."
                )
                % {"purposes": purposes}
            ]
            if {"", DIRECT_MARKETING} & set(limit_purposes(rights_request)):
                parts.append(gettext("Nor do we contact you for marketing."))
            if rights_request.limit_ends_on:
                parts.append(
                    gettext("The restriction lasts until %(day)s inclusive, as you asked.")
                    % {"day": formats.date_format(rights_request.limit_ends_on, "DATE_FORMAT")}
                )
            else:
                parts.append(
                    gettext(
                        "It lasts until we lift it, and we will tell you before we do "
                        "(GDPR Article 18(3))."
                    )
                )
            return "\n\n".join(parts)
        if not rights_request.objection_grounds:
            return gettext(
                "Your objection is granted: from today VELUX no longer processes your personal "
                "data for %(purposes)s (GDPR Article 21)."
            ) % {"purposes": purposes}
        parts = [
            gettext(
                "We have weighed your objection against our reasons for this processing. We "
                "have compelling legitimate grounds that override your interests, rights and "
                "freedoms (GDPR Article 21(1)), so we continue to process your data for "
                "%(purposes)s. Our grounds:"
            )
            % {
                "purposes": _purposes_in_words(LEGITIMATE_INTEREST_PURPOSES)
                if not rights_request.purpose
                else purposes
            },
            rights_request.objection_grounds,
        ]
        if DIRECT_MARKETING in _purposes_set(rights_request):
            parts.append(
                gettext(
                    "We no longer use your data for commercial communication (direct "
                    "marketing): an objection to it is always granted (GDPR Article 21(3))."
                )
            )
        return "\n\n".join(parts)


def _purposes_in_words(codes) -> str:
    if "" in codes:
        return gettext("every purpose")
    names = {p.code: p for p in Purpose.objects.filter(code__in=list(codes))}
    return ", ".join(
        gettext("“%(name)s” (privacy policy, section %(section)s)")
        % {"name": names[code].name, "section": names[code].section}
        for code in codes
        if code in names
    )


@transaction.atomic
def rights_request_limit_lift(
    *, rights_request: RightsRequest, actor: User, reason: str, now: datetime | None = None
) -> RightsRequest:
    """Announce the lifting of a restriction carried out (GDPR Art. 18(3): the person is told
    first). The e-mail with `reason` goes after commit; only once it is sent does the
    restriction get its end, RESTRICTION_LIFT_NOTICE_DAYS after the day it was sent
    (`limit_lift_apply`): an e-mail that cannot be sent lifts nothing, and shows in the queue.

    Raises RightsRequestError for an empty reason, when no restriction of this request is in
    force without an end (code "nothing_to_lift"), and when a lift is announced already and
    its e-mail not sent yet (code "lift_announced")."""
    now = now or timezone.now()
    locked = services._lock(rights_request, Action.LIFT, actor)
    reason = reason.strip()
    if not reason:
        message = _("Write why the restriction is lifted: the person is told.")
        raise RightsRequestError(message, code="reason_required", fields={"reason": [message]})
    in_force = limit_lift_candidates(locked, now)
    if not in_force:
        raise RightsRequestError(
            _("No restriction of this request is still in force: there is nothing to lift."),
            code="nothing_to_lift",
        )
    if locked.notifications.filter(kind=NotificationSend.Kind.LIMIT_LIFT).exclude(
        status=NotificationSend.Status.SENT
    ):
        raise RightsRequestError(
            _("The lifting is announced already; its e-mail is not sent yet."),
            code="lift_announced",
        )
    message = RequestMessage.objects.create(
        rights_request=locked, kind=RequestMessage.Kind.TO_PERSON, body=reason, author=actor
    )
    services._audit(
        locked,
        AuditAction.LIMIT_LIFT_ANNOUNCED,
        actor,
        locked.state,
        now=now,
        details={"limits": [limit.pk for limit in in_force]},
    )
    services._notify(locked, NotificationSend.Kind.LIMIT_LIFT, message=message)
    return locked


def limit_lift_candidates(rights_request: RightsRequest, now: datetime) -> list[ProcessingLimit]:
    """The request's restrictions in force with no end set yet."""
    return list(
        ProcessingLimit.objects.filter(
            ProcessingLimit.active_q(now=now),
            subject_id=rights_request.subject_id,
            reference=rights_request.reference,
            kind=ProcessingLimit.Kind.RESTRICTION,
            ended_at__isnull=True,
        )
    )


def limit_lift_ends_on(*, notification: NotificationSend) -> date:
    """The day a restriction announced as lifted ends: RESTRICTION_LIFT_NOTICE_DAYS after the
    day its e-mail is sent (the attempt that sends it), the day the e-mail names."""
    sent = notification.last_attempt_at or timezone.now()
    return local_date(sent) + timedelta(days=settings.RESTRICTION_LIFT_NOTICE_DAYS)


@transaction.atomic
def limit_lift_apply(*, notification: NotificationSend) -> list[ProcessingLimit]:
    """The lifting's e-mail is sent (services.notification_send): the request's restrictions
    end on the day it named. A rerun ends nothing twice (an end set stays)."""
    rights_request = notification.rights_request
    ends_on = limit_lift_ends_on(notification=notification)
    if rights_request.subject_id is None:
        return []
    ending = processing_limits_end(
        subject=rights_request.subject,
        reference=rights_request.reference,
        ends_at=start_of_day(ends_on),
    )
    if ending:
        services._audit(
            rights_request,
            AuditAction.LIMIT_LIFT_ANNOUNCED,
            None,
            rights_request.state,
            now=timezone.now(),
            details={"limits": [limit.pk for limit in ending], "ends_on": ends_on.isoformat()},
        )
    return ending
