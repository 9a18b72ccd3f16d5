"""May VELUX contact this person for this purpose now, and consent receipts."""

import uuid
from datetime import UTC, datetime

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import ConsentEvent, Newsletter, PolicyVersion
from consent.selectors import ContactReason, consent_contact_decision, consent_receipt
from consent.services import (
    consent_give,
    consent_withdraw,
    do_not_call_import,
    newsletter_subscribe,
    policy_version_publish,
)
from subjects.models import ProcessingLimit
from tests.subjects.factories import ProcessingLimitFactory

pytestmark = pytest.mark.django_db
WEB = ConsentEvent.Channel.WEB


def _decide(subject, purpose, **kwargs):
    return consent_contact_decision(subject=subject, purpose=purpose, **kwargs)


def test_no_consent_no_contact(subject):
    decision = _decide(subject, "email_marketing")

    assert (decision.allowed, decision.reason) == (False, ContactReason.NO_CONSENT)


def test_a_given_consent_allows_contact(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    assert _decide(subject, "email_marketing").allowed is True


def test_a_withdrawn_consent_says_so(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB)

    assert _decide(subject, "email_marketing").reason == ContactReason.WITHDRAWN


@pytest.mark.parametrize(
    ("kind", "purpose", "reason"),
    [
        (ProcessingLimit.Kind.OBJECTION, "commercial_communication", ContactReason.OBJECTED),
        (ProcessingLimit.Kind.RESTRICTION, "", ContactReason.RESTRICTED),
    ],
)
def test_a_restriction_or_objection_stops_contact_whatever_the_consent(
    subject, kind, purpose, reason
):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    ProcessingLimitFactory(subject=subject, kind=kind, purpose=purpose)

    assert _decide(subject, "email_marketing").reason == reason


def test_an_objection_to_another_purpose_does_not_stop_marketing(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    ProcessingLimitFactory(subject=subject, purpose="business_development")

    assert _decide(subject, "email_marketing").allowed is True


def test_a_number_on_the_do_not_call_me_list_is_never_called(subject):
    subject.phone = "+32 470 12 34 56"
    subject.save()
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)
    assert _decide(subject, "phone_marketing").allowed is True

    do_not_call_import(lines=["0470/12.34.56"], mode="add")

    decision = _decide(subject, "phone_marketing")
    assert (decision.allowed, decision.reason) == (False, ContactReason.DO_NOT_CALL)
    assert _decide(subject, "email_marketing").reason == ContactReason.NO_CONSENT


def test_phone_marketing_needs_a_valid_number(subject):
    subject.phone = "not a number"
    subject.save()
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)

    assert _decide(subject, "phone_marketing").reason == ContactReason.NO_PHONE_NUMBER


def test_a_newsletter_needs_its_subscription(subject):
    offers = Newsletter.objects.get(code="offers")
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    assert _decide(subject, "email_marketing", newsletter=offers).reason == (
        ContactReason.NOT_SUBSCRIBED
    )

    newsletter_subscribe(subject=subject, newsletter=offers, channel=WEB)

    assert _decide(subject, "email_marketing", newsletter=offers).allowed is True


def _material_version(*purposes, number="2027-01"):
    version = PolicyVersion.objects.create(
        number=number,
        effective_on=datetime(2027, 1, 1, tzinfo=UTC).date(),
        summary="Nieuwe ontvangers voor marketing.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=True,
    )
    version.changed_purposes.set(purposes)
    return version


def test_after_a_material_change_old_consents_wait_for_an_answer(subject, staff):
    from consent.models import ConsentPurpose

    email = ConsentPurpose.objects.get(code="email_marketing")
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)
    subject.phone = "+32470123456"
    subject.save()

    policy_version_publish(policy_version=_material_version(email), actor=staff)

    assert _decide(subject, "email_marketing").reason == ContactReason.RECONSENT_PENDING
    assert _decide(subject, "phone_marketing").allowed is True
    answer = consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    assert answer.recorded is True
    assert answer.policy_version.number == "2027-01"
    assert _decide(subject, "email_marketing").allowed is True
    assert subject.reconsent_requests.get().answered_at is not None


def test_one_decision_takes_three_queries(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    offers = Newsletter.objects.select_related("purpose").get(code="offers")

    with CaptureQueriesContext(connection) as queries:
        _decide(subject, offers.purpose, newsletter=offers)

    # processing limits, the state with its re-consent check, the subscription
    assert len(queries) == 3


# Kantara Consent Receipt v1.1.0 (SPECS.md §2): the schema of its §4.8, as the checklist reads it.

NON_EMPTY = {"type": "string", "minLength": 1}
RECEIPT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
    ],
    "properties": {
        "version": {"const": "KI-CR-v1.1.0"},
        "jurisdiction": NON_EMPTY,
        "consentTimestamp": {"type": "integer", "minimum": 0, "maximum": 10**10},
        "collectionMethod": NON_EMPTY,
        "consentReceiptID": NON_EMPTY,
        "publicKey": {"type": "string"},
        "language": {"type": "string", "pattern": "^[a-z]{2}$"},
        "piiPrincipalId": NON_EMPTY,
        "piiControllers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["piiController", "contact", "address", "email", "phone"],
                "properties": {
                    "piiController": NON_EMPTY,
                    "onBehalf": {"type": "boolean"},
                    "contact": NON_EMPTY,
                    "address": {
                        "type": "object",
                        "properties": {
                            key: {"type": "string"}
                            for key in (
                                "streetAddress",
                                "addressCountry",
                                "addressLocality",
                                "addressRegion",
                                "postalCode",
                                "postOfficeBoxNumber",
                            )
                        },
                        "additionalProperties": False,
                    },
                    "email": NON_EMPTY,
                    "phone": {"type": "string", "pattern": "^tel:\\+[0-9-]+$"},
                    "piiControllerUrl": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
        "policyUrl": NON_EMPTY,
        "services": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["service", "purposes"],
                "properties": {
                    "service": NON_EMPTY,
                    "purposes": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": [
                                "purpose",
                                "purposeCategory",
                                "consentType",
                                "piiCategory",
                                "termination",
                                "thirdPartyDisclosure",
                            ],
                            "properties": {
                                "purpose": NON_EMPTY,
                                "purposeCategory": {"type": "array", "items": NON_EMPTY},
                                "consentType": NON_EMPTY,
                                "piiCategory": {"type": "array", "items": NON_EMPTY},
                                "primaryPurpose": {"type": "boolean"},
                                "termination": NON_EMPTY,
                                "thirdPartyDisclosure": {"type": "boolean"},
                                "thirdPartyName": NON_EMPTY,
                            },
                            "if": {"properties": {"thirdPartyDisclosure": {"const": True}}},
                            "then": {"required": ["thirdPartyName"]},
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
        "sensitive": {"type": "boolean"},
        "spiCat": {"type": "array", "items": NON_EMPTY},
    },
    "if": {"properties": {"sensitive": {"const": True}}},
    "then": {"properties": {"spiCat": {"minItems": 1}}},
    "additionalProperties": False,
}


def _validate(receipt):
    jsonschema.validate(receipt, RECEIPT_SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    "code", ["email_marketing", "personalised_advertising", "analytics_cookies"]
)
def test_each_entry_has_a_receipt_valid_against_the_kantara_schema(subject, code):
    entry = consent_give(
        subject=subject,
        purpose=code,
        channel=WEB,
        evidence={"language": "fr"},
        now=datetime(2026, 11, 13, 17, 0, 0, 400_000, tzinfo=UTC),
    )

    receipt = consent_receipt(entry=entry)

    _validate(receipt)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentTimestamp"] == 1794589200
    assert uuid.UUID(receipt["consentReceiptID"]).version == 4
    assert receipt["piiPrincipalId"] == "lotte@example.com"
    assert receipt["language"] == "fr"
    assert receipt["services"][0]["service"] == entry.purpose_version.name_fr


def test_a_withdrawal_has_its_receipt_too(subject):
    consent_give(subject=subject, purpose="social_networks", channel=WEB)
    entry = consent_withdraw(subject=subject, purpose="social_networks", channel="one_click")

    receipt = consent_receipt(entry=entry)

    _validate(receipt)
    assert receipt["collectionMethod"].startswith("withdrawal: ")
    assert receipt["services"][0]["purposes"][0]["thirdPartyName"] == "Social networks"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(version="KI-CR-v1.0.0"), "KI-CR-v1.1.0"),
        (lambda r: r.update(consentTimestamp=1794589200400), "maximum"),
        (lambda r: r["services"][0]["purposes"][0].pop("thirdPartyName"), "thirdPartyName"),
        (lambda r: r.update(sensitive=True), "non-empty|should be non-empty|too short"),
        (lambda r: r.update(policyURL=r.pop("policyUrl")), "policyUrl"),
    ],
)
def test_the_schema_rejects_the_traps_seen_in_the_wild(subject, change, message):
    consent_give(subject=subject, purpose="social_networks", channel=WEB)
    receipt = consent_receipt(entry=ConsentEvent.objects.get(subject=subject))
    change(receipt)

    with pytest.raises(jsonschema.ValidationError, match=message):
        _validate(receipt)


def test_an_old_receipt_keeps_the_policy_it_was_given_under(subject, staff):
    entry = consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    policy_version_publish(policy_version=_material_version(), actor=staff)

    assert consent_receipt(entry=entry)["policyUrl"] == "https://www.velux.be/nl-be/privacybeleid"
