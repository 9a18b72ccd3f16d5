"""Personal data is erased through the data map, never deleted in the admin."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory

from subjects.datamap import datamap
from subjects.models import LegalHold
from tests.staff import staff_second_factor
from tests.subjects.factories import DataSubjectFactory, LegalHoldFactory, UserFactory
from velux_privacy.models import LoginSession

pytestmark = pytest.mark.django_db

MAPPED_IN_ADMIN = [c.model for c in datamap.categories() if c.model in admin.site._registry]


def test_every_mapped_model_in_the_admin_is_covered():
    labels = {model._meta.label for model in MAPPED_IN_ADMIN}

    assert {"velux_privacy.User", "account.EmailAddress", "subjects.DataSubject"} <= labels


@pytest.mark.parametrize("model", MAPPED_IN_ADMIN, ids=lambda model: model._meta.label)
def test_no_bulk_delete_of_personal_data(model):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)

    assert admin.site._registry[model].has_delete_permission(request) is False


@pytest.fixture
def customer_login():
    login = UserFactory(email="customer@example.com")
    EmailAddress.objects.create(user=login, email=login.email, verified=True, primary=True)
    DataSubjectFactory(email=login.email, user=login)
    return login


def test_a_customers_login_and_address_cannot_be_deleted_in_the_admin(admin_client, customer_login):
    address = EmailAddress.objects.get(user=customer_login)

    login_page = admin_client.get(f"/admin/velux_privacy/user/{customer_login.pk}/delete/")
    address_page = admin_client.get(f"/admin/account/emailaddress/{address.pk}/delete/")

    assert (login_page.status_code, address_page.status_code) == (403, 403)


def test_a_staff_login_that_never_did_anything_can_be_deleted(admin_client):
    leaver = UserFactory(email="leaver@velux.example", is_staff=True)

    response = admin_client.post(f"/admin/velux_privacy/user/{leaver.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not type(leaver).objects.filter(pk=leaver.pk).exists()


@pytest.mark.parametrize("record", ["admin_log", "legal_hold"])
def test_a_staff_login_whose_actions_are_recorded_is_never_deleted(admin_client, record):
    leaver = UserFactory(email="leaver@velux.example", is_staff=True)
    subject = DataSubjectFactory()
    if record == "admin_log":
        LogEntry.objects.create(
            user=leaver,
            content_type=ContentType.objects.get_for_model(subject),
            object_id=str(subject.pk),
            object_repr=str(subject),
            action_flag=CHANGE,
        )
    else:
        LegalHoldFactory(subject=subject, placed_by=leaver)

    page = admin_client.get(f"/admin/velux_privacy/user/{leaver.pk}/delete/")
    posted = admin_client.post(f"/admin/velux_privacy/user/{leaver.pk}/delete/", {"post": "yes"})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert LogEntry.objects.filter(user=leaver).count() == (1 if record == "admin_log" else 0)
    assert LegalHold.objects.filter(placed_by=leaver).count() == (
        1 if record == "legal_hold" else 0
    )


def test_off_boarding_deactivates_a_staff_login_and_ends_its_sessions(admin_client, client):
    leaver = UserFactory(email="leaver@velux.example", is_staff=True)
    EmailAddress.objects.create(user=leaver, email=leaver.email, verified=True, primary=True)
    client.force_login(leaver)
    staff_second_factor(client, leaver)
    assert client.get("/admin/").status_code == 200

    response = admin_client.post(
        "/admin/velux_privacy/user/",
        {"action": "deactivate_logins", "_selected_action": [leaver.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    leaver.refresh_from_db()
    assert response.status_code == 302
    assert (leaver.is_active, leaver.has_usable_password()) == (False, False)
    assert not LoginSession.objects.filter(user=leaver).exists()
    assert client.get("/admin/").status_code == 302  # signed out
    signed_in = client.post(
        "/en/accounts/login/", {"login": leaver.email, "password": "correct horse battery staple"}
    )
    assert signed_in.status_code == 200  # the form again: refused


def test_a_staff_member_cannot_deactivate_their_own_login(admin_client):
    me = get_user_model().objects.get(is_superuser=True)

    response = admin_client.post(
        "/admin/velux_privacy/user/",
        {"action": "deactivate_logins", "_selected_action": [me.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    me.refresh_from_db()
    assert me.is_active is True
    assert "You cannot deactivate your own login." in response.content.decode()
