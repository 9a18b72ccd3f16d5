"""An access request answered in a real browser: staff complete it, review the export (a row
that names someone else withheld with a reason) and release it; the person, signed in,
downloads the ZIP from the e-mailed link and opens its HTML summary."""

import contextlib
import re
import zipfile
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from dsr_requests import roles
from dsr_requests.models import RequestExport
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.e2e.conftest import staff_sign_in
from tests.staff import totp_enrol
from tests.subjects.factories import (
    BrowsingEventFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    OrderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"
EMAIL = "lotte.peeters@example.be"


def _shoot(page, name: str, *, full_page: bool = True, at=None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        if at is not None:
            at.scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"exports-{name}-{width}.png", full_page=full_page)
    page.set_viewport_size({"width": 1280, "height": 900})


def _serious_accessibility_problems(page, include: str = "#content") -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"include": [[include]]})
    return [
        f"{violation['id']}: {violation['help']} {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def dpo_with_totp(transactional_db):
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    return dpo, totp_enrol(dpo)


@pytest.fixture
def access_request(transactional_db):
    user = UserFactory(email=EMAIL, first_name="Lotte", last_name="Peeters")
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    subject = DataSubjectFactory(email=EMAIL, user=user, preferred_language="nl")
    OrderFactory(subject=subject, number="BE-00004711")
    ContactRequestFactory(
        subject=subject, message="Mijn buurman Jan Zwartberg wil ook een offerte."
    )
    BrowsingEventFactory.create_batch(30, subject=subject, path="/nl-be/dakramen")
    return RightsRequestFactory(
        subject=subject, kind=Kind.ACCESS, state=State.VERIFIED, language="nl"
    )


def test_staff_release_an_access_export_and_the_person_downloads_and_opens_it(
    live_server, browser_context, dpo_with_totp, access_request, tmp_path
):
    dpo, secret = dpo_with_totp
    page = browser_context("en", 1280)
    staff_sign_in(
        page,
        start_url=f"{live_server.url}/admin/dsr_requests/rightsrequest/{access_request.pk}/change/",
        email=dpo.email,
        password=PASSWORD,
        secret=secret,
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(access_request.reference)

    # Complete: the execution builds the export (eagerly here) and waits for the review.
    page.get_by_role("link", name="Complete").click()
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("h1 .request-state")).to_have_text("in progress")
    page.get_by_role("link", name="Review and release").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review the export")
    expect(page.get_by_role("heading", name="The export", exact=True)).to_be_visible()

    # Browsing history: 30 rows, a page at a time.
    page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name=re.compile("^Browsing history")
    ).click()
    expect(page.get_by_text("30 rows, page 1 of 2.")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text("30 rows, page 2 of 2.")).to_be_visible()

    # The contact request names a neighbour: withheld, with the reason the person gets.
    page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name=re.compile("^Contact requests")
    ).click()
    row = page.get_by_role("row").filter(has_text="Jan Zwartberg")
    row.get_by_role("link", name="Withhold…").click()
    page.get_by_role("button", name="Withhold the row").click()
    expect(page.get_by_role("alert")).to_be_visible()  # no reason: refused, said at the top
    page.get_by_label("Reason given to the person").fill("het noemt een andere persoon")
    page.get_by_role("button", name="Withhold the row").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The row is withheld")
    expect(page.get_by_role("row").filter(has_text="Jan Zwartberg")).to_contain_text("Withheld")
    _shoot(page, "review")
    assert _serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Release, 1 row withheld").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Released")
    expect(page.locator("h1 .request-state")).to_have_text("completed")
    export = RequestExport.objects.get(rights_request=access_request)
    assert (export.builds, export.withheld) == (2, 1)

    # The person: signed in, follows the link of the e-mail and downloads the ZIP.
    [email] = [m for m in mail.outbox if m.to == [EMAIL]]
    assert "het noemt een andere persoon" in email.body
    link = re.search(r"https?://\S+/nl/requests/export/\S+/", email.body).group(0)
    link = live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1]
    person = browser_context("nl", 1280)
    person.goto(f"{live_server.url}/nl/accounts/login/")
    person.get_by_label("E-mailadres").fill(EMAIL)
    person.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    person.locator("main form").first.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(person).not_to_have_url(re.compile("accounts/login"))
    # A navigation that ends in a download is "aborted" for the page.
    with person.expect_download() as download_info, contextlib.suppress(PlaywrightError):
        person.goto(link)
    download = download_info.value
    assert download.suggested_filename == f"{access_request.reference}.zip"
    saved = tmp_path / "export.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        archive.extractall(tmp_path / "export")
        assert "data/orders.csv" in archive.namelist()

    # Its summary, opened in the browser: the Art. 15 information in Dutch.
    person.goto((tmp_path / "export" / "index.html").as_uri())
    expect(person.get_by_role("heading", level=1)).to_have_text(
        "Uw persoonsgegevens bij VELUX Belgium"
    )
    expect(person.get_by_role("heading", name="Wat we bewaren, voor welk doel")).to_be_visible()
    expect(person.get_by_role("heading", name="Uw recht om klacht in te dienen")).to_be_visible()
    expect(person.get_by_text("het noemt een andere persoon")).to_be_visible()
    _shoot(person, "summary", full_page=False)
    _shoot(
        person,
        "summary-withheld",
        full_page=False,
        at=person.get_by_text("het noemt een andere persoon"),
    )
    assert _serious_accessibility_problems(person, "body") == []
