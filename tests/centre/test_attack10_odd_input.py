"""Attack tests (attack10) that held when written, kept as regressions: odd input never
gives a 500 (NUL bytes, which PostgreSQL refuses in a string; long values; unicode; repeated
or missing fields; a GET carrying a form's parameters); every field of every page has a
label; no page or request e-mail addresses the person informally."""

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client

from tests.centre.conftest import INFORMAL

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/privacy-policy/",
    *(
        f"/rights/{key}/"
        for key in (
            "access",
            "portability",
            "erasure",
            "restriction",
            "objection",
            "rectification",
            "consent",
            "sent",
        )
    ),
    "/complaint/",
    "/requests/",
    "/my-data/",
    "/account/",
    "/consent/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-x/",
    "/accounts/login/code/",
    "/accounts/login/code/confirm/",
    "/accounts/confirm-email/",
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/requests/follow/x/",
    "/requests/confirm/x/",
    "/requests/export/x/",
    "/no-such-page/",
]
FORMS = [
    "/en/rights/access/",
    "/en/rights/portability/",
    "/en/rights/erasure/",
    "/en/rights/restriction/",
    "/en/rights/objection/",
    "/en/rights/rectification/",
    "/en/rights/consent/",
    "/en/complaint/",
    "/en/requests/",
    "/en/consent/",
    "/en/accounts/login/",
    "/en/accounts/signup/",
    "/en/accounts/password/reset/",
    "/en/accounts/login/code/",
    "/en/accounts/login/code/confirm/",
]
FIELDS = ("email", "details", "name", "submission_key", "purpose", "login", "password", "code")
ODD_INPUTS = [
    pytest.param({}, id="nothing"),
    pytest.param({name: "a\x00b" for name in FIELDS}, id="nul"),
    pytest.param({name: "x" * 100_000 for name in FIELDS}, id="long"),
    pytest.param({name: "Zoë 😀 \u202e ﷽" for name in FIELDS}, id="unicode"),
    pytest.param({name: ["a@example.be", "b@example.be"] for name in FIELDS}, id="repeated"),
]


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea") and attributes.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            self.fields.append(attributes)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])


def _main_text(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S)
    return re.sub(r"<[^>]+>", " ", main.group(0) if main else html)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "customer"])
def test_every_page_in_every_language_is_formal_and_labels_every_field(client, customer, signed_in):
    if signed_in:
        client.force_login(customer.user)
    found, seen = [], 0
    for language in ("nl", "fr", "de", "en"):
        for path in PAGES:
            response = client.get(f"/{language}{path}", follow=True)
            html = response.content.decode()
            assert response.status_code < 500, (language, path)
            informal = INFORMAL.get(language)
            if informal and informal.search(_main_text(html)):
                found.append((language, path, informal.search(_main_text(html)).group(0)))
            fields = _Fields()
            fields.feed(html)
            seen += len(fields.fields)
            found += [
                (language, path, "no label", field.get("name"))
                for field in fields.fields
                if field.get("id") not in fields.labelled
                and not field.get("aria-label")
                and not field.get("aria-labelledby")
            ]
    assert seen > 40  # the pages' fields were read
    assert found == []


@pytest.mark.parametrize("data", ODD_INPUTS)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "customer"])
def test_odd_input_to_any_form_is_answered_never_a_500(
    client, customer, signed_in, data, django_capture_on_commit_callbacks
):
    if signed_in:
        client.force_login(customer.user)
    for path in FORMS:
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(path, data).status_code < 500, ("POST", path)
        assert client.get(path, data).status_code < 500, ("GET", path)


@pytest.mark.parametrize(
    "query",
    [
        {"category": "\x00"},
        {"page": "9" * 30},
        {"page": "-5"},
        {"page": "\x00", "category": "x" * 5000},
        {"category": ["a", "b"]},
    ],
)
def test_my_data_takes_any_category_and_page(client, customer, query):
    client.force_login(customer.user)
    assert client.get("/en/my-data/", query).status_code == 200


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_request_e_mails_address_the_person_formally(
    client, language, django_capture_on_commit_callbacks
):
    """Each right filed without an account, then confirmed: the confirmation and the
    acknowledgement, subject, text and HTML, say u / vous / Sie."""
    for index, kind in enumerate(["access", "erasure", "objection", "restriction", "portability"]):
        address = f"person{index}@example.be"
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/{language}/rights/{kind}/",
                {
                    "submission_key": f"key-{index}",
                    "email": address,
                    "details": "Reden.",
                    "purpose": "all",
                    "understood": "on",
                    "confirm": "on",
                },
            )
        sent = [message for message in mail.outbox if message.to == [address]]
        assert sent, kind
        link = re.search(rf"/{language}/requests/confirm/[^/\s]+/", sent[-1].body).group(0)
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(link)
    assert len(mail.outbox) == 10
    informal = [
        (message.subject, INFORMAL[language].search(text).group(0))
        for message in mail.outbox
        for text in [message.subject, message.body, *(a[0] for a in message.alternatives)]
        if INFORMAL[language].search(re.sub(r"<[^>]+>", " ", text))
    ]
    assert informal == []


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example"],
)
def test_the_language_switcher_and_the_sign_in_never_redirect_off_the_site(
    client, customer, target
):
    from tests.centre.conftest import PASSWORD

    customer.user.set_password(PASSWORD)
    customer.user.save()

    switched = client.post("/i18n/setlang/", {"language": "nl", "next": target})
    signed_in = client.post(
        f"/en/accounts/login/?next={target}", {"login": customer.email, "password": PASSWORD}
    )

    assert switched.status_code == signed_in.status_code == 302
    assert switched["Location"] == "/"
    assert signed_in["Location"] == "/en/my-data/"


def test_every_form_refuses_a_post_without_its_csrf_token(customer):
    from dsr_requests.models import RightsRequest

    browser = Client(enforce_csrf_checks=True)
    for path in FORMS:
        response = browser.post(path, {"email": "victim@example.be", "details": "x"})
        assert response.status_code == 403, path
    assert RightsRequest.objects.count() == 0
    assert mail.outbox == []
