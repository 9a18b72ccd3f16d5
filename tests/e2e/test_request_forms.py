"""People file and follow requests in a real browser: in Dutch without an account (file,
confirm by the e-mailed link, see it in "my requests"); in French with a new account (sign
up, verify, my data, an erasure request showing what is kept and why, withdrawn); in German a
complaint without a name refused at the top and at the field with nothing lost. axe-core on
every page (no serious or critical finding), no horizontal scroll at 360 px, screenshots of
each new page at 360 and 1280 px under var/screenshots/ (git-ignored)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from dsr_requests import roles
from dsr_requests.models import RightsRequest
from dsr_requests.services import rights_request_ask
from dsr_requests.workflow import Kind, State
from subjects.models import Order
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.subjects.factories import DataSubjectFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


def tr(language: str, text: str) -> str:
    """`text` as the page shows it in `language` (the project's catalogues)."""
    with translation.override(language):
        return translation.gettext(text)


@pytest.fixture(autouse=True)
def _setup(settings, live_server, tmp_path):
    """allauth's rate limits in a local cache; links in e-mails point at the live server;
    documents in a folder of the test's own."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "e2e"}
    }
    cache.clear()
    settings.PUBLIC_BASE_URL = live_server.url
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


def _link(to: str, pattern: str = r"https?://\S+") -> str:
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(pattern, message.body).group(0)


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """w => Array.from(document.querySelectorAll('main *'))
        .filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 3)
        .map(e => e.tagName + '.' + e.className)""",
        page.viewport_size["width"],
    )
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide: {wide}"


def test_in_dutch_a_person_without_an_account_files_confirms_and_follows_an_access_request(
    live_server, browser_context, check_page
):
    page = browser_context("nl")
    page.goto(f"{live_server.url}/nl/")
    page.get_by_role("link", name=tr("nl", "See your data and get a copy")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("nl", "See your data and get a copy")
    )
    check_page(page)
    page.get_by_label(tr("nl", "Your e-mail address")).fill("Jan.Janssens@example.be")
    page.get_by_role("button", name=tr("nl", "Send my request")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("nl", "Check your e-mail"))
    check_page(page)
    rights_request = RightsRequest.objects.get()
    assert rights_request.state == State.UNCONFIRMED
    page.goto(_link("jan.janssens@example.be", r"https?://\S+/requests/confirm/\S+/"))
    check_page(page)
    page.get_by_role("button", name=tr("nl", "Yes, I made this request")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("nl", "Your request is confirmed"))
    rights_request.refresh_from_db()
    expect(page.get_by_text(rights_request.reference).first).to_be_visible()
    check_page(page)
    page.get_by_role("link", name=tr("nl", "Follow my request")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("nl", "access").capitalize())
    check_page(page)
    page.get_by_role("navigation", name=tr("nl", "Main")).get_by_role(
        "link", name=tr("nl", "My requests")
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("nl", "My requests"))
    row = page.get_by_role("row").filter(has_text=rights_request.reference)
    expect(row).to_contain_text(tr("nl", "identity verified").capitalize())
    check_page(page)
    assert rights_request.state == State.VERIFIED
    assert page.csp_violations == []


def test_in_french_a_person_signs_up_files_an_erasure_seeing_what_is_kept_and_withdraws_it(
    live_server, browser_context, check_page
):
    subject = DataSubjectFactory(email="camille.dubois@example.be", first_name="Camille")
    OrderFactory(subject=subject, number="BE-00007788", status=Order.Status.OPEN)
    page = browser_context("fr")

    page.goto(f"{live_server.url}/fr/accounts/signup/")
    page.get_by_label("Adresse e-mail").fill("camille.dubois@example.be")
    page.get_by_label("Choisissez un mot de passe").fill(PASSWORD)
    page.get_by_label("Saisissez à nouveau le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    page.goto(_link("camille.dubois@example.be"))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    expect(page.get_by_text("BE-00007788")).to_be_visible()

    page.get_by_role("link", name=tr("fr", "Have your data erased")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("fr", "Have your data erased"))
    preview = page.locator("#erasure-preview")
    expect(preview).to_contain_text(tr("fr", "Kept for now, and why"))
    expect(preview).to_contain_text(tr("fr", "an open order (§2.3)"))
    check_page(page, screenshot="erasure-preview-fr")
    page.get_by_label(tr("fr", "I have read what will be erased and what must be kept")).check()
    page.get_by_role("button", name=tr("fr", "Ask for the erasure of my data")).click()

    erasure = RightsRequest.objects.get()
    assert (erasure.kind, erasure.subject_id) == (Kind.ERASURE, subject.pk)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("fr", "erasure").capitalize())
    check_page(page)
    page.get_by_role("link", name=tr("fr", "Withdraw this request")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("fr", "Withdraw your request?"))
    check_page(page)
    page.get_by_role("button", name=tr("fr", "Yes, withdraw my request")).click()

    expect(
        page.get_by_text(tr("fr", "Your request is withdrawn. We have sent you a confirmation."))
    ).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text(tr("fr", "withdrawn").capitalize())
    erasure.refresh_from_db()
    assert erasure.state == State.WITHDRAWN
    assert Order.objects.filter(subject=subject).count() == 1
    assert page.csp_violations == []


def test_in_german_a_complaint_without_a_name_is_refused_at_the_top_and_the_field_keeping_the_text(
    live_server, browser_context, check_page
):
    for width in (1280, 360):
        page = browser_context("de", width)
        page.goto(f"{live_server.url}/de/complaint/")
        page.get_by_label(tr("de", "Your e-mail address")).fill("anna.schmidt@example.be")
        page.get_by_label(tr("de", "Your question or complaint"), exact=True).fill(
            "Meine Anfrage vom März blieb unbeantwortet."
        )
        page.get_by_role("button", name=tr("de", "Send my question or complaint")).click()

        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("Es gibt ein Problem")
        expect(summary).to_contain_text(tr("de", "Enter your name: a complaint needs it."))
        expect(summary).to_be_focused()
        expect(page.locator("#id_name_error")).to_contain_text(
            tr("de", "Enter your name: a complaint needs it.")
        )
        summary.get_by_role("link").click()
        expect(page.get_by_label(tr("de", "Your full name"))).to_be_focused()
        expect(page.get_by_label(tr("de", "Your e-mail address"))).to_have_value(
            "anna.schmidt@example.be"
        )
        expect(page.get_by_label(tr("de", "Your question or complaint"), exact=True)).to_have_value(
            "Meine Anfrage vom März blieb unbeantwortet."
        )
        if width == 360:
            _no_horizontal_scroll(page)
        check_page(page, screenshot="complaint-refused-de")
        assert page.csp_violations == []
    assert RightsRequest.objects.count() == 0


def _customer_with_requests():
    user = UserFactory(email="lotte.peeters@example.be", first_name="Lotte", last_name="Peeters")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject = DataSubjectFactory(
        email=user.email, user=user, first_name="Lotte", city="Antwerpen", street="Kerkstraat 1"
    )
    OrderFactory(subject=subject, status=Order.Status.OPEN)
    asked = RightsRequestFactory(subject=subject, kind=Kind.RECTIFICATION, details="Mijn adres.")
    rights_request_ask(
        rights_request=asked,
        actor=staff_in(roles.DPO, email="dpo@velux.example"),
        reason="clarification",
        message="Welk adres moeten wij verbeteren: levering of factuur?",
    )
    RightsRequestFactory(subject=subject, kind=Kind.ACCESS)
    RightsRequestFactory(subject=subject, kind=Kind.COMPLAINT, name="Lotte", state=State.COMPLETED)
    return subject, asked


def _sign_in(page, live_server, language):
    page.goto(f"{live_server.url}/{language}/accounts/login/")
    page.get_by_label(tr(language, "E-mail address")).fill("lotte.peeters@example.be")
    page.get_by_label(tr(language, "Password"), exact=True).fill(PASSWORD)
    page.locator("main form").first.get_by_role(
        "button", name=tr(language, "Sign in"), exact=True
    ).click()


RIGHT_PAGES = [
    ("request-access", "/{language}/rights/access/"),
    ("request-rectification", "/{language}/rights/rectification/"),
    ("request-erasure", "/{language}/rights/erasure/"),
    ("request-restriction", "/{language}/rights/restriction/"),
    ("request-objection", "/{language}/rights/objection/"),
    ("request-portability", "/{language}/rights/portability/"),
    ("request-consent", "/{language}/rights/consent/"),
    ("request-complaint", "/{language}/complaint/"),
    ("request-sent", "/{language}/rights/sent/"),
    ("my-requests-empty", "/{language}/requests/"),
]


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_new_page_fits_a_phone_and_passes_axe(
    live_server, browser_context, check_page, language
):
    _subject, asked = _customer_with_requests()
    screenshots = language in ("nl", "fr")
    for width in (360, 1280):
        page = browser_context(language, width)
        # The cookie banner answered first, so that the screenshots show the pages.
        page.goto(f"{live_server.url}/{language}/")
        page.get_by_role("button", name=tr(language, "Reject all")).click()
        for name, path in RIGHT_PAGES:
            page.goto(live_server.url + path.format(language=language))
            if width == 360:
                _no_horizontal_scroll(page)
            check_page(page, screenshot=f"{name}-{language}" if screenshots else None)
        _sign_in(page, live_server, language)
        signed_in = [
            ("my-requests", f"/{language}/requests/"),
            ("request-detail-asked", f"/{language}/requests/{asked.reference}/"),
            ("request-withdraw", f"/{language}/requests/{asked.reference}/withdraw/"),
            ("request-rectification-signed-in", f"/{language}/rights/rectification/"),
            ("request-erasure-signed-in", f"/{language}/rights/erasure/"),
        ]
        for name, path in signed_in:
            page.goto(live_server.url + path)
            if width == 360:
                _no_horizontal_scroll(page)
            check_page(page, screenshot=f"{name}-{language}" if screenshots else None)
        # A refused answer to the question: the error summary and the field's error.
        page.goto(f"{live_server.url}/{language}/requests/{asked.reference}/")
        page.get_by_role("button", name=tr(language, "Send my answer")).click()
        expect(page.get_by_role("alert")).to_be_focused()
        if width == 360:
            _no_horizontal_scroll(page)
        check_page(page, screenshot=f"request-answer-refused-{language}" if screenshots else None)
        assert page.csp_violations == []
