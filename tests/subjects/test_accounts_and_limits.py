"""Linking a verified login to its data subject; restrictions and objections in force."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress

from subjects.models import DataSubject, ProcessingLimit, PurposeCode
from subjects.selectors import subject_processing_allowed
from subjects.services import (
    SubjectLinkRefused,
    subject_get_or_create_for_email,
    subject_link_login,
)
from tests.subjects.factories import DataSubjectFactory, ProcessingLimitFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def _verified_login(email: str, **fields):
    user = UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_a_confirmed_address_finds_the_existing_subject_whatever_its_case():
    subject = DataSubjectFactory(email="an.peeters@example.be")

    found = subject_get_or_create_for_email(email="  An.Peeters@Example.BE ", language="fr")

    assert found == subject
    assert found.preferred_language == "nl"  # an existing subject keeps its language


def test_a_confirmed_address_unknown_to_velux_makes_a_subject_in_the_given_language():
    created = subject_get_or_create_for_email(email="New@Example.be", language="fr")

    assert (created.email, created.preferred_language) == ("new@example.be", "fr")
    assert DataSubject.objects.count() == 1


def test_a_verified_login_is_linked_to_the_subject_of_its_address():
    subject = DataSubjectFactory(email="an@example.be")
    user = _verified_login("an@example.be")

    linked = subject_link_login(user=user, email="an@example.be")

    assert linked == subject
    subject.refresh_from_db()
    assert subject.user == user
    assert subject_link_login(user=user, email="an@example.be") == subject  # twice: no change


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("unverified", "email_not_verified"),
        ("staff", "staff_login"),
        ("other_login", "subject_has_another_login"),
    ],
)
def test_a_link_is_refused_unless_it_is_the_customers_own_verified_address(setup, code):
    subject = DataSubjectFactory(email="an@example.be")
    if setup == "unverified":
        user = UserFactory(email="an@example.be")
        EmailAddress.objects.create(user=user, email="an@example.be", verified=False)
    elif setup == "staff":
        user = _verified_login("an@example.be", is_staff=True)
    else:
        subject.user = UserFactory(email="old@example.be")
        subject.save()
        user = _verified_login("an@example.be")

    with pytest.raises(SubjectLinkRefused) as refused:
        subject_link_login(user=user, email="an@example.be")

    assert refused.value.code == code
    subject.refresh_from_db()
    assert subject.user != user


@pytest.mark.parametrize(
    ("kind", "limited_purpose", "asked", "allowed"),
    [
        (
            ProcessingLimit.Kind.OBJECTION,
            PurposeCode.BUSINESS_DEVELOPMENT,
            "business_development",
            False,
        ),
        (ProcessingLimit.Kind.OBJECTION, PurposeCode.BUSINESS_DEVELOPMENT, "surveys", True),
        (ProcessingLimit.Kind.RESTRICTION, "", "surveys", False),
        (ProcessingLimit.Kind.RESTRICTION, "", "commercial_communication", False),
    ],
)
def test_processing_is_allowed_unless_a_limit_covers_the_purpose(
    kind, limited_purpose, asked, allowed
):
    subject = DataSubjectFactory()
    ProcessingLimitFactory(subject=subject, kind=kind, purpose=limited_purpose, started_at=NOW)

    assert subject_processing_allowed(subject=subject, purpose=asked, now=NOW) is allowed


@pytest.mark.parametrize(
    ("started", "ended", "allowed"),
    [
        (NOW - dt.timedelta(days=5), NOW - dt.timedelta(days=1), True),  # ended
        (NOW + dt.timedelta(days=1), None, True),  # not started yet
        (NOW - dt.timedelta(days=5), NOW + dt.timedelta(days=1), False),  # ends later
    ],
)
def test_a_limit_holds_from_its_start_until_its_end(started, ended, allowed):
    subject = DataSubjectFactory()
    ProcessingLimitFactory(subject=subject, purpose="", started_at=started, ended_at=ended)

    assert subject_processing_allowed(subject=subject, purpose="surveys", now=NOW) is allowed


def test_another_persons_limit_does_not_limit_this_person():
    ProcessingLimitFactory(purpose="", started_at=NOW - dt.timedelta(days=1))
    subject = DataSubjectFactory()

    assert subject_processing_allowed(subject=subject, purpose="surveys", now=NOW) is True
