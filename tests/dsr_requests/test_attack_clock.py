"""An outside review of the legal clock (issue 8, EDPB 01/2022 §159–161): each test showed a
defect of the landed code, and stays as its regression test."""

import datetime as dt

import pytest

from dsr_requests import services
from dsr_requests.exceptions import TransitionRefused
from dsr_requests.models import RequestPause, RightsRequest
from dsr_requests.selectors import dashboard_figures
from tests.staff import staff_client_for
from velux_privacy.calendar import legal_deadline

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
ASKED = RECEIVED + dt.timedelta(days=1)  # 2 March
CLOSED = dt.datetime(2027, 4, 15, 9, 0, tzinfo=dt.UTC)  # 44 days paused
Ground = RightsRequest.RejectionGround


def _asked(received, dpo):
    rights_request = received(RECEIVED)
    return services.rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke gegevens bedoelt u precies?",
        now=ASKED,
    )


@pytest.mark.parametrize(
    "close",
    [
        lambda r, dpo: services.rights_request_reject(
            rights_request=r, actor=dpo, ground=Ground.IDENTITY_NOT_ESTABLISHED, now=CLOSED
        ),
        lambda r, dpo: services.rights_request_withdraw(rights_request=r, actor=dpo, now=CLOSED),
    ],
    ids=["rejected", "withdrawn"],
)
def test_a_request_closed_while_paused_keeps_the_pause_in_its_due_date(
    received, dpo, time_machine, close
):
    """Asked on 2 March, no answer, rejected (identity not established) on 15 April: the
    clock stood still for 44 days, so the answer was due 1 April + 44 days. Closing a paused
    request ends its pause but left `due_on` as computed when the pause began (1 April): the
    request kept as the proof that it was handled reads as answered late, and the DPO's
    annual figures count it late."""
    time_machine.move_to(CLOSED, tick=False)
    closed = close(_asked(received, dpo), dpo)

    closed.refresh_from_db()
    assert closed.due_on == legal_deadline(closed.received_on, paused_days=44)
    assert closed.due_on == dt.date(2027, 5, 18)  # 15 May a Saturday, 17 May Whit Monday


def test_a_rejection_after_a_long_pause_counts_as_on_time_in_the_figures(
    received, dpo, time_machine
):
    time_machine.move_to(CLOSED, tick=False)
    services.rights_request_reject(
        rights_request=_asked(received, dpo),
        actor=dpo,
        ground=Ground.IDENTITY_NOT_ESTABLISHED,
        now=CLOSED,
    )

    figures = dashboard_figures(viewer=dpo, today=CLOSED.date())
    april = next(m for m in figures.months if m.month == dt.date(2027, 4, 1))
    assert (april.on_time, april.late) == (1, 0)


def test_a_question_asked_after_the_deadline_suspends_nothing(received, dpo, time_machine):
    """Received 1 March, due 1 April, nothing done; on 10 April (late) staff ask the person
    something, the answer comes on 30 April. The 20 days were added to the clock as if it
    had been stopped in time: the due date moved to 21 April, the request left the overdue
    list while waiting, and an answer on 20 April counted as on time. EDPB §159 suspends the
    clock only for information asked without undue delay, not once the time limit ran out."""
    late = dt.datetime(2027, 4, 10, 9, 0, tzinfo=dt.UTC)
    answered = dt.datetime(2027, 4, 30, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(late, tick=False)
    rights_request = received(RECEIVED)
    assert rights_request.due_on == dt.date(2027, 4, 1)

    asked = services.rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke gegevens bedoelt u precies?",
        now=late,
    )
    time_machine.move_to(answered, tick=False)
    resumed = services.rights_request_resume(rights_request=asked, actor=dpo, now=answered)

    assert resumed.due_on == dt.date(2027, 4, 1)
    assert RightsRequest.objects.overdue(answered.date()).filter(pk=resumed.pk).exists()


def test_a_question_asked_on_the_last_day_still_pauses_the_clock(received, dpo, time_machine):
    """The boundary: asked on the due date itself, while the clock still runs."""
    last_day = dt.datetime(2027, 4, 1, 9, 0, tzinfo=dt.UTC)
    answered = dt.datetime(2027, 4, 6, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(last_day, tick=False)
    asked = services.rights_request_ask(
        rights_request=received(RECEIVED),
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke gegevens bedoelt u precies?",
        now=last_day,
    )
    time_machine.move_to(answered, tick=False)
    resumed = services.rights_request_resume(rights_request=asked, actor=dpo, now=answered)

    assert resumed.due_on == legal_deadline(dt.date(2027, 3, 1), paused_days=5)


def test_a_complaint_is_answered_within_one_month_without_extension(received, dpo):
    """Policy §10: questions and complaints are answered "at the latest within one month";
    only rights requests may be extended by two months (Art. 12(3)). The extension step was
    offered, and accepted, on complaints too."""
    complaint = received(RECEIVED, kind=RightsRequest.Kind.COMPLAINT)

    with pytest.raises(TransitionRefused):
        services.rights_request_extend(
            rights_request=complaint, actor=dpo, months=2, reason="Veel werk.", now=ASKED
        )

    complaint.refresh_from_db()
    assert (complaint.extension_months, complaint.due_on) == (0, dt.date(2027, 4, 1))
    page = staff_client_for(dpo).get(f"/admin/dsr_requests/rightsrequest/{complaint.pk}/change/")
    assert b"Extend the deadline" not in page.content


def test_a_rights_request_may_still_be_extended(received, dpo):
    extended = services.rights_request_extend(
        rights_request=received(RECEIVED), actor=dpo, months=2, reason="Veel werk.", now=ASKED
    )

    assert extended.due_on == legal_deadline(dt.date(2027, 3, 1), 3)


@pytest.mark.parametrize(
    ("asked_on", "overdue"),
    [(dt.date(2027, 4, 10), True), (dt.date(2027, 4, 1), False)],
    ids=["asked-after-the-deadline", "asked-on-the-last-day"],
)
def test_a_request_paused_after_its_deadline_stays_on_the_overdue_list(
    received, dpo, time_machine, asked_on, overdue
):
    """The overdue list left out every paused request: one whose question went out after the
    deadline disappeared from it while waiting, though its pause suspends nothing."""
    asked = dt.datetime.combine(asked_on, dt.time(9), tzinfo=dt.UTC)
    time_machine.move_to(asked, tick=False)
    services.rights_request_ask(
        rights_request=received(RECEIVED),
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke gegevens bedoelt u precies?",
        now=asked,
    )
    today = dt.date(2027, 4, 20)
    time_machine.move_to(dt.datetime(2027, 4, 20, 9, tzinfo=dt.UTC), tick=False)

    assert RightsRequest.objects.overdue(today).exists() is overdue
    assert dashboard_figures(viewer=dpo, today=today).overdue == int(overdue)
    page = staff_client_for(dpo).get("/admin/dsr_requests/rightsrequest/?due=overdue")
    assert (b"request-reference" in page.content) is overdue
