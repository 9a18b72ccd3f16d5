"""The public pages of the privacy centre: home, rights, privacy policy, errors, the design."""

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.views.defaults import bad_request, server_error

from centre.rights import RIGHTS
from subjects.models import Purpose, Recipient
from tests.subjects.factories import UserFactory

pytestmark = pytest.mark.django_db
LANGUAGES = ["nl", "fr", "de", "en"]


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_home_page_leads_to_every_right(client, language):
    response = client.get(f"/{language}/")

    assert response.status_code == 200
    main = _main(response)
    for right in RIGHTS:
        with translation.override(language):
            url = reverse(right.url_name)
            title = escape(str(right.title))
        assert f'href="{url}"' in main, right.key
        assert title in main, right.key


def test_the_home_page_lists_the_purposes_of_the_register_with_their_legal_basis(client):
    Purpose.objects.filter(code="surveys").update(name_en="Surveys renamed in the register")

    main = _main(client.get("/en/"))

    for section in ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8"):
        assert f"§{section}</span>" in main
    assert "Surveys renamed in the register" in main
    assert "Consent" in main


def test_the_purposes_table_reflows_with_a_label_in_every_cell(client):
    main = _main(client.get("/de/"))

    table = main[main.index('<table class="reflow"') : main.index("</table>")]
    assert len(re.findall(r'<th scope="row"', table)) == 8  # the purpose heads each row
    cells = re.findall(r"<td[^>]*>", table)
    assert len(cells) == 8
    assert all("data-label=" in cell for cell in cells)


@pytest.mark.parametrize("right", RIGHTS, ids=lambda right: right.key)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_right_has_a_page_that_says_how_to_use_it(client, right, language):
    with translation.override(language):
        url = reverse(right.url_name)
        title = escape(str(right.title))

    response = client.get(url)

    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert "info-be@velux.com" in _main(response)


def test_the_complaint_page_names_the_data_protection_authority(client):
    main = _main(client.get("/fr/complaint/"))

    assert "contact@apd-gba.be" in main
    assert "https://www.autoriteprotectiondonnees.be" in main


def test_the_privacy_policy_is_rendered_from_the_registers(client):
    recipient = Recipient.objects.create(
        name="Cloud Analytics Inc.",
        category=Recipient.Category.WEB_CHAT,
        role=Recipient.Role.PROCESSOR,
        country="US",
        transfer_safeguard=Recipient.TransferSafeguard.EU_US_DPF,
        description_en="A chat service added to the register today.",
    )
    recipient.purposes.set(Purpose.objects.filter(code="surveys"))
    Recipient.objects.filter(name="Showpad").update(is_active=False)

    main = _main(client.get("/en/privacy-policy/"))

    assert "Cloud Analytics Inc." in main
    assert "A chat service added to the register today." in main
    assert "EU-US Data Privacy Framework" in main
    assert "SnapEngage" in main
    assert "Standard contractual clauses (GDPR Art. 46)" in main
    assert "Showpad" not in main  # no longer active: no longer on the page
    for purpose in Purpose.objects.all():
        assert purpose.name_en in main


def test_the_privacy_policy_shows_its_version_and_date(client):
    main = _main(client.get("/nl/privacy-policy/"))

    assert "2021-05" in main
    assert "mei 2021" in main


def test_the_language_switcher_stays_on_the_same_page(client):
    response = client.get("/nl/privacy-policy/")
    html = response.content.decode()
    assert 'name="next" type="hidden" value="/nl/privacy-policy/"' in html
    assert 'name="language" value="fr"' in html

    switched = client.post("/i18n/setlang/", {"language": "de", "next": "/nl/privacy-policy/"})

    assert switched.status_code == 302
    assert switched["Location"] == "/de/privacy-policy/"
    assert client.get(switched["Location"]).wsgi_request.LANGUAGE_CODE == "de"


def test_the_language_switcher_keeps_the_query_of_the_page(client):
    switched = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "/nl/my-data/?category=orders&page=2"}
    )

    assert switched["Location"] == "/fr/my-data/?category=orders&page=2"


@pytest.mark.parametrize(
    "path", ["/nl/", "/fr/privacy-policy/", "/de/rights/erasure/", "/en/accounts/login/"]
)
def test_pages_carry_no_inline_style_or_script(client, path):
    html = client.get(path).content.decode()

    assert "style=" not in html
    assert "<style" not in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts  # the cookie banner's, from the portal's own static files
    assert all(' src="/static/' in attributes and not body.strip() for attributes, body in scripts)
    assert "'self'" in client.get(path)["Content-Security-Policy"]


def test_a_missing_page_is_answered_in_the_portals_design_and_language(client):
    response = client.get("/fr/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "velux_privacy/site.css" in html
    assert 'lang="fr"' in html
    assert "Page introuvable" in html


@pytest.mark.parametrize(("language", "expected"), [("nl", "Sorry"), ("de", "Entschuldigung")])
def test_the_server_error_page_renders_without_the_request(language, expected):
    """Django renders 500.html without a context: nothing on it may need the request, the
    session or the database (any of which may be what failed)."""
    request = RequestFactory().get("/")
    request.session = None  # broken: touching it would fail the page

    with translation.override(language):
        response = server_error(request)

    html = response.content.decode()
    assert response.status_code == 500
    assert expected in html
    assert "velux_privacy/site.css" in html
    assert f'lang="{language}"' in html


def test_a_view_that_fails_answers_with_the_portals_500_page(settings):
    settings.ROOT_URLCONF = "tests.centre.urls_failing"
    client = Client(raise_request_exception=False)

    response = client.get("/fail/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 500
    assert "Désolés" in response.content.decode()


def test_a_bad_request_page_is_translated():
    with translation.override("de"):
        response = bad_request(RequestFactory().get("/"), exception=None)

    assert response.status_code == 400
    assert "Ihr Browser" in response.content.decode()


def test_a_customer_opening_the_admin_gets_a_translated_page_in_the_portals_design(client):
    client.force_login(UserFactory(email="customer@example.com"))

    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl", follow=True)

    assert response.status_code == 403
    html = response.content.decode()
    assert "velux_privacy/site.css" in html
    assert "medewerkers van VELUX" in html
    assert 'href="/nl/my-data/"' in html


def test_a_form_sent_without_its_security_token_gets_a_translated_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/fr/accounts/login/", {"login": "a@example.be"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "velux_privacy/site.css" in html
    assert "Votre formulaire" in html


# The parts of every page that are the same in a language (templates/base.html's fragment
# cache): each page still marks its own place in the navigation, in its own language, and
# each visitor's forms carry their own CSRF token.


def _nav_current(html: str) -> list[str]:
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>", html.index("site-nav"))]
    return re.findall(r'<a href="([^"]+)" aria-current="page"', nav)


def test_each_page_marks_its_own_place_in_the_navigation_in_its_own_language(client):
    pages = {
        path: client.get(path).content.decode()
        for path in ("/nl/", "/nl/privacy-policy/", "/fr/", "/nl/")
    }

    assert _nav_current(pages["/nl/"]) == ["/nl/"]
    assert _nav_current(pages["/nl/privacy-policy/"]) == ["/nl/privacy-policy/"]
    assert _nav_current(pages["/fr/"]) == ["/fr/"]
    assert ">Privacybeleid</a>" in pages["/nl/"]
    assert ">Politique de confidentialité</a>" in pages["/fr/"]
    assert 'href="/fr/' not in pages["/nl/"].split("<main")[0].replace('lang="fr"', "")


def test_every_visitor_gets_their_own_csrf_token_in_the_shared_page_parts():
    tokens = []
    for email in ("anna@example.be", "bert@example.be"):
        visitor = Client()
        visitor.force_login(UserFactory(email=email))
        html = visitor.get("/nl/").content.decode()
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert len(found) == 2, found  # the language switcher and the sign-out form
        tokens.append(found)

    assert not set(tokens[0]) & set(tokens[1])
