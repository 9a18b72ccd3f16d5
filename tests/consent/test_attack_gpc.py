"""Global Privacy Control is honoured on every request, not once per session."""

import pytest

from consent.models import ConsentEvent, ConsentState
from consent.services import consent_give

pytestmark = pytest.mark.django_db


def _status(subject):
    return ConsentState.objects.get(
        subject=subject, purpose__code="personalised_advertising"
    ).status


def test_a_consent_given_again_elsewhere_is_withdrawn_at_the_next_gpc_request(
    client, customer, subject
):
    """Defect: the middleware applied the signal once per session. A consent given again
    meanwhile (on another device, through the API) stayed given while this browser kept
    sending `Sec-GPC: 1`, and marketing used it."""
    consent_give(subject=subject, purpose="personalised_advertising", channel="web")
    client.force_login(customer)
    client.get("/en/", HTTP_SEC_GPC="1")
    assert _status(subject) == "withdrawn"

    consent_give(subject=subject, purpose="personalised_advertising", channel="api", actor=customer)
    client.get("/en/", HTTP_SEC_GPC="1")

    assert _status(subject) == "withdrawn"
    assert ConsentEvent.objects.filter(subject=subject, channel="gpc").count() == 2


def test_a_gpc_request_with_nothing_to_withdraw_records_nothing(client, customer, subject):
    consent_give(subject=subject, purpose="analytics_cookies", channel="web")
    client.force_login(customer)

    client.get("/en/", HTTP_SEC_GPC="1")
    client.get("/en/", HTTP_SEC_GPC="1")

    assert not ConsentEvent.objects.filter(subject=subject, channel="gpc").exists()
