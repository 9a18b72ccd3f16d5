"""Dates of law: calendar months and the legal deadline (GDPR Art. 12(3), EDPB 01/2022)."""

import datetime as dt

import pytest

from velux_privacy.calendar import add_months, is_working_day, legal_deadline, local_date

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 3, 5), 1, D(2026, 4, 5)),
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2027, 12, 31), 2, D(2028, 2, 29)),  # leap year
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 5, 15), 0, D(2026, 5, 15)),
    ],
)
def test_add_months_keeps_the_day_number_or_takes_the_last_day_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("received_on", "months", "expected"),
    [
        # EDPB 01/2022 example 32: 5 March, due 5 April (2027: a Monday).
        (D(2027, 3, 5), 1, D(2027, 4, 5)),
        # Example 33: 31 August, due 30 September (2027: a Thursday).
        (D(2027, 8, 31), 1, D(2027, 9, 30)),
        # 31 January: the last day of February (2027: Sunday 28 → Monday 1 March).
        (D(2027, 1, 31), 1, D(2027, 3, 1)),
        # Leap year: 31 January 2028 → Tuesday 29 February 2028.
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        # Saturday 10 April 2027 → Monday 12 April.
        (D(2027, 3, 10), 1, D(2027, 4, 12)),
        # Sunday 11 April 2027 → Monday 12 April.
        (D(2027, 3, 11), 1, D(2027, 4, 12)),
        # Easter Monday 2027 is 29 March → Tuesday 30 March.
        (D(2027, 2, 28), 1, D(2027, 3, 30)),
        # National day, Wednesday 21 July 2027 → Thursday 22 July.
        (D(2027, 6, 21), 1, D(2027, 7, 22)),
        # Armistice, Thursday 11 November 2027 → Friday 12 November.
        (D(2027, 10, 11), 1, D(2027, 11, 12)),
        # Christmas, Friday 25 December 2026 → Monday 28 December (26, 27: weekend).
        (D(2026, 11, 25), 1, D(2026, 12, 28)),
        # Extended by two more months: three from receipt.
        (D(2027, 1, 15), 3, D(2027, 4, 15)),
    ],
)
def test_legal_deadline_follows_the_edpb_reading(received_on, months, expected):
    assert legal_deadline(received_on, months) == expected


def test_legal_deadline_adds_the_paused_days_before_moving_to_a_working_day():
    # 5 March 2027 + 1 month = Monday 5 April; 5 days paused → Saturday 10 April → Monday 12.
    assert legal_deadline(D(2027, 3, 5), 1, paused_days=5) == D(2027, 4, 12)


def test_legal_deadline_refuses_negative_months():
    with pytest.raises(ValueError, match="negative"):
        legal_deadline(D(2027, 3, 5), -1)


def test_a_receipt_late_on_the_last_day_of_a_month_in_utc_is_the_next_day_in_brussels():
    received_at = dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC)

    received_on = local_date(received_at)

    assert received_on == D(2027, 2, 1)
    assert legal_deadline(received_on) == D(2027, 3, 1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2027, 7, 21), False),
        (D(2027, 11, 1), False),  # All Saints
        (D(2027, 5, 6), False),  # Ascension 2027
        (D(2027, 7, 20), True),
        (D(2027, 7, 24), False),  # a Saturday
    ],
)
def test_working_days_skip_weekends_and_belgian_public_holidays(day, working):
    assert is_working_day(day) is working
