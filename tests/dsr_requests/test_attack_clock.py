"""An outside review of the legal clock (issue 8, EDPB 01/2022 §159–161): each test showed a
defect of the landed code, and stays as its regression test."""

import datetime as dt

import pytest

from dsr_requests import services
from dsr_requests.models import RequestPause, RightsRequest
from dsr_requests.selectors import dashboard_figures
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
