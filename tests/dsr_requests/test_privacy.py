"""Rights requests in the data map: what an erasure keeps as proof, what it takes, the hold of
an open access request, and the audit trail that nothing changes."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from dsr_requests import services
from dsr_requests.models import (
    AuditEvent,
    NotificationSend,
    RequestAttachment,
    RequestMessage,
    RequestPause,
    RightsRequest,
)
from dsr_requests.tasks import attachment_files_sweep_task
from dsr_requests.workflow import Kind, State
from subjects.datamap import KeepReason
from subjects.models import DataSubject
from subjects.selectors import subject_data_collect
from subjects.services import ErasureCause, subject_erase
from tests.subjects.test_services import _text_left_anywhere as text_left_anywhere
from velux_privacy.appendonly import AppendOnlyError

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
MARK = "Qwyxzv"
CAUSE = ErasureCause(kind="rights_request", reference="VP-2027-ERASE1")


def _closed_request_with_everything(received, dpo):
    rights_request = received(
        NOW,
        kind=Kind.COMPLAINT,
        email=f"{MARK.lower()}@example.com",
        name=f"{MARK} Peeters",
        phone=f"+32 {MARK}",
        postal_address=f"{MARK}straat 1, 2000 Antwerpen",
        details=f"Ik klaag over {MARK}.",
        attachments=[
            (RequestAttachment.Kind.LETTER, SimpleUploadedFile(f"{MARK}.pdf", b"%PDF-1.4"))
        ],
    )
    asked = services.rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message=f"Wat bedoelt u met {MARK}?",
        now=NOW + dt.timedelta(hours=2),
    )
    answered = services.rights_request_resume(
        rights_request=asked, actor=dpo, message=f"{MARK}!", now=NOW + dt.timedelta(hours=3)
    )
    services.rights_request_note(
        rights_request=answered, actor=dpo, text=f"{MARK} gebeld.", now=NOW + dt.timedelta(hours=4)
    )
    return services.rights_request_complete(
        rights_request=answered,
        actor=dpo,
        outcome=f"Opgelost, {MARK}.",
        now=NOW + dt.timedelta(hours=5),
    )


def test_an_erasure_keeps_the_closed_request_as_proof_without_the_person(received, dpo):
    closed = _closed_request_with_everything(received, dpo)
    subject = closed.subject
    events = AuditEvent.objects.filter(rights_request=closed).count()
    assert len(text_left_anywhere(MARK)) >= 5

    summary = subject_erase(subject=subject, cause=CAUSE, now=NOW + dt.timedelta(days=2))

    assert text_left_anywhere(MARK) == []
    assert summary.subject_deleted is True
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    kept = RightsRequest.objects.get(pk=closed.pk)
    assert (kept.reference, kept.kind, kept.state, kept.received_on, kept.due_on) == (
        closed.reference,
        Kind.COMPLAINT,
        State.COMPLETED,
        closed.received_on,
        closed.due_on,
    )
    assert kept.subject is None
    assert kept.email == kept.name == kept.outcome == ""
    assert kept.anonymised_at == NOW + dt.timedelta(days=2)
    assert AuditEvent.objects.filter(rights_request=closed).count() == events
    assert RequestPause.objects.filter(rights_request=closed).count() == 1
    assert not RequestMessage.objects.filter(rights_request=closed).exists()
    assert not RequestAttachment.objects.filter(rights_request=closed).exists()
    assert summary.categories["rights_requests"].anonymised == 1
    assert summary.categories["rights_request_audit"].kept == {KeepReason.REQUEST_HANDLED: events}


def test_the_file_of_an_erased_document_is_swept_from_storage(received, dpo, time_machine):
    closed = _closed_request_with_everything(received, dpo)
    stored = closed.attachments.get().file
    name, storage = stored.name, stored.storage
    subject_erase(subject=closed.subject, cause=CAUSE, now=NOW)
    assert storage.exists(name)

    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    removed = attachment_files_sweep_task()

    assert removed == 1
    assert not storage.exists(name)


def test_the_sweep_leaves_the_files_of_documents_still_held(received, time_machine):
    rights_request = received(
        NOW,
        attachments=[(RequestAttachment.Kind.LETTER, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))],
    )
    stored = rights_request.attachments.get().file
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))

    attachment_files_sweep_task()

    assert stored.storage.exists(stored.name)


def test_an_open_access_request_holds_all_the_persons_data(received):
    rights_request = received(NOW)

    summary = subject_erase(subject=rights_request.subject, cause=CAUSE, now=NOW)

    assert summary.held_by == (KeepReason.OPEN_RIGHTS_REQUEST,)
    assert summary.subject_deleted is False
    rights_request.refresh_from_db()
    assert rights_request.email == "lotte.peeters@example.com"


def test_the_erasure_a_request_executes_passes_over_the_hold_and_keeps_the_open_request(
    received,
):
    access = received(NOW)
    erasure = received(NOW + dt.timedelta(hours=1), kind=Kind.ERASURE)

    summary = subject_erase(
        subject=erasure.subject,
        cause=CAUSE,
        now=NOW,
        ignore_holds=[KeepReason.OPEN_RIGHTS_REQUEST],
    )

    assert summary.held_by == ()
    assert summary.categories["rights_requests"].kept == {KeepReason.OPEN_RIGHTS_REQUEST: 2}
    assert (
        RightsRequest.objects.filter(pk__in=[access.pk, erasure.pk], subject__isnull=False).count()
        == 2
    )


def test_a_closed_access_request_holds_nothing(received, dpo):
    rights_request = received(NOW)
    services.rights_request_reject(
        rights_request=rights_request, actor=dpo, ground="excessive", now=NOW
    )

    summary = subject_erase(subject=rights_request.subject, cause=CAUSE, now=NOW)

    assert summary.held_by == ()
    assert summary.subject_deleted is True


def test_an_erasure_deletes_unconfirmed_web_requests_with_the_persons_address(
    django_capture_on_commit_callbacks,
):
    from tests.subjects.factories import DataSubjectFactory

    subject = DataSubjectFactory(email="lotte.peeters@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.rights_request_submit(
            kind=Kind.ACCESS, email="lotte.peeters@example.com", language="nl", now=NOW
        ).rights_request

    summary = subject_erase(subject=subject, cause=CAUSE, now=NOW)

    assert summary.categories["rights_requests"].deleted == 1
    assert not RightsRequest.objects.filter(pk=submitted.pk).exists()
    assert not NotificationSend.objects.exists()


def test_the_persons_requests_are_in_their_access_export(received):
    rights_request = received(NOW, details="Alles wat u van mij heeft.")

    data = subject_data_collect(subject=rights_request.subject)

    requests = next(c for c in data.categories if c.key == "rights_requests")
    assert requests.rows[0]["reference"] == rights_request.reference
    assert requests.rows[0]["details"] == "Alles wat u van mij heeft."


def test_the_audit_trail_refuses_changes_through_the_orm(received):
    event = AuditEvent.objects.filter(rights_request=received(NOW)).first()

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="completed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE dsr_requests_auditevent SET action = 'completed' WHERE id = %s",
        "DELETE FROM dsr_requests_auditevent WHERE id = %s",
    ],
)
def test_the_audit_trail_refuses_update_and_delete_in_sql(received, statement):
    event = AuditEvent.objects.filter(rights_request=received(NOW)).first()

    with (
        pytest.raises(DatabaseError, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_the_audit_trail_holds_no_personal_data(received, dpo):
    closed = _closed_request_with_everything(received, dpo)

    for event in AuditEvent.objects.filter(rights_request=closed):
        assert MARK.lower() not in str(event.details).lower()
        assert MARK.lower() not in event.reference.lower()
