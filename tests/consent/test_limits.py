"""A restriction or objection of the signed-in person keeps the cookie banner's categories of
the policy purposes it covers off and locked (GDPR Art. 18, 21), whatever the consent says."""

import json

import pytest

from consent.models import ConsentEvent, ConsentState
from consent.services import consent_give
from subjects.models import ProcessingLimit, PurposeCode
from tests.subjects.factories import ProcessingLimitFactory

pytestmark = pytest.mark.django_db


def _config(client):
    config = client.get("/consent/banner/config/?lang=en").json()
    return config, {c["code"]: c for c in config["categories"]}


def test_an_objection_to_business_development_locks_analytics_and_chat_off(
    client, customer, subject
):
    consent_give(subject=subject, purpose="analytics_cookies", channel="web")
    ProcessingLimitFactory(
        subject=subject,
        kind=ProcessingLimit.Kind.OBJECTION,
        purpose=PurposeCode.BUSINESS_DEVELOPMENT,
    )
    client.force_login(customer)

    config, categories = _config(client)

    assert config["recorded"]["analytics_cookies"] is False
    assert categories["analytics_cookies"]["lockedByLimit"] is True
    assert categories["chat_and_content"]["lockedByLimit"] is True
    assert categories["personalised_advertising"]["lockedByLimit"] is False
    assert config["texts"]["limitLocked"]


def test_a_restriction_of_every_purpose_locks_every_category(client, customer, subject):
    ProcessingLimitFactory(subject=subject, kind=ProcessingLimit.Kind.RESTRICTION, purpose="")
    client.force_login(customer)

    _, categories = _config(client)

    assert all(category["lockedByLimit"] for category in categories.values())


def test_nobody_signed_in_sees_no_limit(client, subject):
    ProcessingLimitFactory(subject=subject, kind=ProcessingLimit.Kind.RESTRICTION, purpose="")

    _, categories = _config(client)

    assert not any(category["lockedByLimit"] for category in categories.values())


def test_the_banner_records_a_locked_category_as_refused(client, customer, subject):
    ProcessingLimitFactory(
        subject=subject,
        kind=ProcessingLimit.Kind.OBJECTION,
        purpose=PurposeCode.BUSINESS_DEVELOPMENT,
    )
    client.force_login(customer)

    response = client.post(
        "/consent/banner/choice/",
        json.dumps({"choices": {"analytics_cookies": True, "personalised_advertising": True}}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert not ConsentState.objects.filter(
        subject=subject, purpose__code="analytics_cookies", status=ConsentState.Status.GIVEN
    ).exists()
    assert ConsentEvent.objects.filter(
        subject=subject, purpose__code="personalised_advertising", action="given"
    ).exists()


def test_the_re_consent_e_mail_skips_a_person_who_objected_to_marketing(
    subject, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    from consent.models import PolicyVersion, ReconsentRequest
    from consent.services import policy_version_publish

    consent_give(subject=subject, purpose="email_marketing", channel="web")
    ProcessingLimitFactory(
        subject=subject,
        kind=ProcessingLimit.Kind.OBJECTION,
        purpose=PurposeCode.COMMERCIAL_COMMUNICATION,
    )
    draft = PolicyVersion.objects.create(
        number="2027-01",
        effective_on="2027-01-01",
        summary="New recipients.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=True,
    )

    with django_capture_on_commit_callbacks(execute=True):
        policy_version_publish(policy_version=draft, actor=staff)

    assert ReconsentRequest.objects.filter(subject=subject, emailed_at__isnull=True).exists()
    assert mail.outbox == []
