"""Attack tests (attack10) that need a browser: what the person typed, or what VELUX holds
on them, is shown without breaking the 360-px phone layout, however long its words."""

import pytest
from allauth.account.models import EmailAddress

from dsr_requests import roles
from dsr_requests.services import rights_request_ask
from dsr_requests.workflow import Kind
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.e2e.test_request_forms import _no_horizontal_scroll, _setup, _sign_in  # noqa: F401
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LONG_WORD = "https://www.velux.be/nl-be/" + "dakraamzonweringsinstallatie" * 8


def test_long_unbroken_words_in_my_data_and_my_requests_fit_a_phone(live_server, browser_context):
    user = UserFactory(email="lotte.peeters@example.be", first_name="Lotte", last_name="Peeters")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject = DataSubjectFactory(email=user.email, user=user, first_name="Lotte")
    BrowsingEventFactory(subject=subject, path=LONG_WORD)
    asked = RightsRequestFactory(subject=subject, kind=Kind.RECTIFICATION, details=LONG_WORD)
    rights_request_ask(
        rights_request=asked,
        actor=staff_in(roles.DPO, email="dpo@velux.example"),
        reason="clarification",
        message=f"Bedoelt u {LONG_WORD}?",
    )
    page = browser_context("nl", 360)
    _sign_in(page, live_server, "nl")
    for path in ("/nl/my-data/", f"/nl/requests/{asked.reference}/", "/nl/requests/"):
        page.goto(live_server.url + path)
        assert page.get_by_text("dakraamzonwering", exact=False).count() or path == "/nl/requests/"
        _no_horizontal_scroll(page)


def test_a_long_address_and_name_fit_a_phone_on_every_signed_in_page(live_server, browser_context):
    email = "lotte." + "peeters" * 20 + "@example.be"
    user = UserFactory(email=email, first_name="Lotte" * 10, last_name="Peeters" * 10)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    subject = DataSubjectFactory(
        email=email, user=user, first_name="Lotte" * 10, street="Kerkstraat" * 12
    )
    asked = RightsRequestFactory(subject=subject, kind=Kind.ACCESS, details=LONG_WORD)
    page = browser_context("de", 360)
    page.goto(f"{live_server.url}/de/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("correct horse battery staple")
    page.locator("main form button[type=submit]").first.click()
    for path in (
        "/de/account/",
        "/de/my-data/",
        "/de/rights/rectification/",
        "/de/rights/erasure/",
        "/de/rights/access/",
        "/de/complaint/",
        "/de/requests/",
        f"/de/requests/{asked.reference}/",
        f"/de/requests/{asked.reference}/withdraw/",
    ):
        page.goto(live_server.url + path)
        assert "/accounts/login/" not in page.url
        _no_horizontal_scroll(page)
