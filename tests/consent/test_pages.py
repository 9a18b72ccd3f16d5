"""The consent page, receipts, the cookie banner's endpoints and Global Privacy Control."""

import json

import pytest
from django.test import Client

from consent.models import ConsentEvent, ConsentState, NewsletterSubscription
from consent.services import consent_give
from tests.staff import staff_second_factor
from tests.subjects.factories import DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db
WEB = ConsentEvent.Channel.WEB


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def test_the_consent_page_needs_a_login(client):
    response = client.get("/en/consent/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_shows_one_switch_per_consent_and_newsletter(signed_in):
    content = signed_in.get("/en/consent/").content.decode()

    for code in ("email_marketing", "phone_marketing", "analytics_cookies"):
        assert f'name="purpose-{code}"' in content
    for code in ("offers", "inspiration", "new_products"):
        assert f'name="newsletter-{code}"' in content
    assert "version 2021-05" in content


def test_a_login_without_a_subject_is_told_so(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get("/en/consent/")

    assert response.status_code == 200
    assert "not linked" in response.content.decode()


def test_saving_the_form_records_the_changes_at_once(signed_in, subject, customer):
    response = signed_in.post(
        "/en/consent/",
        {
            "purpose-email_marketing": "on",
            "newsletter-offers": "on",
            "purpose-analytics_cookies": "on",
        },
        follow=True,
    )

    assert "3 changes recorded. They take effect now." in response.content.decode()
    states = dict(
        ConsentState.objects.filter(subject=subject).values_list("purpose__code", "status")
    )
    assert states["email_marketing"] == states["analytics_cookies"] == "given"
    assert "phone_marketing" not in states  # left off, never given: nothing to record
    assert NewsletterSubscription.objects.filter(subject=subject, newsletter__code="offers")
    entry = ConsentEvent.objects.filter(subject=subject, purpose__code="analytics_cookies").get()
    assert (entry.channel, entry.actor, entry.evidence["form"]) == ("web", customer, "consent_page")
    assert "ip_hash" in entry.evidence


def test_switching_a_consent_off_withdraws_it(signed_in, subject):
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)

    signed_in.post("/en/consent/", {})

    assert subject.consent_states.get(purpose__code="phone_marketing").status == "withdrawn"


def test_saving_again_unchanged_records_nothing(signed_in, subject):
    signed_in.post("/en/consent/", {"purpose-email_marketing": "on"})
    entries = ConsentEvent.objects.count()

    response = signed_in.post("/en/consent/", {"purpose-email_marketing": "on"}, follow=True)

    assert ConsentEvent.objects.count() == entries
    assert "Nothing changed" in response.content.decode()


def test_the_history_links_each_receipt(signed_in, subject):
    entry = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    content = signed_in.get("/en/consent/").content.decode()

    assert f"/en/consent/receipts/{entry.receipt_id}.json" in content


def test_a_receipt_downloads_as_json(signed_in, subject):
    entry = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    response = signed_in.get(f"/en/consent/receipts/{entry.receipt_id}.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["consentReceiptID"] == str(entry.receipt_id)


def test_another_persons_receipt_is_404(signed_in):
    other = DataSubjectFactory()
    entry = consent_give(subject=other, purpose="email_marketing", channel=WEB)

    response = signed_in.get(f"/en/consent/receipts/{entry.receipt_id}.json")

    assert response.status_code == 404


# The cookie banner


def test_the_banner_config_names_categories_and_vendors(client):
    config = client.get("/consent/banner/config/?lang=fr").json()

    codes = [c["code"] for c in config["categories"]]
    assert codes == [
        "personalised_advertising",
        "ad_networks",
        "social_networks",
        "analytics_cookies",
        "chat_and_content",
    ]
    chat = config["categories"][-1]
    assert {v["name"] for v in chat["vendors"]} == {"SnapEngage", "Showpad"}
    assert config["language"] == "fr"
    assert config["recorded"] is None
    assert config["recordUrl"] is None
    assert len(config["version"]) == 12


def test_viewing_the_banner_settings_changes_nothing(client, customer, subject):
    client.force_login(customer)

    client.get("/consent/banner/config/?lang=en")

    assert not ConsentEvent.objects.exists()


def test_a_signed_in_persons_banner_choice_lands_in_the_ledger(client, customer, subject):
    client.force_login(customer)
    version = client.get("/consent/banner/config/?lang=en").json()["version"]

    response = client.post(
        "/consent/banner/choice/",
        json.dumps(
            {
                "choices": {"analytics_cookies": True, "personalised_advertising": False},
                "version": version,
                "language": "en",
            }
        ),
        content_type="application/json",
    )

    assert response.json() == {"recorded": 2}
    entry = ConsentEvent.objects.get(subject=subject, purpose__code="analytics_cookies")
    assert entry.channel == "cookie_banner"
    assert entry.evidence["banner_version"] == version
    assert entry.language == "en"
    config = client.get("/consent/banner/config/?lang=en").json()
    assert config["recorded"] == {"analytics_cookies": True, "personalised_advertising": False}


def test_the_banner_choice_needs_the_csrf_token(customer, subject):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post(
        "/consent/banner/choice/", json.dumps({"choices": {}}), content_type="application/json"
    )

    assert response.status_code == 403


def test_the_banner_config_allows_only_the_configured_sites(client, settings):
    settings.CONSENT_BANNER_ORIGINS = ["https://www.velux.be"]

    allowed = client.get("/consent/banner/config/", HTTP_ORIGIN="https://www.velux.be")
    other = client.get("/consent/banner/config/", HTTP_ORIGIN="https://evil.example")

    assert allowed["Access-Control-Allow-Origin"] == "https://www.velux.be"
    assert "Access-Control-Allow-Origin" not in other


# Global Privacy Control (SPECS.md §4)


def test_gpc_json_says_the_portal_honours_the_signal(client):
    response = client.get("/.well-known/gpc.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["gpc"] is True
    assert len(body["lastUpdate"]) == 10


@pytest.mark.parametrize(
    ("header", "honoured"),
    [
        ("1", True),
        ("0", False),
        ("true", False),
        ("yes", False),
        ("", False),
        ("1,0", True),
        ("0, 1", True),
        ("0,0", False),
        (" 1", True),
    ],
)
def test_only_the_value_1_is_the_signal(client, header, honoured):
    config = client.get("/consent/banner/config/", HTTP_SEC_GPC=header).json()

    locked = {c["code"] for c in config["categories"] if c["lockedByGpc"]}
    assert config["gpc"] is honoured
    expected = {"personalised_advertising", "ad_networks", "social_networks"} if honoured else set()
    assert locked == expected


def test_gpc_is_recorded_for_a_signed_in_person_and_wins_over_the_banner(client, customer, subject):
    consent_give(subject=subject, purpose="personalised_advertising", channel=WEB)
    consent_give(subject=subject, purpose="analytics_cookies", channel=WEB)
    client.force_login(customer)

    client.get("/en/", HTTP_SEC_GPC="1")
    client.post(
        "/consent/banner/choice/",
        json.dumps({"choices": {"personalised_advertising": True}}),
        content_type="application/json",
        HTTP_SEC_GPC="1",
    )

    states = dict(subject.consent_states.values_list("purpose__code", "status"))
    assert states["personalised_advertising"] == "withdrawn"
    assert states["analytics_cookies"] == "given"  # GPC is not a withdrawal of every cookie
    gpc = ConsentEvent.objects.get(subject=subject, channel="gpc")
    assert gpc.purpose.code == "personalised_advertising"


def test_the_demo_page_holds_inert_placeholders_only(client):
    content = client.get("/en/consent/demo/").content.decode()

    assert 'type="text/plain" data-consent-category="analytics_cookies"' in content
    assert '<script src="/static/consent/demo/' not in content


def test_the_privacy_centre_shows_the_policy_in_force(client):
    content = client.get("/fr/").content.decode()

    assert "Politique de confidentialité en vigueur : version 2021-05" in content


# The API


def test_the_api_lists_and_changes_the_persons_consents(signed_in, subject):
    response = signed_in.post(
        "/api/consent/me/",
        {"purposes": {"email_marketing": True}, "newsletters": {"offers": True}},
        content_type="application/json",
    )
    listed = signed_in.get("/api/consent/me/").json()

    assert response.json() == {"recorded": 2}
    email = next(row for row in listed if row["code"] == "email_marketing")
    assert (email["status"], email["counts"]) == ("given", True)
    assert {n["code"]: n["subscribed"] for n in email["newsletters"]}["offers"] is True
    assert ConsentEvent.objects.filter(subject=subject, channel="api").count() == 2


def test_the_api_refuses_an_unknown_consent_with_a_code(signed_in):
    response = signed_in.post(
        "/api/consent/me/", {"purposes": {"nope": True}}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_purpose"


def test_staff_systems_ask_whether_they_may_contact_a_person(client, staff, subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    client.force_login(staff)
    staff_second_factor(client, staff)
    url = f"/api/consent/subjects/{subject.pk}/contact-decision/"

    allowed = client.get(url, {"purpose": "email_marketing"}).json()
    newsletter = client.get(url, {"purpose": "email_marketing", "newsletter": "offers"}).json()

    assert allowed == {"allowed": True, "reason": "allowed", "message": allowed["message"]}
    assert newsletter["reason"] == "not_subscribed"


def test_a_customer_cannot_ask_about_another_person(signed_in):
    other = DataSubjectFactory()

    response = signed_in.get(
        f"/api/consent/subjects/{other.pk}/contact-decision/", {"purpose": "email_marketing"}
    )

    assert response.status_code == 403
