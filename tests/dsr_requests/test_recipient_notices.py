"""GDPR Art. 19 notices: the recipient's form from the e-mailed link, its expired or tampered
links, a second answer refused, reminders every 5 days and the escalation to the DPO at 14."""

import datetime as dt

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dsr_requests.models import AuditAction, AuditEvent, RecipientNotice
from dsr_requests.recipient_notices import (
    RECIPIENT_NOTICE_SALT,
    recipient_notice_token_make,
    recipient_notices_ensure,
    recipient_notices_follow_up,
)
from dsr_requests.workflow import Kind, State
from subjects.models import Purpose, Recipient
from tests.dsr_requests.factories import RightsRequestFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def notice(db, dpo, django_capture_on_commit_callbacks):
    """An erasure request in progress with one e-mailed notice (marketing data)."""
    Recipient.objects.update(is_active=False)
    agency = Recipient.objects.create(
        name="Mailing Agency NV",
        category=Recipient.Category.SUBCONTRACTORS,
        role=Recipient.Role.PROCESSOR,
        privacy_contact_email="privacy@mailing.example",
    )
    agency.purposes.set(Purpose.objects.filter(code="commercial_communication"))
    rights_request = RightsRequestFactory(kind=Kind.ERASURE, state=State.IN_PROGRESS, assignee=dpo)
    AuditEvent.objects.create(
        rights_request=rights_request,
        reference=rights_request.reference,
        action=AuditAction.ERASURE_EXECUTED,
        actor_kind=AuditEvent.ActorKind.SYSTEM,
        from_state=State.IN_PROGRESS,
        to_state=State.IN_PROGRESS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        (made,) = recipient_notices_ensure(
            rights_request=rights_request,
            reason=RecipientNotice.Reason.ERASURE,
            category_keys=["browsing_history"],
            consented_purposes=set(),
            now=NOW,
        )
    made.refresh_from_db()
    return made


def _url(notice, token=None):
    token = token or recipient_notice_token_make(notice)
    return reverse("dsr_requests:recipient_notice", kwargs={"token": token})


def test_the_notice_is_emailed_with_a_link_to_the_form(notice, client):
    (sent,) = [m for m in mail.outbox if m.to == ["privacy@mailing.example"]]
    assert notice.rights_request.reference in sent.subject
    link = next(line for line in sent.body.splitlines() if "/recipient-notice/" in line)
    page = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert "Mailing Agency NV" in page.content.decode()
    assert notice.rights_request.email not in page.content.decode()  # only in the e-mail


def test_the_form_answered_closes_the_notice_with_its_file_and_an_audit_event(notice, client):
    upload = SimpleUploadedFile("proof.pdf", b"%PDF-1.4 erased", content_type="application/pdf")
    page = client.post(
        _url(notice), {"answer": "erased", "note": "Deleted from our CRM.", "file": upload}
    )

    assert page.status_code == 200
    assert "Thank you" in page.content.decode()
    notice.refresh_from_db()
    assert (notice.answer, notice.answered_via, notice.note) == (
        "erased",
        "form",
        "Deleted from our CRM.",
    )
    assert notice.file.name.startswith("recipient_notices/")
    assert notice.file_type == "application/pdf"
    event = notice.rights_request.audit_events.get(action=AuditAction.RECIPIENT_ANSWERED)
    assert event.details["answer"] == "erased"
    assert event.details["via"] == "form"
    # The request completes with its last notice answered.
    notice.rights_request.refresh_from_db()
    assert notice.rights_request.state == State.COMPLETED


def test_a_second_answer_after_the_final_one_is_refused_clearly(notice, client):
    url = _url(notice)
    client.post(url, {"answer": "none_held"})
    again = client.post(url, {"answer": "erased"})

    assert again.status_code == 409
    assert "answered already" in again.content.decode()
    notice.refresh_from_db()
    assert notice.answer == "none_held"
    assert (
        notice.rights_request.audit_events.filter(action=AuditAction.RECIPIENT_ANSWERED).count()
        == 1
    )


@pytest.mark.parametrize("change", ["tampered", "expired", "other_nonce"])
def test_an_expired_or_tampered_link_does_nothing(notice, client, settings, time_machine, change):
    token = recipient_notice_token_make(notice)
    if change == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif change == "other_nonce":
        token = signing.dumps([notice.pk, "guessed"], salt=RECIPIENT_NOTICE_SALT)
    else:
        time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    get = client.get(_url(notice, token))
    post = client.post(_url(notice, token), {"answer": "erased"})

    expected = 410 if change == "expired" else 404
    assert (get.status_code, post.status_code) == (expected, expected)
    notice.refresh_from_db()
    assert not notice.is_answered
    assert not notice.rights_request.audit_events.filter(
        action=AuditAction.RECIPIENT_ANSWERED
    ).exists()


def test_could_not_needs_a_reason_and_a_wrong_file_is_refused_losing_nothing(notice, client):
    page = client.post(_url(notice), {"answer": "could_not", "note": ""})
    assert page.status_code == 400
    assert "Say why it could not be done." in page.content.decode()
    fake = SimpleUploadedFile("proof.pdf", b"MZ not a pdf", content_type="application/pdf")
    page = client.post(_url(notice), {"answer": "erased", "note": "Done.", "file": fake})
    assert page.status_code == 400
    assert "Done." in page.content.decode()  # what was typed is still there
    notice.refresh_from_db()
    assert not notice.is_answered


def test_reminders_every_5_days_and_escalation_to_the_dpo_at_14_days(
    notice, dpo, django_capture_on_commit_callbacks, time_machine
):
    RecipientNotice.objects.filter(pk=notice.pk).update(sent_at=NOW, created_at=NOW)
    mail.outbox.clear()

    def follow_up(days):
        time_machine.move_to(NOW + dt.timedelta(days=days))  # the sends record this time
        with django_capture_on_commit_callbacks(execute=True):
            return recipient_notices_follow_up(now=NOW + dt.timedelta(days=days))

    assert follow_up(4).reminded == 0
    assert follow_up(5).reminded == 1
    assert follow_up(9).reminded == 0  # 5 days after the last e-mail, not after the first
    assert follow_up(10).reminded == 1
    assert follow_up(13).escalated == 0
    done = follow_up(14)
    again = follow_up(14)

    assert (done.escalated, again.escalated) == (1, 0)
    notice.refresh_from_db()
    assert notice.reminders == 2
    assert notice.escalated_at == NOW + dt.timedelta(days=14)
    to_recipient = [m for m in mail.outbox if m.to == ["privacy@mailing.example"]]
    assert len(to_recipient) == 2
    assert all("Reminder" in m.subject for m in to_recipient)
    (to_dpo,) = [m for m in mail.outbox if m.to == [dpo.email]]
    assert notice.rights_request.reference in to_dpo.subject
    actions = list(
        notice.rights_request.audit_events.filter(
            action__in=[AuditAction.RECIPIENT_REMINDED, AuditAction.RECIPIENT_ESCALATED]
        ).values_list("action", flat=True)
    )
    assert actions == ["recipient_reminded", "recipient_reminded", "recipient_escalated"]


def test_an_answered_notice_is_neither_reminded_nor_escalated(notice, client):
    client.post(_url(notice), {"answer": "erased"})
    done = recipient_notices_follow_up(now=NOW + dt.timedelta(days=20))
    assert (done.reminded, done.escalated) == (0, 0)
