"""The legal clock of a request (GDPR Art. 12(3), EDPB 01/2022 §158–164): due dates from the
Brussels date of receipt, working days, pauses and extensions, as the services store them."""

import datetime as dt

import pytest

from dsr_requests.exceptions import ExtensionRefused
from dsr_requests.models import RequestPause, due_on_compute, reference_normalise
from dsr_requests.services import rights_request_ask, rights_request_extend, rights_request_resume

pytestmark = pytest.mark.django_db

D = dt.date
BRUSSELS = dt.timezone(dt.timedelta(hours=1))  # CET, for receipts in winter


def _at(day: D, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        pytest.param(D(2027, 1, 31), D(2027, 3, 1), id="31-january-last-of-february-a-sunday"),
        pytest.param(D(2028, 1, 31), D(2028, 2, 29), id="leap-year"),
        pytest.param(D(2027, 8, 31), D(2027, 9, 30), id="31-august"),
        pytest.param(D(2027, 3, 10), D(2027, 4, 12), id="due-on-a-saturday"),
        pytest.param(D(2027, 3, 11), D(2027, 4, 12), id="due-on-a-sunday"),
        pytest.param(D(2027, 2, 28), D(2027, 3, 30), id="easter-monday"),
        pytest.param(D(2027, 6, 21), D(2027, 7, 22), id="21-july"),
        pytest.param(D(2027, 10, 11), D(2027, 11, 12), id="11-november"),
        pytest.param(D(2026, 11, 25), D(2026, 12, 28), id="christmas-and-a-weekend"),
        pytest.param(D(2027, 3, 5), D(2027, 4, 5), id="edpb-example-32"),
    ],
)
def test_a_request_is_due_one_month_after_its_receipt_on_a_working_day(
    received, received_on, due_on
):
    rights_request = received(_at(received_on))

    assert rights_request.received_on == received_on
    assert rights_request.due_on == due_on


def test_a_receipt_late_in_the_evening_utc_is_already_the_next_day_in_brussels(received):
    # 23:30 UTC on 30 April is 01:30 on 1 May in Brussels (CEST): due 1 June, a Tuesday.
    # Counted from the UTC date it would be 30 May, a Sunday, moved to Monday 31 May.
    late = dt.datetime(2027, 4, 30, 23, 30, tzinfo=dt.UTC)

    rights_request = received(late)

    assert rights_request.received_on == D(2027, 5, 1)
    assert rights_request.due_on == D(2027, 6, 1)


def test_a_letter_entered_days_later_counts_from_the_day_it_reached_velux(received):
    reached = _at(D(2027, 3, 1))

    rights_request = received(reached, now=reached + dt.timedelta(days=6))

    assert rights_request.received_on == D(2027, 3, 1)
    assert rights_request.recorded_at.date() == D(2027, 3, 7)
    assert rights_request.due_on == D(2027, 4, 1)


def test_the_days_the_person_took_to_answer_are_added_to_the_month(received, dpo):
    rights_request = received(_at(D(2027, 3, 1)))

    asked = rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke gegevens van welke periode wenst u te ontvangen?",
        now=_at(D(2027, 3, 5)),
    )
    answered = rights_request_resume(
        rights_request=asked, actor=dpo, message="Alles sinds 2020.", now=_at(D(2027, 3, 12))
    )

    # 1 April + 7 days paused: Thursday 8 April.
    assert answered.due_on == D(2027, 4, 8)
    assert answered.pauses.get().days == 7


def test_a_question_asked_and_answered_the_same_day_pauses_nothing(received, dpo):
    rights_request = received(_at(D(2027, 3, 1)))
    asked = rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke periode bedoelt u precies?",
        now=_at(D(2027, 3, 5), 9),
    )

    answered = rights_request_resume(rights_request=asked, actor=dpo, now=_at(D(2027, 3, 5), 16))

    assert answered.due_on == D(2027, 4, 1)


@pytest.mark.parametrize(("months", "due_on"), [(1, D(2027, 3, 15)), (2, D(2027, 4, 15))])
def test_an_extension_counts_from_the_original_receipt(received, dpo, months, due_on):
    rights_request = received(_at(D(2027, 1, 15)))

    extended = rights_request_extend(
        rights_request=rights_request,
        actor=dpo,
        months=months,
        reason="Veel systemen te doorzoeken.",
        now=_at(D(2027, 2, 1)),
    )

    assert extended.due_on == due_on
    assert extended.extension_months == months


def test_an_extension_adds_to_the_days_paused(received, dpo):
    rights_request = received(_at(D(2027, 1, 15)))
    asked = rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.IDENTITY,
        message="Bevestig uw adres, zoals het bij ons bekend is.",
        now=_at(D(2027, 1, 20)),
    )
    answered = rights_request_resume(rights_request=asked, actor=dpo, now=_at(D(2027, 1, 23)))

    extended = rights_request_extend(
        rights_request=answered, actor=dpo, months=2, reason="Complex.", now=_at(D(2027, 2, 1))
    )

    # 15 April + 3 days paused: Sunday 18 April, moved to Monday 19 April.
    assert extended.due_on == D(2027, 4, 19)


def test_an_extension_is_possible_on_the_last_day_of_the_first_month(received, dpo):
    rights_request = received(_at(D(2027, 1, 15)))

    extended = rights_request_extend(
        rights_request=rights_request,
        actor=dpo,
        months=1,
        reason="Complex.",
        now=dt.datetime(2027, 2, 15, 22, 0, tzinfo=BRUSSELS),
    )

    assert extended.due_on == D(2027, 3, 15)


def test_an_extension_after_the_first_month_is_refused(received, dpo):
    rights_request = received(_at(D(2027, 1, 15)))

    with pytest.raises(ExtensionRefused) as refused:
        rights_request_extend(
            rights_request=rights_request,
            actor=dpo,
            months=1,
            reason="Te laat beslist.",
            now=dt.datetime(2027, 2, 16, 0, 30, tzinfo=BRUSSELS),
        )

    assert refused.value.code == "first_month_ended"
    rights_request.refresh_from_db()
    assert rights_request.due_on == D(2027, 2, 15)
    assert rights_request.extension_months == 0


@pytest.mark.parametrize(("already", "more"), [(2, 1), (1, 2), (0, 3)])
def test_no_more_than_two_months_of_extension_in_all(received, dpo, already, more):
    rights_request = received(_at(D(2027, 1, 15)))
    now = _at(D(2027, 1, 20))
    if already:
        rights_request = rights_request_extend(
            rights_request=rights_request, actor=dpo, months=already, reason="Complex.", now=now
        )

    with pytest.raises(ExtensionRefused) as refused:
        rights_request_extend(
            rights_request=rights_request, actor=dpo, months=more, reason="Complex.", now=now
        )

    assert refused.value.code == "extension_too_long"
    rights_request.refresh_from_db()
    assert rights_request.extension_months == already


def test_an_extension_needs_a_reason(received, dpo):
    rights_request = received(_at(D(2027, 1, 15)))

    with pytest.raises(ExtensionRefused) as refused:
        rights_request_extend(
            rights_request=rights_request, actor=dpo, months=1, reason="  ", now=_at(D(2027, 1, 20))
        )

    assert refused.value.code == "reason_required"


def test_an_open_pause_counts_until_today():
    due = due_on_compute(
        received_on=D(2027, 3, 1),
        pauses=[(D(2027, 3, 5), None)],
        extension_months=0,
        today=D(2027, 3, 9),
    )

    assert due == D(2027, 4, 5)  # 1 April + 4 days: Monday 5 April


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("VP-2026-K7Q4M9", "VP-2026-K7Q4M9"),
        ("vp 2026 k7q4m9", "VP-2026-K7Q4M9"),
        ("VP2026K7Q4MO", "VP-2026-K7Q4M0"),
        ("vp-2026-1ilo00", "VP-2026-111000"),
    ],
)
def test_a_reference_is_read_as_people_type_it(typed, stored):
    assert reference_normalise(typed) == stored
