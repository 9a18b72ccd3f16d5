"""A visitor and a member of staff use the portal in a real browser."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from tests.e2e.conftest import staff_sign_in
from tests.staff import totp_enrol
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    OrderFactory,
    UserFactory,
)

# serialized_rollback: the purpose register comes from a data migration and must survive the
# flush that live_server's transactional tests do.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_visitor_switches_the_privacy_centre_to_french(live_server, page):
    page.goto(f"{live_server.url}/en/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your personal data at VELUX Belgium")

    page.get_by_role("button", name="Français").click()

    expect(page).to_have_url(re.compile(r"/fr/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vos données")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.csp_violations == []


def test_staff_see_everything_held_on_a_person_grouped_by_purpose(live_server, page):
    staff = UserFactory(email="staff@velux.example", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    subject = DataSubjectFactory(email="lotte@example.com")
    OrderFactory(subject=subject, number="BE-00004711")
    BrowsingEventFactory.create_batch(3, subject=subject, path="/nl-be/dakramen")

    secret = totp_enrol(staff)

    page.goto(f"{live_server.url}/admin/subjects/datasubject/{subject.pk}/change/")
    # The admin sends staff to the portal's sign-in page (password, then the code of their
    # second factor), and back after it.
    expect(page).to_have_url(re.compile(r"/en/accounts/login/\?next="))
    staff_sign_in(
        page,
        start_url=page.url,
        email="staff@velux.example",
        password="correct horse battery staple",
        secret=secret,
    )

    expect(page.get_by_text("§2.3", exact=False).first).to_be_visible()
    expect(page.get_by_role("cell", name="BE-00004711")).to_be_visible()
    expect(page.get_by_role("cell", name="/nl-be/dakramen").first).to_be_visible()
    assert page.csp_violations == []
