"""Policy §9: after a material change the person is asked again at their next visit, on the
page they land on, not only if they happen to open the consent page."""

import pytest

from consent.models import PolicyVersion
from consent.services import consent_give, policy_version_publish

pytestmark = pytest.mark.django_db
NOTICE = "our privacy policy has changed in a way that concerns your consents"


@pytest.fixture
def asked_again(subject, staff):
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    draft = PolicyVersion.objects.create(
        number="2027-01",
        effective_on="2027-01-01",
        summary="New recipients.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=True,
    )
    policy_version_publish(policy_version=draft, actor=staff)


def test_the_next_visit_to_any_page_asks_again(client, customer, subject, asked_again):
    """Defect: the request to confirm showed only on /consent/; a person landing on the home
    page or the privacy centre was never asked, and their consent silently stopped counting."""
    client.force_login(customer)

    page = client.get("/en/").content.decode()

    assert NOTICE in page
    assert 'href="/en/consent/"' in page


def test_once_answered_the_notice_is_gone(client, customer, subject, asked_again):
    client.force_login(customer)
    client.post("/en/consent/", {"purpose-email_marketing": "on"})

    page = client.get("/en/").content.decode()

    assert NOTICE not in page


def test_nobody_else_is_asked(client, subject, asked_again):
    assert NOTICE not in client.get("/en/").content.decode()
