import pytest
from allauth.account.models import EmailAddress

from subjects.services import subject_link_login
from tests.subjects.factories import DataSubjectFactory, UserFactory


@pytest.fixture
def subject(db):
    return DataSubjectFactory(email="lotte@example.com", preferred_language="nl")


@pytest.fixture
def customer(subject):
    """A signed-up login linked to `subject` (the privacy centre's sign-up links it)."""
    user = UserFactory(email=subject.email)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject_link_login(user=user, email=user.email)
    subject.refresh_from_db()
    return user


@pytest.fixture
def staff(db):
    user = UserFactory(email="agent@velux.example", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def consent_register(transactional_db):
    """The seeded registers (the policy's purposes and recipients, and the consent register),
    for transactional tests, which flush the database: the consent app is not serialised for
    them (settings.TEST_NON_SERIALIZED_APPS), and after a first transactional test the
    serialized restore cannot be counted on either (seen with pytest-django 4.11 and Django
    5.2 when a non-transactional test ran first). Both seeds are idempotent."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    importlib.import_module("subjects.migrations.0002_seed_registers").seed_registers(apps, editor)
    importlib.import_module("consent.migrations.0002_seed_consent_register").seed(apps, editor)
