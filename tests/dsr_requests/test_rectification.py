"""Rectification requests (GDPR Art. 16, 19): the person's values field by field, decided by
staff, applied through the data map, the recipients told, the person told what was applied
and what refused and why."""

import datetime as dt

import pytest
from django.urls import reverse

from dsr_requests.models import AuditAction, ExecutionStep, RectificationItem
from dsr_requests.recipient_notices import recipient_notice_tick_off
from dsr_requests.rectification import (
    RectificationInvalid,
    rectification_item_decide,
    rectification_items_propose,
)
from dsr_requests.services import execution_retry, rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.models import DataSubject, Purpose, Recipient
from subjects.services import Correction, RectificationRefused, subject_rectify
from tests.staff import staff_client_for
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def installer(db):
    """The register reduced to one recipient of order data, without a privacy contact."""
    Recipient.objects.update(is_active=False)
    recipient = Recipient.objects.create(
        name="Installateur Janssens",
        category=Recipient.Category.INSTALLERS_DISTRIBUTORS,
        role=Recipient.Role.THIRD_PARTY,
    )
    recipient.purposes.set(Purpose.objects.filter(code="customers"))
    return recipient


@pytest.fixture
def rectification(received):
    subject = DataSubjectFactory(
        email="lotte.peeters@example.com", last_name="Peters", city="Antwerpen"
    )
    rights_request = received(
        NOW - dt.timedelta(days=1),
        kind=Kind.RECTIFICATION,
        email=subject.email,
        language="en",
        now=NOW - dt.timedelta(days=1),
    )
    return subject, rights_request


def test_rectification_applied_field_by_field_and_a_rejected_one_left_alone(
    rectification, dpo, installer, django_capture_on_commit_callbacks
):
    subject, rights_request = rectification
    last_name, city = rectification_items_propose(
        rights_request=rights_request,
        items=[("identity", "last_name", "Peeters"), ("identity", "city", "Gent")],
    )
    assert (last_name.current_value, last_name.proposed_value) == ("Peters", "Peeters")
    rectification_item_decide(item=last_name, actor=dpo, accepted=True)
    rectification_item_decide(
        item=city, actor=dpo, accepted=False, reason="Your order was delivered in Antwerpen."
    )
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)

    subject.refresh_from_db()
    assert (subject.last_name, subject.city) == ("Peeters", "Antwerpen")
    rights_request.refresh_from_db()
    # The identity serves every purpose: the installer (orders) is told, staff tick it off.
    (notice,) = rights_request.recipient_notices.all()
    assert (notice.recipient, notice.reason) == (installer, "rectification")
    assert rights_request.state == State.IN_PROGRESS
    with django_capture_on_commit_callbacks(execute=True):
        recipient_notice_tick_off(notice=notice, actor=dpo, answer="erased", note="Mailed.")
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    assert "Last name: now “Peeters”" in rights_request.outcome
    assert "Your order was delivered in Antwerpen." in rights_request.outcome
    decided = rights_request.audit_events.filter(action=AuditAction.CORRECTION_DECIDED)
    assert sorted(e.details["decision"] for e in decided) == ["accepted", "rejected"]


@pytest.mark.parametrize(
    ("item", "code_or_message"),
    [
        (("identity", "email", "new@example.com"), "cannot be corrected"),
        (("identity", "created_at", "2020-01-01"), "cannot be corrected"),
        (("nonsense", "field", "x"), "does not hold this kind of data"),
        (("identity", "postal_code", "1" * 40), "at most 16 characters"),
        (("identity", "preferred_language", "xx"), "is not a valid choice"),
    ],
)
def test_a_field_not_rectifiable_or_a_bad_value_is_refused_and_nothing_is_filed(
    rectification, item, code_or_message
):
    _subject, rights_request = rectification
    with pytest.raises(RectificationInvalid) as refused:
        rectification_items_propose(
            rights_request=rights_request, items=[("identity", "first_name", "Lotte"), item]
        )
    name = f"{item[0]}.{item[1]}"
    assert code_or_message in " ".join(refused.value.fields[name])
    assert not RectificationItem.objects.exists()


def test_subject_rectify_with_one_bad_value_changes_nothing():
    subject = DataSubjectFactory(first_name="Lotte", postal_code="2000")
    with pytest.raises(RectificationRefused) as refused:
        subject_rectify(
            subject=subject,
            changes=[
                Correction("identity", "first_name", subject.pk, "Charlotte"),
                Correction("identity", "postal_code", subject.pk, "9" * 40),
            ],
        )
    assert "postal_code" in refused.value.fields
    subject.refresh_from_db()
    assert (subject.first_name, subject.postal_code) == ("Lotte", "2000")
    assert DataSubject.objects.get(pk=subject.pk).first_name == "Lotte"


def test_an_undecided_correction_fails_the_step_and_a_retry_after_deciding_applies(
    rectification, dpo, installer, django_capture_on_commit_callbacks
):
    Recipient.objects.update(is_active=False)
    subject, rights_request = rectification
    (item,) = rectification_items_propose(
        rights_request=rights_request, items=[("identity", "last_name", "Peeters")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    step = ExecutionStep.objects.get(rights_request=rights_request, name="apply")
    assert step.status == ExecutionStep.Status.FAILED
    assert "corrections_undecided" in step.error
    subject.refresh_from_db()
    assert subject.last_name == "Peters"

    rectification_item_decide(item=item, actor=dpo, accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        execution_retry(rights_request=rights_request, actor=dpo)

    subject.refresh_from_db()
    rights_request.refresh_from_db()
    assert subject.last_name == "Peeters"
    assert rights_request.state == State.COMPLETED


def test_staff_decide_on_the_request_page_and_a_rejection_needs_its_reason(rectification, dpo):
    _subject, rights_request = rectification
    (item,) = rectification_items_propose(
        rights_request=rights_request, items=[("identity", "city", "Gent")]
    )
    client = staff_client_for(dpo)
    page = client.get(reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk]))
    assert "Proposed corrections" in page.content.decode()
    url = reverse("admin:dsr_requests_rectificationitem_decide", args=[item.pk])
    assert url in page.content.decode()

    refused = client.post(url, {"decision": "rejected", "reason": ""})
    assert refused.status_code == 200
    assert "the person is told" in refused.content.decode()
    item.refresh_from_db()
    assert item.decision == ""
    done = client.post(url, {"decision": "accepted", "reason": ""})
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("accepted", dpo)
