"""Hostile input to the cookie banner's choice endpoint: only true or false is a choice."""

import json

import pytest

from consent.models import ConsentEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["false", "no", 0, 1, None, [], {}])
def test_a_choice_that_is_not_true_or_false_is_refused_and_records_nothing(
    client, customer, subject, value
):
    """Defect: `bool("false")` is True, so a client posting the string "false" (or 1, "no")
    was recorded as having *given* analytics consent: a consent nobody gave."""
    client.force_login(customer)

    response = client.post(
        "/consent/banner/choice/",
        json.dumps({"choices": {"analytics_cookies": value}}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"code": "bad_choice"}
    assert not ConsentEvent.objects.filter(subject=subject).exists()


def test_true_and_false_are_still_choices(client, customer, subject):
    client.force_login(customer)

    response = client.post(
        "/consent/banner/choice/",
        json.dumps({"choices": {"analytics_cookies": True, "ad_networks": False}}),
        content_type="application/json",
    )

    assert response.json() == {"recorded": 2}
