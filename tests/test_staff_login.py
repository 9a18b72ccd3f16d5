"""Staff sign in to the admin through allauth, which limits failed attempts."""

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

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


def test_staff_who_sign_in_reach_the_admin(client, staff):
    response = _sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


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
