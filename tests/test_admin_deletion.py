"""Personal data is erased through the data map, never deleted in the admin."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.test import RequestFactory

from subjects.datamap import datamap
from tests.subjects.factories import DataSubjectFactory, UserFactory

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


def test_a_staff_login_can_be_deleted_when_someone_leaves(admin_client):
    leaver = UserFactory(email="leaver@velux.example", is_staff=True)

    response = admin_client.post(f"/admin/velux_privacy/user/{leaver.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not type(leaver).objects.filter(pk=leaver.pk).exists()
