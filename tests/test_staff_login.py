"""Staff sign in to the admin through allauth, which limits failed attempts."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache

from tests.staff import totp_code, totp_enrol
from tests.subjects.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(settings):
    # The rate limits live in the cache: a fresh one of these tests' own, never the Redis
    # database that REDIS_URL names. Changing CACHES makes Django open its caches anew.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "staff-login-tests",
        }
    }
    cache.clear()
    user = UserFactory(email="staff@velux.example", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _sign_in(client, password):
    return client.post(
        "/en/accounts/login/", {"login": "staff@velux.example", "password": password}
    )


def test_the_admin_sends_staff_to_the_portal_sign_in(client):
    response = client.get("/admin/login/?next=/admin/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=%2Fadmin%2F"


def test_staff_signing_in_for_the_first_time_must_enrol_a_second_factor(client, staff):
    _sign_in(client, PASSWORD)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].endswith("/accounts/2fa/totp/activate/?next=%2Fadmin%2F")
    assert client.get("/en/").status_code == 302  # nothing else until then


def test_staff_enrolling_are_sent_on_to_the_page_they_wanted(client, staff):
    _sign_in(client, PASSWORD)
    client.get("/admin/dsr_requests/rightsrequest/")  # sent to enrol
    # allauth asks for the password again before a second factor is added (reauthentication).
    activate = client.get("/en/accounts/2fa/totp/activate/")
    assert activate["Location"].startswith("/en/accounts/reauthenticate/")
    client.post("/en/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/en/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]

    response = client.post("/en/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    codes = client.get(response["Location"]).content.decode()
    assert 'href="/admin/dsr_requests/rightsrequest/"' in codes


def test_a_scripts_fetch_during_enrolment_neither_redirects_nor_resets_where_to_go(client, staff):
    # Every page's cookie banner fetches its texts: that must not start enrolment again (a new
    # secret, so the code just scanned fails) nor become the page "Continue" leads to.
    _sign_in(client, PASSWORD)
    client.get("/admin/dsr_requests/rightsrequest/")
    fetched = client.get("/en/", HTTP_ACCEPT="application/json")
    banner = client.get("/consent/banner/config/?lang=en", HTTP_ACCEPT="application/json")

    assert (fetched.status_code, fetched.json()["code"]) == (403, "second_factor_required")
    assert banner.status_code == 200
    assert client.session["staff_second_factor_next"] == "/admin/dsr_requests/rightsrequest/"


def test_enrolling_a_second_factor_counts_as_using_it_in_that_session(rf, staff):
    from allauth.mfa.models import Authenticator as Model
    from allauth.mfa.signals import authenticator_added
    from django.contrib.sessions.backends.db import SessionStore

    from velux_privacy.mfa import second_factor_used

    request = rf.post("/en/accounts/2fa/totp/activate/")
    request.user = staff
    request.session = SessionStore()
    assert second_factor_used(request) is False
    authenticator = Model.objects.get(pk=totp_enrol_id(staff))

    # What allauth sends once the new authenticator's transaction commits.
    authenticator_added.send(sender=Model, request=request, user=staff, authenticator=authenticator)

    assert second_factor_used(request) is True


def totp_enrol_id(user) -> int:
    totp_enrol(user)
    return Authenticator.objects.get(user=user, type="totp").pk


def test_staff_with_an_authenticator_sign_in_with_its_code(client, staff):
    secret = totp_enrol(staff)
    signed_in = _sign_in(client, PASSWORD)
    assert signed_in["Location"].startswith("/en/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302

    wrong = client.post("/en/accounts/2fa/authenticate/", {"code": "000000"})
    assert client.get("/admin/").status_code == 302
    right = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_staff_session_that_skipped_the_second_factor_must_give_it(client, staff):
    totp_enrol(staff)
    client.force_login(staff)  # signed in some other way than allauth's password and code

    page = client.get("/admin/dsr_requests/rightsrequest/")
    api = client.get("/api/schema/")

    assert page.status_code == 302
    assert "/accounts/2fa/reauthenticate/?next=" in page["Location"]
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"


def test_the_admin_itself_refuses_staff_without_the_second_factor(rf, staff):
    from django.contrib import admin
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/admin/")
    request.user = staff
    request.session = SessionStore()

    assert admin.site.has_permission(request) is False


def test_customers_sign_in_without_a_second_factor(client):
    customer = UserFactory(email="customer@example.com")
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)

    client.post("/en/accounts/login/", {"login": customer.email, "password": PASSWORD})

    assert client.get("/en/").status_code == 200


def test_a_customer_login_never_reaches_the_admin(client):
    customer = UserFactory(email="customer@example.com")
    client.force_login(customer)

    assert client.get("/admin/login/").status_code == 403


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(client, staff):
    for _ in range(5):
        assert _sign_in(client, "wrong password").status_code == 200

    response = _sign_in(client, PASSWORD)

    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_demo_staff_login_signs_in_with_the_totp_secret_seed_demo_prints(client, settings):
    import re
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True  # as under `make run`
    out = StringIO()
    call_command("seed_demo", "--subjects", "1", stdout=out)
    secret = re.search(r"TOTP secret ([A-Z2-7]+)", out.getvalue()).group(1)
    code = StringIO()
    call_command("staff_totp_code", "staff@demo.example", stdout=code)

    client.post(
        "/en/accounts/login/", {"login": "staff@demo.example", "password": "velux-demo-staff"}
    )
    client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert code.getvalue().split()[0] == totp_code(secret)
    assert client.get("/admin/").status_code == 200


def test_the_totp_code_command_refuses_with_debug_off(staff):
    from django.core.management import CommandError, call_command

    totp_enrol(staff)

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("staff_totp_code", staff.email)
