"""People use the privacy centre in a real browser: sign up and confirm in French, sign in by
code, see their data; every page passes axe-core (no serious or critical finding) and has no
horizontal scroll on a 360-px phone. Screenshots of each main page, at phone and desktop
width, go to var/screenshots/ (git-ignored)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from subjects.models import DataSubject
from tests.subjects.factories import (
    BrowsingEventFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    OrderFactory,
    OrderLineFactory,
    SurveyResponseFactory,
    UserFactory,
)

# serialized_rollback: the purpose register comes from a data migration and must survive the
# flush that live_server's transactional tests do.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """allauth's rate limits live in the cache: a local one per test, never a shared Redis."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "e2e"}
    }
    cache.clear()


def _customer(email="lotte.peeters@example.be"):
    user = UserFactory(email=email, first_name="Lotte", last_name="Peeters")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    subject = DataSubjectFactory(email=email, user=user)
    order = OrderFactory(subject=subject, number="BE-00004711")
    OrderLineFactory(order=order)
    ContactRequestFactory(subject=subject)
    SurveyResponseFactory(subject=subject, answers={"Tevredenheid": "zeer tevreden"})
    BrowsingEventFactory.create_batch(25, subject=subject, path="/nl-be/dakramen/tuimelvenster")
    return subject


def _sign_in(page, live_server, email, language="en"):
    labels = {
        "en": ("E-mail address", "Password", "Sign in"),
        "nl": ("E-mailadres", "Wachtwoord", "Aanmelden"),
        "fr": ("Adresse e-mail", "Mot de passe", "Se connecter"),
        "de": ("E-Mail-Adresse", "Passwort", "Anmelden"),
    }[language]
    page.goto(f"{live_server.url}/{language}/accounts/login/")
    page.get_by_label(labels[0]).fill(email)
    page.get_by_label(labels[1], exact=True).fill(PASSWORD)
    page.locator("main form").first.get_by_role("button", name=labels[2], exact=True).click()


def _last_link(to: str) -> str:
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(r"https?://\S+", message.body).group(0)


def test_in_french_a_person_signs_up_confirms_by_the_emailed_link_and_sees_their_data(
    live_server, browser_context, check_page
):
    subject = DataSubjectFactory(email="camille.dubois@example.be", first_name="Camille")
    OrderFactory(subject=subject, number="BE-00007788")
    page = browser_context("fr")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/fr/$"))
    check_page(page)
    page.get_by_role("link", name="Créer un compte").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    check_page(page)
    page.get_by_label("Adresse e-mail").fill("Camille.Dubois@example.be")
    page.get_by_label("Choisissez un mot de passe").fill(PASSWORD)
    page.get_by_label("Saisissez à nouveau le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer le compte").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    check_page(page)
    assert DataSubject.objects.get(pk=subject.pk).user is None  # not before confirmation
    page.goto(_last_link("camille.dubois@example.be"))
    expect(page.get_by_text("camille.dubois@example.be")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Confirmer").click()

    expect(page).to_have_url(re.compile(r"/fr/my-data/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    expect(page.get_by_text("BE-00007788")).to_be_visible()
    expect(page.get_by_text("Merci : camille.dubois@example.be est confirmée.")).to_be_visible()
    check_page(page)
    assert DataSubject.objects.get(pk=subject.pk).user.email == "camille.dubois@example.be"
    assert page.csp_violations == []


def test_a_person_signs_in_with_a_code_sent_by_e_mail(live_server, browser_context, check_page):
    _customer()
    page = browser_context("nl")

    page.goto(f"{live_server.url}/nl/accounts/login/")
    page.get_by_role("link", name="Mail mij een aanmeldcode").click()
    check_page(page)
    page.get_by_label("E-mailadres").fill("lotte.peeters@example.be")
    page.get_by_role("button", name="Stuur mij een code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vul uw aanmeldcode in")
    check_page(page)
    body = [m for m in mail.outbox if m.to == ["lotte.peeters@example.be"]][-1].body
    code = re.search(r"\n([A-Z0-9]{4}-[A-Z0-9]{4})\n", body).group(1)
    page.get_by_label("Aanmeldcode").fill(code)
    page.get_by_role("button", name="Aanmelden", exact=True).click()

    expect(page).to_have_url(re.compile(r"/nl/my-data/$"))
    expect(page.get_by_text("U bent aangemeld als Lotte Peeters.")).to_be_visible()
    assert page.csp_violations == []


def test_a_refused_sign_in_is_summarised_at_the_top_and_focused(
    live_server, browser_context, check_page
):
    _customer()
    page = browser_context("de")

    page.goto(f"{live_server.url}/de/accounts/login/")
    page.get_by_label("E-Mail-Adresse").fill("lotte.peeters@example.be")
    page.get_by_label("Passwort", exact=True).fill("falsch")
    page.locator("main form").first.get_by_role("button", name="Anmelden", exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Es gibt ein Problem")
    expect(summary).to_contain_text("Die E-Mail-Adresse oder das Passwort ist nicht korrekt.")
    expect(summary).to_be_focused()
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("lotte.peeters@example.be")
    assert page.title().startswith("Fehler:")
    check_page(page, screenshot="sign-in-refused")


def test_the_skip_link_is_the_first_stop_for_the_keyboard(live_server, browser_context):
    page = browser_context("en")
    page.goto(f"{live_server.url}/en/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


PUBLIC_PAGES = [
    ("home", "/{language}/"),
    ("privacy-policy", "/{language}/privacy-policy/"),
    ("right-access", "/{language}/rights/access/"),
    ("right-erasure", "/{language}/rights/erasure/"),
    ("right-rectification", "/{language}/rights/rectification/"),
    ("right-restriction", "/{language}/rights/restriction/"),
    ("right-objection", "/{language}/rights/objection/"),
    ("right-portability", "/{language}/rights/portability/"),
    ("right-consent", "/{language}/rights/consent/"),
    ("complaint", "/{language}/complaint/"),
    ("sign-in", "/{language}/accounts/login/"),
    ("sign-up", "/{language}/accounts/signup/"),
    ("password-reset", "/{language}/accounts/password/reset/"),
    ("sign-in-by-code", "/{language}/accounts/login/code/"),
    ("not-found", "/{language}/no-such-page/"),
]
SIGNED_IN_PAGES = [
    ("my-data", "/{language}/my-data/"),
    ("my-data-page-2", "/{language}/my-data/?category=browsing_history&page=2"),
    ("account", "/{language}/account/"),
    ("change-password", "/{language}/accounts/password/change/"),
    ("change-email", "/{language}/accounts/email/"),
]


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("language", ["nl", "de", "fr", "en"])
def test_every_page_fits_a_phone_and_passes_axe(live_server, browser_context, check_page, language):
    _customer()
    for width in (360, 1280):
        page = browser_context(language, width)
        for name, path in PUBLIC_PAGES:
            page.goto(live_server.url + path.format(language=language))
            if width == 360:
                _no_horizontal_scroll(page)
            check_page(page, screenshot=f"{name}-{language}" if language in ("nl", "fr") else None)
        _sign_in(page, live_server, "lotte.peeters@example.be", language)
        for name, path in SIGNED_IN_PAGES:
            page.goto(live_server.url + path.format(language=language))
            if width == 360:
                _no_horizontal_scroll(page)
            check_page(page, screenshot=f"{name}-{language}" if language in ("nl", "fr") else None)
        assert page.csp_violations == []


def test_a_customer_opening_the_staff_admin_sees_the_portals_page(
    live_server, browser_context, check_page
):
    _customer()
    page = browser_context("nl")
    _sign_in(page, live_server, "lotte.peeters@example.be", "nl")

    response = page.goto(f"{live_server.url}/admin/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dit deel van de site is voor medewerkers van VELUX"
    )
    check_page(page, screenshot="admin-refused-nl")
