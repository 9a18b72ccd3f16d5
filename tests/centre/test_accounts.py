"""Customer accounts (django-allauth): sign-up with mandatory verification, the link to the data
subject, sign-in by code, password reset, no account enumeration, rate limits, and allauth
speaking the portal's formal register on its pages and in its e-mails."""

import ast
import re
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import translation

from centre.accounts import AccountAdapter
from subjects.models import DataSubject
from tests.centre.conftest import INFORMAL, PASSWORD, verified_login
from tests.subjects.factories import DataSubjectFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a new horse battery staple"


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _sign_up(client, email, language="fr"):
    return client.post(
        f"/{language}/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


# Sign-up and the link to the data subject


def test_signing_up_sends_a_confirmation_link_in_the_persons_language(client):
    response = _sign_up(client, "Camille.Dubois@Example.be")

    assert response.status_code == 302
    assert response["Location"] == "/fr/accounts/confirm-email/"
    (message,) = mail.outbox
    assert message.to == ["camille.dubois@example.be"]
    assert message.subject == "Confirmez votre adresse e-mail pour l'Espace vie privée VELUX"
    assert "/fr/accounts/confirm-email/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://testserver/fr/accounts/confirm-email/' in html


def test_e_mail_subjects_carry_no_site_prefix_and_no_login_id(client):
    _sign_up(client, "camille@example.be")

    (message,) = mail.outbox
    assert not message.subject.startswith("[")
    assert "testserver" not in message.subject
    assert "Login #" not in message.body


def test_an_address_is_linked_to_no_data_subject_before_it_is_confirmed(client):
    DataSubjectFactory(email="camille@example.be")

    _sign_up(client, "camille@example.be")

    assert DataSubject.objects.get(email="camille@example.be").user is None
    assert not client.get("/fr/my-data/").wsgi_request.user.is_authenticated


def test_confirming_the_address_links_the_account_to_what_velux_holds_under_it(client):
    subject = DataSubjectFactory(email="camille@example.be", preferred_language="nl")
    OrderFactory(subject=subject, number="BE-00004711")
    _sign_up(client, "camille@example.be")
    confirm = _path(_link(mail.outbox[0]))

    page = client.get(confirm)
    assert page.status_code == 200
    assert "camille@example.be" in page.content.decode()
    response = client.post(confirm)

    assert response.status_code == 302
    assert response["Location"] == "/fr/my-data/"
    subject.refresh_from_db()
    assert subject.user == User.objects.get(email="camille@example.be")
    assert DataSubject.objects.count() == 1
    assert "BE-00004711" in client.get("/fr/my-data/").content.decode()


def test_confirming_an_address_velux_does_not_know_creates_its_data_subject(client):
    _sign_up(client, "nieuw@example.be", language="de")

    client.post(_path(_link(mail.outbox[0])))

    subject = DataSubject.objects.get(email="nieuw@example.be")
    assert subject.user.email == "nieuw@example.be"
    assert subject.preferred_language == "de"


def test_a_staff_login_that_confirms_its_address_is_linked_to_no_one(client):
    staff = UserFactory(email="staff@velux.example", is_staff=True)
    address = EmailAddress.objects.create(user=staff, email=staff.email, primary=True)
    key = EmailConfirmationHMAC(address).key

    client.post(f"/en/accounts/confirm-email/{key}/")

    assert EmailAddress.objects.get(pk=address.pk).verified
    assert not DataSubject.objects.exists()


def test_signing_up_with_an_address_that_has_an_account_gives_the_same_answer(client):
    verified_login("camille@example.be")

    known = _sign_up(client, "camille@example.be")
    unknown = _sign_up(Client(), "someone.else@example.be")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert User.objects.filter(email="camille@example.be").count() == 1
    already, confirmation = mail.outbox
    assert already.to == ["camille@example.be"]
    assert "/fr/accounts/password/reset/" in already.body
    assert confirmation.to == ["someone.else@example.be"]


def test_a_refused_sign_up_keeps_what_was_typed_and_ties_each_error_to_its_field(client):
    response = client.post(
        "/nl/accounts/signup/",
        {"email": "camille@example.be", "password1": PASSWORD, "password2": "something else"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Fout:" in html
    assert 'class="error-summary"' in html
    assert 'href="#id_password2"' in html
    assert 'value="camille@example.be"' in html
    field = re.search(r"<input[^>]*id=\"id_password2\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in field
    assert "id_password2_error" in field
    assert 'id="id_password2_error"' in html
    assert "telkens hetzelfde wachtwoord" in html


# Signing in


def test_a_failed_sign_in_is_shown_as_an_error_at_the_top_keeping_the_address(client):
    verified_login("camille@example.be")

    response = client.post(
        "/de/accounts/login/", {"login": "camille@example.be", "password": "wrong"}
    )

    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "E-Mail-Adresse oder das Passwort ist nicht korrekt" in html
    assert 'value="camille@example.be"' in html


def test_a_customer_signs_in_and_is_named_by_name_not_by_login_id(client, customer):
    response = client.post(
        "/en/accounts/login/",
        {"login": "lotte.peeters@example.be", "password": PASSWORD},
        follow=True,
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/en/my-data/"
    assert "You are signed in as Lotte Peeters." in html
    assert "Login #" not in html


def test_staff_without_a_next_page_land_on_the_admin(client):
    verified_login("staff@velux.example", is_staff=True)

    response = client.post(
        "/en/accounts/login/", {"login": "staff@velux.example", "password": PASSWORD}
    )

    assert response["Location"] == "/admin/"


def test_signing_in_by_an_e_mailed_code(client, customer):
    response = client.post("/nl/accounts/login/code/", {"email": "lotte.peeters@example.be"})

    assert response.status_code == 302
    assert response["Location"] == "/nl/accounts/login/code/confirm/"
    (message,) = mail.outbox
    assert message.subject == "Uw aanmeldcode voor het privacycentrum van VELUX"
    code = re.search(r"\n([A-Z0-9]{4}-[A-Z0-9]{4})\n", message.body).group(1)

    signed_in = client.post("/nl/accounts/login/code/confirm/", {"code": code})

    assert signed_in["Location"] == "/nl/my-data/"
    assert client.get("/nl/my-data/").status_code == 200


def test_a_wrong_code_is_refused_with_a_message_at_the_field(client, customer):
    client.post("/en/accounts/login/code/", {"email": "lotte.peeters@example.be"})

    response = client.post("/en/accounts/login/code/confirm/", {"code": "AAAA-AAAA"})

    html = response.content.decode()
    assert 'href="#id_code"' in html
    assert "The code is not correct." in html


def test_a_sign_in_code_for_an_unknown_address_gives_the_same_answer(client, customer):
    known = client.post("/en/accounts/login/code/", {"email": "lotte.peeters@example.be"})
    unknown = Client().post("/en/accounts/login/code/", {"email": "nobody@example.be"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    _code_mail, unknown_mail = mail.outbox
    assert unknown_mail.to == ["nobody@example.be"]
    assert "No account uses this address" in unknown_mail.body
    assert "/en/accounts/signup/" in unknown_mail.body


def test_a_code_confirms_an_address_and_links_the_account_to_its_subject(client):
    user = UserFactory(email="camille@example.be")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    subject = DataSubjectFactory(email="camille@example.be")
    client.post("/en/accounts/login/code/", {"email": "camille@example.be"})
    code = re.search(r"\n([A-Z0-9]{4}-[A-Z0-9]{4})\n", mail.outbox[-1].body).group(1)

    client.post("/en/accounts/login/code/confirm/", {"code": code})

    subject.refresh_from_db()
    assert subject.user == user


# Password reset


def test_a_password_reset_gives_the_same_answer_whether_or_not_the_address_is_known(client):
    verified_login("camille@example.be")

    known = client.post("/fr/accounts/password/reset/", {"email": "camille@example.be"})
    unknown = client.post("/fr/accounts/password/reset/", {"email": "nobody@example.be"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    reset, no_account = mail.outbox
    assert reset.to == ["camille@example.be"]
    assert "/fr/accounts/password/reset/key/" in reset.body
    assert no_account.to == ["nobody@example.be"]
    assert "/fr/accounts/password/reset/key/" not in no_account.body


def test_a_password_reset_sets_the_new_password_and_tells_the_person(client):
    verified_login("camille@example.be")
    client.post("/en/accounts/password/reset/", {"email": "camille@example.be"})
    link = _path(_link(mail.outbox[0]))

    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0]
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert User.objects.get(email="camille@example.be").check_password(NEW_PASSWORD)
    notice = mail.outbox[-1]
    assert notice.subject == "Your password has been reset"
    assert "info-be@velux.com" in notice.body


# Rate limits on every sensitive step


def test_sign_in_codes_are_limited_per_address(customer):
    for _ in range(3):  # each from a fresh browser session
        Client().post("/en/accounts/login/code/", {"email": "lotte.peeters@example.be"})

    response = Client().post("/en/accounts/login/code/", {"email": "lotte.peeters@example.be"})

    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert len(mail.outbox) == 3


def test_password_reset_requests_are_limited_per_address(client):
    verified_login("camille@example.be")
    for _ in range(5):
        client.post("/en/accounts/password/reset/", {"email": "camille@example.be"})

    response = client.post("/en/accounts/password/reset/", {"email": "camille@example.be"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "velux_privacy/site.css" in response.content.decode()
    assert len(mail.outbox) == 5


def test_sign_ups_are_limited_per_client_address(client):
    for number in range(10):
        _sign_up(client, f"person{number}@example.be", language="en")

    response = _sign_up(client, "one.more@example.be", language="en")

    assert response.status_code == 429
    assert not User.objects.filter(email="one.more@example.be").exists()


def test_failed_sign_ins_lock_the_account_for_a_while(client, customer):
    for _ in range(5):
        client.post(
            "/en/accounts/login/", {"login": "lotte.peeters@example.be", "password": "wrong"}
        )

    response = client.post(
        "/en/accounts/login/", {"login": "lotte.peeters@example.be", "password": PASSWORD}
    )

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not client.get("/en/my-data/").wsgi_request.user.is_authenticated


# The formal register, everywhere


ACCOUNT_PAGES = [
    ("get", "accounts/login/", {}),
    ("post", "accounts/login/", {"login": "a@example.be", "password": "x"}),
    ("get", "accounts/signup/", {}),
    ("post", "accounts/signup/", {"email": "a@example.be", "password1": "x", "password2": "y"}),
    ("get", "accounts/password/reset/", {}),
    ("post", "accounts/password/reset/", {"email": "not an address"}),
    ("get", "accounts/login/code/", {}),
    ("get", "accounts/confirm-email/", {}),
    ("get", "accounts/confirm-email/not-a-key/", {}),
    ("get", "accounts/password/reset/key/1-set-password/", {}),
    ("get", "accounts/password/reset/done/", {}),
]


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
@pytest.mark.parametrize(("method", "path", "data"), ACCOUNT_PAGES)
def test_account_pages_address_the_person_formally(client, language, method, path, data):
    response = getattr(client, method)(f"/{language}/{path}", data)

    main = response.content.decode()
    main = main[main.index("<main") : main.index("</main>")]
    assert not INFORMAL[language].search(main), INFORMAL[language].search(main).group(0)


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
def test_account_e_mails_address_the_person_formally(client, language):
    verified_login("known@example.be")
    _sign_up(client, "camille@example.be", language=language)
    _sign_up(client, "known@example.be", language=language)
    client.post(f"/{language}/accounts/password/reset/", {"email": "known@example.be"})
    client.post(f"/{language}/accounts/password/reset/", {"email": "unknown@example.be"})
    Client().post(f"/{language}/accounts/login/code/", {"email": "known@example.be"})

    assert len(mail.outbox) == 5
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert not INFORMAL[language].search(text), (message.subject, text)


@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_message_of_our_adapter_is_formal(language):
    with translation.override(language):
        for code, message in AccountAdapter.error_messages.items():
            assert not INFORMAL[language].search(str(message)), (code, str(message))


def _allauth_python_msgids() -> set[str]:
    """The messages allauth's account and core code translate itself (not its templates,
    which the portal overrides)."""
    root = Path(allauth.__file__).parent
    msgids = set()
    for source in [*root.glob("account/**/*.py"), *root.glob("core/**/*.py")]:
        if "tests" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in {"_", "gettext"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                msgids.add(node.args[0].value)
    return msgids


@pytest.mark.parametrize("language", ["nl", "de"])
def test_no_message_of_allauths_own_code_reaches_a_person_informally(language):
    """allauth's Dutch and German catalogues say "je" and "Du": the project's catalogues
    (centre/allauth_messages.py) or our adapter reword every message its code can show."""
    with translation.override(None):  # no catalogue: str() gives the msgid
        replaced = {
            str(DefaultAccountAdapter.error_messages[code])
            for code in AccountAdapter.error_messages
            if AccountAdapter.error_messages[code] is not DefaultAccountAdapter.error_messages[code]
        }
    msgids = _allauth_python_msgids() - replaced
    assert "You must type the same password each time." in msgids  # the scan finds them

    with translation.override(language):
        informal = [
            msgid for msgid in msgids if INFORMAL[language].search(translation.gettext(msgid))
        ]

    assert informal == []


def test_e_mails_say_how_long_their_link_or_code_works(client, customer, settings):
    settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 7

    _sign_up(client, "camille@example.be", language="en")
    Client().post("/en/accounts/login/code/", {"email": "lotte.peeters@example.be"})

    confirmation, code = mail.outbox
    assert "open this link within 7 days:" in confirmation.body
    assert "It works for 10 minutes only." in code.body
