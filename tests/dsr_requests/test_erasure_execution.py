"""Erasure requests executed (GDPR Art. 17, 19): erased through the data map once, one
receipt, the person told what was erased and kept, kept back by an open order until the
daily re-check finishes it, and the recipients' notices."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from dsr_requests.erasure import OWN_HOLDS, erasure_execute, erasure_preview_build
from dsr_requests.models import AuditAction, ExecutionStep, RecipientNotice, RightsRequest
from dsr_requests.recipient_notices import recipient_notice_tick_off
from dsr_requests.services import execution_retry, rights_request_complete
from dsr_requests.workflow import Kind, State
from retention.services import erasures_pending_finish
from subjects.datamap import datamap
from subjects.models import (
    BrowsingEvent,
    DataSubject,
    DeletionReceipt,
    ErasurePending,
    Order,
    Purpose,
    Recipient,
)
from subjects.services import subject_erasure_preview
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    LegalHoldFactory,
    OrderFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def recipients(db):
    """The register reduced to two recipients of known purposes: one with a privacy contact
    (marketing data), one without (survey answers)."""
    Recipient.objects.update(is_active=False)
    agency = Recipient.objects.create(
        name="Mailing Agency NV",
        category=Recipient.Category.SUBCONTRACTORS,
        role=Recipient.Role.PROCESSOR,
        privacy_contact_email="privacy@mailing.example",
    )
    agency.purposes.set(Purpose.objects.filter(code="commercial_communication"))
    surveys = Recipient.objects.create(
        name="Survey Panel BV",
        category=Recipient.Category.ANALYTICS,
        role=Recipient.Role.PROCESSOR,
    )
    surveys.purposes.set(Purpose.objects.filter(code="surveys"))
    return {"agency": agency, "surveys": surveys}


@pytest.fixture
def erasure_request(received):
    def make(subject: DataSubject, **fields) -> RightsRequest:
        return received(
            NOW - dt.timedelta(days=2),
            kind=Kind.ERASURE,
            email=subject.email,
            language=fields.pop("language", "nl"),
            now=NOW - dt.timedelta(days=2),
            **fields,
        )

    return make


def _complete(rights_request, dpo, capture):
    with capture(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    rights_request.refresh_from_db()
    return rights_request


def test_erasure_leaves_nothing_outside_keep_reasons_and_one_receipt_receipt_check_finds(
    erasure_request, dpo, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="lotte.peeters@example.com")
    BrowsingEventFactory.create_batch(3, subject=subject)
    SurveyResponseFactory(subject=subject)
    rights_request = erasure_request(subject)
    assert rights_request.subject_id == subject.pk

    rights_request = _complete(rights_request, dpo, django_capture_on_commit_callbacks)

    # What is left is only what a keep reason keeps: the request itself while it is open
    # (and the identity and pending record it points at). Run now, the erasure would erase
    # nothing more, and each category's rows left are exactly those it keeps.
    left = subject_erasure_preview(subject=subject, ignore_holds=OWN_HOLDS)
    assert (left.rows_deleted, left.rows_anonymised) == (0, 0)
    for category in datamap.categories():
        rows = category.rows_for(subject).count()
        kept = left.categories[category.key].kept_total if category.key in left.categories else 0
        assert rows == kept, category.key
    assert set(left.kept_for()) <= {"open_rights_request", "linked_data_kept"}
    assert BrowsingEvent.objects.count() == 0
    receipt = DeletionReceipt.objects.get()
    assert (receipt.cause, receipt.cause_reference) == ("rights_request", rights_request.reference)
    assert receipt.summary["categories"]["browsing_history"]["deleted"] == 3
    out = StringIO()
    call_command("receipt_check", "LOTTE.Peeters@example.com", stdout=out)
    assert rights_request.reference in out.getvalue()
    step = ExecutionStep.objects.get(rights_request=rights_request, name="erase")
    assert step.status == ExecutionStep.Status.DONE


def test_a_rerun_of_the_erasure_task_does_no_harm_one_receipt(
    erasure_request, dpo, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    rights_request = _complete(erasure_request(subject), dpo, django_capture_on_commit_callbacks)
    # The step done: a redelivered task skips it; and the erasure run again directly erases
    # nothing more, writing no receipt.
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(rights_request_id=rights_request.pk)
        ExecutionStep.objects.filter(rights_request=rights_request).update(status="pending")
        erasure_execute(rights_request_id=rights_request.pk)

    assert DeletionReceipt.objects.count() == 1
    assert (
        rights_request.audit_events.filter(action=AuditAction.ERASURE_EXECUTED).count() == 2
    )  # the second run found nothing to erase
    assert DeletionReceipt.objects.get().summary["categories"]["browsing_history"]["deleted"] == 1


def test_without_recipients_the_request_completes_and_the_person_is_told_in_their_language(
    erasure_request, dpo, django_capture_on_commit_callbacks, recipients
):
    Recipient.objects.update(is_active=False)
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, placed_at=NOW, delivered_at=NOW, invoiced_on=NOW.date())
    BrowsingEventFactory(subject=subject)
    rights_request = erasure_request(subject, language="fr")
    mail.outbox.clear()

    rights_request = _complete(rights_request, dpo, django_capture_on_commit_callbacks)

    assert rights_request.state == State.COMPLETED
    text = rights_request.outcome
    assert text.startswith("Ce que nous avons effacé :")
    assert "historique de navigation : 1 élément supprimé" in text
    completion = mail.outbox[-1]
    assert rights_request.reference in completion.subject
    # The order is in the books: kept without name and address, with the law and the period.
    assert Order.objects.get().subject_id is None
    assert "III.88" in text


def test_an_erasure_kept_back_by_an_open_order_completes_when_the_order_closes(
    erasure_request, dpo, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(NOW)
    Recipient.objects.update(is_active=False)
    subject = DataSubjectFactory()
    order = OrderFactory(subject=subject, status=Order.Status.OPEN, placed_at=NOW)
    BrowsingEventFactory(subject=subject)
    rights_request = _complete(erasure_request(subject), dpo, django_capture_on_commit_callbacks)

    assert rights_request.state == State.IN_PROGRESS
    assert not BrowsingEvent.objects.exists()
    waiting = rights_request.audit_events.get(action=AuditAction.ERASURE_WAITING)
    assert waiting.details == {"kept_for": ["open_order"]}
    # Still open the next day: nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        erasures_pending_finish(now=NOW + dt.timedelta(days=1))
    rights_request.refresh_from_db()
    assert rights_request.state == State.IN_PROGRESS

    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.CLOSED, placed_at=NOW - dt.timedelta(days=365 * 11)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        erasures_pending_finish(now=NOW + dt.timedelta(days=2))
    rights_request.refresh_from_db()

    assert rights_request.state == State.COMPLETED
    assert not Order.objects.filter(subject=subject).exists()
    assert mail.outbox
    assert rights_request.reference in mail.outbox[-1].subject
    # The next re-check, the request closed, erases what it kept: the person is gone.
    with django_capture_on_commit_callbacks(execute=True):
        erasures_pending_finish(now=NOW + dt.timedelta(days=3))
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert not ErasurePending.objects.exists()
    rights_request.refresh_from_db()
    assert rights_request.anonymised_at is not None


def test_recipients_of_the_erased_categories_get_notices_and_the_request_waits_for_them(
    erasure_request, dpo, django_capture_on_commit_callbacks, recipients
):
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    SurveyResponseFactory(subject=subject)
    mail.outbox.clear()
    rights_request = _complete(erasure_request(subject), dpo, django_capture_on_commit_callbacks)

    notices = {n.recipient.name: n for n in rights_request.recipient_notices.all()}
    assert set(notices) == {"Mailing Agency NV", "Survey Panel BV"}
    assert notices["Survey Panel BV"].categories == ["survey_responses"]
    assert "browsing_history" in notices["Mailing Agency NV"].categories
    assert rights_request.state == State.IN_PROGRESS
    sent = [m for m in mail.outbox if m.to == ["privacy@mailing.example"]]
    assert len(sent) == 1
    assert subject.email in sent[0].body
    assert "/recipient-notice/" in sent[0].body
    assert notices["Survey Panel BV"].contact_email == ""  # staff tick it off

    with django_capture_on_commit_callbacks(execute=True):
        for notice in notices.values():
            recipient_notice_tick_off(
                notice=notice, actor=dpo, answer=RecipientNotice.Answer.ERASED, note="By phone."
            )
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    answered = rights_request.audit_events.filter(action=AuditAction.RECIPIENT_ANSWERED)
    assert answered.count() == 2
    assert {e.details["via"] for e in answered} == {"staff"}


def test_a_recipient_taking_data_only_with_consent_is_told_only_if_the_person_consented(
    erasure_request, dpo, django_capture_on_commit_callbacks, recipients
):
    recipients["agency"].requires_consent = True
    recipients["agency"].save()
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    rights_request = _complete(erasure_request(subject), dpo, django_capture_on_commit_callbacks)

    assert not rights_request.recipient_notices.exists()
    assert rights_request.state == State.COMPLETED


def test_the_request_page_shows_the_preview_before_complete(erasure_request, dpo, recipients):
    from tests.staff import staff_client_for

    subject = DataSubjectFactory()
    BrowsingEventFactory.create_batch(2, subject=subject)
    OrderFactory(subject=subject, status=Order.Status.OPEN, placed_at=NOW)
    rights_request = erasure_request(subject)
    report = erasure_preview_build(rights_request=rights_request)
    assert [line.key for line in report.deleted] == ["browsing_history"]
    assert {line.key for line in report.kept} >= {"orders"}

    page = staff_client_for(dpo).get(
        f"/admin/dsr_requests/rightsrequest/{rights_request.pk}/change/"
    )
    content = page.content.decode()
    assert page.status_code == 200
    assert "What “Complete” will erase" in content
    assert "an open order (§2.3)" in content
    assert BrowsingEvent.objects.count() == 2  # the preview changed nothing


def test_a_legal_hold_stops_the_erasure_and_the_person_is_told_why(
    erasure_request, dpo, django_capture_on_commit_callbacks
):
    Recipient.objects.update(is_active=False)
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    LegalHoldFactory(subject=subject, released_at=None)
    rights_request = _complete(
        erasure_request(subject, language="en"), dpo, django_capture_on_commit_callbacks
    )

    # A legal hold does not end by itself: the request is answered, the erasure stays pending.
    assert rights_request.state == State.COMPLETED
    assert BrowsingEvent.objects.count() == 1
    assert "a legal hold (§2.8)" in rights_request.outcome
    assert not DeletionReceipt.objects.exists()
    assert ErasurePending.objects.get(subject=subject).kept_for == ["legal_hold"]


def test_the_file_of_an_answer_whose_notice_is_gone_is_swept(settings, time_machine):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from dsr_requests.tasks import recipient_notices_follow_up_task

    path = default_storage.save("recipient_notices/2026/orphan.pdf", ContentFile(b"%PDF-1.4"))
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    done = recipient_notices_follow_up_task()

    assert done["files_deleted"] == 1
    assert not default_storage.exists(path)


def test_an_open_access_request_of_the_person_is_answered_before_the_erasure(
    erasure_request, received, dpo, django_capture_on_commit_callbacks
):
    Recipient.objects.update(is_active=False)
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    access = received(NOW - dt.timedelta(days=3), kind=Kind.ACCESS, email=subject.email)
    rights_request = _complete(erasure_request(subject), dpo, django_capture_on_commit_callbacks)

    step = ExecutionStep.objects.get(rights_request=rights_request, name="erase")
    assert step.status == ExecutionStep.Status.FAILED
    assert "access_request_open" in step.error
    assert BrowsingEvent.objects.count() == 1
    assert not DeletionReceipt.objects.exists()

    RightsRequest.objects.filter(pk=access.pk).update(state=State.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        execution_retry(rights_request=rights_request, actor=dpo)
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    assert BrowsingEvent.objects.count() == 0
