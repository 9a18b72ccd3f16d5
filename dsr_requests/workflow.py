"""The state machine of a rights request: the one place that says which step is legal when.

DESIGN.md: `received → verified → in progress → completed | rejected | withdrawn`, with
`awaiting the person` as a pause of the clock. A request filed on the web without an account
waits `unconfirmed` until it is confirmed from the address it concerns; a duplicate merged into
the request it repeats ends `merged`.

Each `Action` is one service in `dsr_requests.services`; it asks `action_allowed` first and
raises `TransitionRefused` (code "transition_not_allowed") otherwise. The admin offers a
button only for what `actions_available` returns. Imports nothing of the project but the
models' choices, so every layer may read it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The rights of policy §5 (GDPR Art. 15–21) and complaints (§10)."""

    ACCESS = "access", _("access")
    RECTIFICATION = "rectification", _("rectification")
    ERASURE = "erasure", _("erasure")
    RESTRICTION = "restriction", _("restriction of processing")
    OBJECTION = "objection", _("objection")
    PORTABILITY = "portability", _("portability")
    COMPLAINT = "complaint", _("complaint")


# Kinds whose answer is work on the data (an export, an erasure, a correction…): "complete"
# starts that execution (state in progress), which reports back when done. A complaint is
# answered by the reply itself.
EXECUTED_KINDS = frozenset(
    {
        Kind.ACCESS,
        Kind.RECTIFICATION,
        Kind.ERASURE,
        Kind.RESTRICTION,
        Kind.OBJECTION,
        Kind.PORTABILITY,
    }
)
# While one of these is open the person's data is held as it was at receipt (EDPB 01/2022
# §2.3.3): nothing is erased (dsr_requests/privacy.py).
HOLDING_KINDS = frozenset({Kind.ACCESS, Kind.PORTABILITY})


class State(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("not yet confirmed")
    RECEIVED = "received", _("received")
    AWAITING_SUBJECT = "awaiting_subject", _("awaiting the person")
    VERIFIED = "verified", _("identity verified")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    MERGED = "merged", _("merged into another request")


# A request staff must answer: confirmed, not closed. Unconfirmed web submissions are not yet
# requests (nobody has shown the address is theirs) and never count as open.
OPEN_STATES = frozenset({State.RECEIVED, State.AWAITING_SUBJECT, State.VERIFIED, State.IN_PROGRESS})
CLOSED_STATES = frozenset({State.COMPLETED, State.REJECTED, State.WITHDRAWN, State.MERGED})
# The answers that count for the legal deadline (GDPR Art. 12(3)): a completion or a refusal.
ANSWERED_STATES = frozenset({State.COMPLETED, State.REJECTED})


class Action(enum.StrEnum):
    CONFIRM = "confirm"  # the person confirmed from the address (web or staff intake)
    VERIFY = "verify"  # staff checked the identity by another method
    ASK = "ask"  # ask the person for identity proof or clarification: pauses the clock
    RESUME = "resume"  # the person answered: the clock runs again
    EXTEND = "extend"
    ASSIGN = "assign"
    NOTE = "note"
    ATTACH = "attach"
    START = "start"  # "complete": starts the execution of what was asked
    COMPLETE = "complete"  # the answer is given (execution done, or a complaint answered)
    REJECT = "reject"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    RESEND = "resend"  # send again an e-mail that failed


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    # The state after it; None: the state does not change (or, for RESUME, goes back to the
    # state the pause interrupted).
    target: str | None


_ANSWERABLE = OPEN_STATES
TRANSITIONS: dict[Action, Transition] = {
    Action.CONFIRM: Transition(
        frozenset({State.UNCONFIRMED, State.RECEIVED, State.AWAITING_SUBJECT}), State.VERIFIED
    ),
    Action.VERIFY: Transition(frozenset({State.RECEIVED, State.AWAITING_SUBJECT}), State.VERIFIED),
    Action.ASK: Transition(
        frozenset({State.RECEIVED, State.VERIFIED, State.IN_PROGRESS}), State.AWAITING_SUBJECT
    ),
    Action.RESUME: Transition(frozenset({State.AWAITING_SUBJECT}), None),
    Action.EXTEND: Transition(_ANSWERABLE, None),
    Action.ASSIGN: Transition(_ANSWERABLE, None),
    Action.NOTE: Transition(OPEN_STATES | CLOSED_STATES, None),
    Action.ATTACH: Transition(_ANSWERABLE, None),
    Action.START: Transition(frozenset({State.VERIFIED}), State.IN_PROGRESS),
    Action.COMPLETE: Transition(frozenset({State.VERIFIED, State.IN_PROGRESS}), State.COMPLETED),
    Action.REJECT: Transition(_ANSWERABLE, State.REJECTED),
    Action.WITHDRAW: Transition(_ANSWERABLE, State.WITHDRAWN),
    Action.MERGE: Transition(
        frozenset({State.RECEIVED, State.AWAITING_SUBJECT, State.VERIFIED}), State.MERGED
    ),
    Action.RESEND: Transition(OPEN_STATES | CLOSED_STATES, None),
}


def action_allowed(
    action: Action, state: str, kind: str, *, identity_verified: bool = False
) -> bool:
    """Whether `action` may be taken on a request of `kind` in `state`. A complaint's month is
    never extended. "Complete" on a verified request starts the execution (START) for the
    kinds that have one, and answers at once (COMPLETE) the others. An identity is verified
    once: a request waiting for a clarification after that is not verified again."""
    if state not in TRANSITIONS[action].sources:
        return False
    if action in (Action.VERIFY, Action.CONFIRM) and identity_verified:
        return False
    if action == Action.EXTEND:
        # GDPR Art. 12(3) extends the answer to a rights request; a complaint is answered
        # within one month, at the latest (policy §10).
        return kind != Kind.COMPLAINT
    if action == Action.START:
        return kind in EXECUTED_KINDS
    if action == Action.COMPLETE and state == State.VERIFIED:
        return kind not in EXECUTED_KINDS
    return True


def request_allows(rights_request, action: Action) -> bool:
    """`action_allowed` for a request (anything with a state, a kind and
    identity_verified_at)."""
    return action_allowed(
        action,
        rights_request.state,
        rights_request.kind,
        identity_verified=rights_request.identity_verified_at is not None,
    )


def actions_available(state: str, kind: str, *, identity_verified: bool = False) -> list[Action]:
    """The actions the state allows, in the order the request page offers them."""
    return [
        action
        for action in Action
        if action_allowed(action, state, kind, identity_verified=identity_verified)
    ]
