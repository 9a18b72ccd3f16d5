"""Restrictions (GDPR Art. 18) and objections (Art. 21) recorded on the subject, and the
scheduled erasures that a restriction keeps back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subjects.datamap import KeepReason
from subjects.models import DataSubject, ErasurePending, ProcessingLimit, PurposeCode
from subjects.selectors import subject_processing_allowed
from subjects.services import (
    ErasureCause,
    ProcessingLimitRefused,
    processing_limit_set,
    processing_limits_end,
    subject_erase,
)
from tests.subjects.factories import DataSubjectFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

P = PurposeCode


def _restrict(subject, **overrides):
    arguments = {
        "subject": subject,
        "kind": ProcessingLimit.Kind.RESTRICTION,
        "purposes": [""],
        "reason": "Accuracy contested",
        "reference": "R-TEST-1",
    }
    return processing_limit_set(**{**arguments, **overrides})


def test_a_restriction_of_every_purpose_stops_business_development_and_surveys():
    subject = DataSubjectFactory()

    _restrict(subject)

    assert not subject_processing_allowed(subject=subject, purpose=P.BUSINESS_DEVELOPMENT)
    assert not subject_processing_allowed(subject=subject, purpose=P.SURVEYS)


def test_setting_the_same_limit_again_records_nothing_new():
    subject = DataSubjectFactory()
    first = _restrict(subject, purposes=[P.SURVEYS])

    again = _restrict(subject, purposes=[P.SURVEYS], reason="other words")

    assert [limit.pk for limit in again] == [limit.pk for limit in first]
    assert ProcessingLimit.objects.filter(subject=subject).count() == 1
    assert ProcessingLimit.objects.get(subject=subject).reason == "Accuracy contested"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"kind": "ban"}, "unknown_kind"),
        ({"purposes": ["astrology"]}, "unknown_purpose"),
        ({"purposes": []}, "unknown_purpose"),
        ({"reason": "  "}, "reason_required"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "end_before_start"),
    ],
)
def test_a_limit_that_makes_no_sense_is_refused_and_nothing_recorded(overrides, code):
    subject = DataSubjectFactory()

    with pytest.raises(ProcessingLimitRefused) as refused:
        _restrict(subject, **overrides)

    assert refused.value.code == code
    assert not ProcessingLimit.objects.exists()


def test_a_limit_ended_ahead_holds_until_then():
    subject = DataSubjectFactory()
    now = timezone.now()
    _restrict(subject, now=now)
    ends_at = now + timedelta(days=7)

    still = processing_limits_end(subject=subject, reference="R-TEST-1", ends_at=ends_at, now=now)

    assert len(still) == 1
    assert not subject_processing_allowed(subject=subject, purpose=P.SURVEYS, now=now)
    assert subject_processing_allowed(
        subject=subject, purpose=P.SURVEYS, now=ends_at + timedelta(seconds=1)
    )


def test_a_scheduled_erasure_keeps_back_a_restricted_persons_data():
    subject = DataSubjectFactory()
    SurveyResponseFactory(subject=subject)
    _restrict(subject)

    summary = subject_erase(subject=subject, cause=ErasureCause(kind="inactivity", reference="7"))

    assert summary.held_by == (KeepReason.RESTRICTION,)
    assert DataSubject.objects.filter(pk=subject.pk).exists()
    assert subject.survey_responses.count() == 1
    assert ErasurePending.objects.filter(subject=subject).exists()


def test_the_persons_own_erasure_request_passes_over_their_restriction():
    subject = DataSubjectFactory()
    SurveyResponseFactory(subject=subject)
    _restrict(subject)

    subject_erase(
        subject=subject,
        cause=ErasureCause(kind="rights_request", reference="R-ERASE"),
        ignore_holds=[KeepReason.RESTRICTION],
    )

    assert not DataSubject.objects.filter(pk=subject.pk).exists()


def test_an_objection_keeps_nothing_back_from_erasure():
    subject = DataSubjectFactory()
    _restrict(subject, kind=ProcessingLimit.Kind.OBJECTION, purposes=[P.SURVEYS])

    subject_erase(subject=subject, cause=ErasureCause(kind="inactivity", reference="7"))

    assert not DataSubject.objects.filter(pk=subject.pk).exists()


def test_a_limit_set_by_a_rights_request_cannot_be_ended_in_the_subject_admin():
    """Only the request's "Lift" ends it: it tells the person first (Art. 18(3))."""
    from django.urls import reverse

    from tests.staff import staff_client_for
    from tests.subjects.factories import UserFactory

    staff = UserFactory(email="root@velux.example", is_staff=True, is_superuser=True)
    subject = DataSubjectFactory()
    (limit,) = _restrict(subject)
    url = reverse("admin:subjects_processinglimit_change", args=[limit.pk])
    client = staff_client_for(staff)

    client.post(
        url,
        {
            "subject": subject.pk,
            "kind": limit.kind,
            "purpose": "",
            "reason": "x",
            "reference": limit.reference,
            "started_at_0": "2026-01-01",
            "started_at_1": "00:00:00",
            "ended_at_0": "2026-01-02",
            "ended_at_1": "00:00:00",
        },
    )

    limit.refresh_from_db()
    assert limit.ended_at is None
    assert limit.reason == "Accuracy contested"
