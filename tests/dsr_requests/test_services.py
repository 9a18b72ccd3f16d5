"""Rights requests from intake to answer: each step a service that checks who acts, writes an
audit event in the same transaction and e-mails the person after commit."""

import datetime as dt
import smtplib

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from dsr_requests import execution, services
from dsr_requests.exceptions import (
    AttachmentRefused,
    ConfirmationInvalid,
    IntakeInvalid,
    NotAllowed,
    RightsRequestError,
    TransitionRefused,
)
from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    NotificationSend,
    RequestAttachment,
    RequestMessage,
    RequestPause,
    RightsRequest,
)
from dsr_requests.selectors import confirmation_token_make
from dsr_requests.workflow import Kind, State
from subjects.models import DataSubject
from tests.subjects.factories import DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)  # "now" in these tests: a day after NOW
Method = RightsRequest.IdentityMethod


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(LATER, tick=False)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the services enqueue after commit (the e-mails), as production does."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def _submit(on_commit, **fields):
    defaults = {
        "kind": Kind.ACCESS,
        "email": "Lotte.Peeters@Example.com ",
        "language": "nl",
        "details": "Graag een kopie van alles.",
        "now": NOW,
    }
    return on_commit(services.rights_request_submit, **{**defaults, **fields})


def _token_from(message) -> str:
    link = next(line for line in message.body.splitlines() if "/requests/confirm/" in line)
    return link.strip().rstrip("/").rsplit("/", 1)[-1]


def _trail(rights_request) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(rights_request=rights_request).values_list(
            "action", "from_state", "to_state"
        )
    )


# Intake on the web


def test_a_web_request_waits_for_confirmation_from_the_address_it_concerns(on_commit, mailoutbox):
    submission = _submit(on_commit)

    rights_request = submission.rights_request
    assert submission.needs_confirmation is True
    assert rights_request.state == State.UNCONFIRMED
    assert rights_request.email == "lotte.peeters@example.com"
    assert rights_request.subject is None
    assert not DataSubject.objects.exists()
    assert rights_request.reference.startswith("VP-2027-")
    assert AuditEvent.objects.count() == 0
    [message] = mailoutbox
    assert message.to == ["lotte.peeters@example.com"]
    assert "/nl/requests/confirm/" in message.body
    assert rights_request.notifications.get().status == NotificationSend.Status.SENT


def test_confirming_makes_it_a_verified_request_received_when_it_was_submitted(
    on_commit, mailoutbox
):
    rights_request = _submit(on_commit).rights_request
    token = _token_from(mailoutbox[0])
    confirmed_at = NOW + dt.timedelta(days=2)

    confirmed = on_commit(services.rights_request_confirm, token=token, now=confirmed_at)

    assert confirmed.pk == rights_request.pk
    assert confirmed.state == State.VERIFIED
    assert confirmed.identity_method == Method.EMAIL_CONFIRMED
    assert confirmed.subject == DataSubject.objects.get(email="lotte.peeters@example.com")
    assert confirmed.received_at == NOW
    # The two days waiting for the confirmation paused the clock (identity): 1 April + 2.
    pause = confirmed.pauses.get()
    assert (pause.reason, pause.started_at, pause.ended_at) == (
        RequestPause.Reason.IDENTITY,
        NOW,
        confirmed_at,
    )
    assert confirmed.due_on == dt.date(2027, 4, 5)  # 3 April is a Saturday
    assert _trail(confirmed) == [
        (AuditAction.RECEIVED, State.UNCONFIRMED, State.RECEIVED),
        (AuditAction.IDENTITY_VERIFIED, State.RECEIVED, State.VERIFIED),
    ]
    assert set(confirmed.audit_events.values_list("actor_kind", flat=True)) == {"person"}
    acknowledgement = mailoutbox[1]
    assert confirmed.reference in acknowledgement.subject
    assert "5 april 2027" in acknowledgement.body


def test_a_confirmation_link_works_once(on_commit, mailoutbox):
    _submit(on_commit)
    token = _token_from(mailoutbox[0])
    on_commit(services.rights_request_confirm, token=token, now=NOW)

    with pytest.raises(ConfirmationInvalid):
        services.rights_request_confirm(token=token, now=NOW)


def test_a_confirmation_link_expires(on_commit, mailoutbox, settings):
    _submit(on_commit)
    token = _token_from(mailoutbox[0])
    late = NOW + dt.timedelta(days=settings.RIGHTS_REQUEST_CONFIRMATION_DAYS, seconds=1)

    with pytest.raises(ConfirmationInvalid):
        services.rights_request_confirm(token=token, now=late)


def test_a_forged_confirmation_link_is_refused(on_commit):
    rights_request = _submit(on_commit).rights_request
    rights_request.confirmation_nonce = "guessed"

    with pytest.raises(ConfirmationInvalid):
        services.rights_request_confirm(token=confirmation_token_make(rights_request), now=NOW)
    with pytest.raises(ConfirmationInvalid):
        services.rights_request_confirm(token="not-a-token", now=NOW)


def test_a_signed_in_person_with_the_address_verified_is_verified_at_once(on_commit, mailoutbox):
    user = UserFactory(email="lotte.peeters@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    submission = _submit(on_commit, user=user)

    rights_request = submission.rights_request
    assert submission.needs_confirmation is False
    assert rights_request.state == State.VERIFIED
    assert rights_request.identity_method == Method.SIGNED_IN
    assert rights_request.due_on == dt.date(2027, 4, 1)
    assert [m.subject for m in mailoutbox] == [mailoutbox[0].subject]
    assert rights_request.reference in mailoutbox[0].subject


def test_a_login_whose_address_is_not_verified_confirms_by_e_mail_like_anyone(on_commit):
    user = UserFactory(email="lotte.peeters@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    submission = _submit(on_commit, user=user)

    assert submission.needs_confirmation is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": Kind.COMPLAINT, "name": ""}, "name"),
        ({"kind": "everything"}, "kind"),
        ({"email": "not an address"}, "email"),
        ({"representative_name": "Mr. Janssens"}, "representative_email"),
        ({"language": "es"}, "language"),
        ({"purpose": "world_domination"}, "purpose"),
    ],
)
def test_an_intake_missing_what_it_needs_is_refused_by_field(on_commit, fields, field):
    with pytest.raises(IntakeInvalid) as refused:
        _submit(on_commit, **fields)

    assert field in refused.value.fields
    assert not RightsRequest.objects.exists()


def test_a_complaint_carries_the_complainants_name_and_contact(on_commit):
    submission = _submit(
        on_commit, kind=Kind.COMPLAINT, name="Lotte Peeters", phone="+32 470 12 34 56"
    )

    assert submission.rights_request.name == "Lotte Peeters"
    assert submission.rights_request.phone == "+32 470 12 34 56"


def test_unconfirmed_web_requests_are_deleted_once_their_link_expired(on_commit, settings):
    expired = _submit(on_commit).rights_request
    fresh = _submit(on_commit, now=NOW + dt.timedelta(days=5)).rights_request
    confirmed = _submit(on_commit, email="jan@example.com").rights_request
    on_commit(services.rights_request_confirm, token=confirmation_token_make(confirmed), now=NOW)
    later = NOW + dt.timedelta(days=settings.RIGHTS_REQUEST_CONFIRMATION_DAYS, hours=1)

    deleted = services.rights_request_intake_expire(now=later)

    assert deleted == 1
    assert set(RightsRequest.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
    assert not NotificationSend.objects.filter(rights_request_id=expired.pk).exists()
    assert services.rights_request_intake_expire(now=later) == 0


# Intake by staff


def test_a_letter_is_entered_with_its_receipt_date_and_the_person_confirms_by_e_mail(
    received, mailoutbox, on_commit
):
    reached = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
    entered = reached + dt.timedelta(days=3)

    rights_request = received(reached, verified=False, now=entered)

    assert rights_request.channel == RightsRequest.Channel.LETTER
    assert rights_request.received_on == dt.date(2027, 3, 1)
    assert rights_request.state == State.AWAITING_SUBJECT
    assert rights_request.subject is None
    [acknowledgement] = mailoutbox
    assert rights_request.reference in acknowledgement.subject
    assert "/requests/confirm/" in acknowledgement.body

    confirmed = on_commit(
        services.rights_request_confirm,
        token=_token_from(acknowledgement),
        now=entered + dt.timedelta(days=2),
    )

    assert confirmed.state == State.VERIFIED
    assert confirmed.subject.email == "lotte.peeters@example.com"
    # Paused from the e-mail (4 March) to the confirmation (6 March): 1 April + 2 days.
    assert confirmed.due_on == dt.date(2027, 4, 5)
    assert _trail(confirmed) == [
        (AuditAction.RECEIVED, State.UNCONFIRMED, State.RECEIVED),
        (AuditAction.INFORMATION_REQUESTED, State.RECEIVED, State.AWAITING_SUBJECT),
        (AuditAction.IDENTITY_VERIFIED, State.AWAITING_SUBJECT, State.VERIFIED),
    ]
    assert len(mailoutbox) == 1  # acknowledged once, at intake


def test_the_scanned_letter_is_kept_in_private_storage_under_a_random_name(received, settings):
    scan = SimpleUploadedFile("brief-lotte-peeters.pdf", b"%PDF-1.7 scanned letter")

    rights_request = received(NOW, attachments=[(RequestAttachment.Kind.LETTER, scan)])

    attachment = rights_request.attachments.get()
    assert attachment.original_name == "brief-lotte-peeters.pdf"
    assert "peeters" not in attachment.file.name
    assert attachment.file.name.startswith("dsr_requests/")
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(b"%PDF-1.7 scanned letter")
    assert attachment.file.path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    assert AuditEvent.objects.filter(action=AuditAction.ATTACHMENT_ADDED).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("brief.pdf", b"MZ\x90\x00 a program", "attachment_type"),
        ("brief.exe", b"%PDF-1.7", "attachment_type"),
        ("scan.png", b"%PDF-1.7", "attachment_type"),
        ("brief.pdf", b"", "attachment_empty"),
    ],
)
def test_a_document_that_is_not_what_it_says_is_refused(received, dpo, name, content, code):
    rights_request = received(NOW)

    with pytest.raises(AttachmentRefused) as refused:
        services.rights_request_attach(
            rights_request=rights_request,
            actor=dpo,
            kind=RequestAttachment.Kind.LETTER,
            upload=SimpleUploadedFile(name, content),
        )

    assert refused.value.code == code
    assert not rights_request.attachments.exists()


def test_a_document_too_large_is_refused(received, dpo, settings):
    settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB = 1
    rights_request = received(NOW)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (1024 * 1024))

    with pytest.raises(AttachmentRefused) as refused:
        services.rights_request_attach(
            rights_request=rights_request, actor=dpo, kind="letter", upload=big
        )

    assert refused.value.code == "attachment_too_large"


def test_a_saved_e_mail_is_accepted_as_the_original_e_mail(received, dpo):
    rights_request = received(NOW)
    eml = SimpleUploadedFile("verzoek.eml", b"From: lotte@example.com\r\nSubject: inzage\r\n\r\n")

    attachment = services.rights_request_attach(
        rights_request=rights_request, actor=dpo, kind=RequestAttachment.Kind.EMAIL, upload=eml
    )

    assert attachment.content_type == "message/rfc822"


def test_staff_cannot_enter_a_request_received_in_the_future(dpo):
    with pytest.raises(IntakeInvalid) as refused:
        services.rights_request_receive(
            actor=dpo,
            kind=Kind.ACCESS,
            channel=RightsRequest.Channel.LETTER,
            received_at=NOW + dt.timedelta(days=1),
            email="lotte@example.com",
            language="nl",
            now=NOW,
        )

    assert "received_at" in refused.value.fields


# Each step, its audit event and its e-mail


def _verified(received, **fields):
    return received(NOW, **fields)


def test_verifying_records_the_method_never_a_document(received, dpo, mailoutbox):
    rights_request = received(NOW, verified=False)
    mailoutbox.clear()

    verified = services.rights_request_verify(
        rights_request=rights_request, actor=dpo, method=Method.CALL_BACK, now=LATER
    )

    assert verified.state == State.VERIFIED
    assert verified.identity_method == Method.CALL_BACK
    assert not verified.attachments.exists()
    event = verified.audit_events.last()
    assert (event.action, event.actor, event.from_state, event.to_state, event.details) == (
        AuditAction.IDENTITY_VERIFIED,
        dpo,
        State.AWAITING_SUBJECT,
        State.VERIFIED,
        {"method": Method.CALL_BACK},
    )
    assert verified.pauses.get().ended_at == LATER


def test_asking_the_person_pauses_the_clock_and_sends_the_question(
    received, dpo, on_commit, mailoutbox
):
    rights_request = _verified(received, language="fr")
    mailoutbox.clear()
    question = "Pourriez-vous préciser la période concernée ?"

    asked = on_commit(
        services.rights_request_ask,
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message=question,
        now=NOW + dt.timedelta(days=1),
    )

    assert asked.state == State.AWAITING_SUBJECT
    assert asked.pauses.get().ended_at is None
    assert asked.messages.get().kind == RequestMessage.Kind.TO_PERSON
    assert _trail(asked)[-1] == (
        AuditAction.INFORMATION_REQUESTED,
        State.VERIFIED,
        State.AWAITING_SUBJECT,
    )
    [message] = mailoutbox
    assert question in message.body
    assert question in message.alternatives[0][0]


def test_asking_needs_the_question_written_out(received, dpo):
    rights_request = _verified(received)

    with pytest.raises(RightsRequestError) as refused:
        services.rights_request_ask(
            rights_request=rights_request, actor=dpo, reason="identity", message="ID?"
        )

    assert refused.value.code == "message_required"


def test_the_answer_returns_the_request_to_where_it_was(received, dpo):
    rights_request = _verified(received)
    asked = services.rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke periode bedoelt u?",
        now=LATER,
    )

    answered = services.rights_request_resume(
        rights_request=asked, actor=dpo, message="Sinds 2021.", now=LATER + dt.timedelta(days=1)
    )

    assert answered.state == State.VERIFIED
    assert answered.messages.filter(kind=RequestMessage.Kind.FROM_PERSON).get().body == (
        "Sinds 2021."
    )
    assert _trail(answered)[-1] == (
        AuditAction.ANSWER_RECEIVED,
        State.AWAITING_SUBJECT,
        State.VERIFIED,
    )


def test_an_extension_tells_the_person_the_new_date_and_why(received, dpo, on_commit, mailoutbox):
    rights_request = _verified(received)
    mailoutbox.clear()

    extended = on_commit(
        services.rights_request_extend,
        rights_request=rights_request,
        actor=dpo,
        months=2,
        reason="Uw gegevens staan in vijf systemen.",
        now=LATER,
    )

    [message] = mailoutbox
    assert "Uw gegevens staan in vijf systemen." in message.body
    assert "1 juni 2027" in message.body  # three months from receipt, a Tuesday
    event = extended.audit_events.last()
    assert (event.action, event.details) == (
        AuditAction.EXTENDED,
        {"months": 2, "total_months": 2, "due_on": "2027-06-01"},
    )


def test_completing_a_request_starts_its_execution_which_completes_it(
    received, dpo, on_commit, mailoutbox, monkeypatch
):
    started = []
    monkeypatch.setattr(execution, "_executors", {Kind.ACCESS: started.append})
    rights_request = _verified(received)
    mailoutbox.clear()

    in_progress = on_commit(
        services.rights_request_complete, rights_request=rights_request, actor=dpo
    )

    assert in_progress.state == State.IN_PROGRESS
    assert started == [rights_request.pk]
    assert mailoutbox == []

    done = on_commit(
        services.rights_request_execution_done,
        rights_request=in_progress,
        outcome="Uw gegevens staan klaar in de privacycentrale.",
    )

    assert done.state == State.COMPLETED
    assert done.closed_on is not None
    assert _trail(done)[-2:] == [
        (AuditAction.EXECUTION_STARTED, State.VERIFIED, State.IN_PROGRESS),
        (AuditAction.COMPLETED, State.IN_PROGRESS, State.COMPLETED),
    ]
    assert done.audit_events.last().actor_kind == "system"
    [message] = mailoutbox
    assert "Uw gegevens staan klaar in de privacycentrale." in message.body


def test_a_complaint_is_answered_at_once(received, dpo, on_commit, mailoutbox):
    complaint = _verified(received, kind=Kind.COMPLAINT)
    mailoutbox.clear()

    answered = on_commit(
        services.rights_request_complete,
        rights_request=complaint,
        actor=dpo,
        outcome="Wij hebben uw adres verwijderd uit de verzendlijst.",
    )

    assert answered.state == State.COMPLETED
    [message] = mailoutbox
    assert "Wij hebben uw adres verwijderd uit de verzendlijst." in message.body


def test_a_rejection_states_the_ground_and_the_right_to_complain(
    received, dpo, on_commit, mailoutbox
):
    rights_request = _verified(received, language="en")
    mailoutbox.clear()

    rejected = on_commit(
        services.rights_request_reject,
        rights_request=rights_request,
        actor=dpo,
        ground=RightsRequest.RejectionGround.EXCESSIVE,
        reason="This is the fourth identical request this month.",
        now=LATER,
    )

    assert rejected.state == State.REJECTED
    assert rejected.closed_at == LATER
    assert rejected.audit_events.last().details == {"ground": "excessive"}
    [message] = mailoutbox
    assert "excessive" in message.body
    assert "fourth identical request" in message.body
    assert "Data Protection Authority (GBA/APD)" in message.body
    assert "go to court" in message.body


def test_staff_see_the_rejection_as_the_person_will_get_it(received):
    rights_request = _verified(received, language="en")

    preview = services.rejection_preview(
        rights_request=rights_request,
        ground=RightsRequest.RejectionGround.MANIFESTLY_UNFOUNDED,
        reason="",
    )

    assert "manifestly unfounded" in preview.body
    assert "GBA/APD" in preview.body
    rights_request.refresh_from_db()
    assert rights_request.state == State.VERIFIED
    assert not NotificationSend.objects.filter(kind=NotificationSend.Kind.REJECTION).exists()


def test_a_rejection_on_another_ground_needs_it_written(received, dpo):
    rights_request = _verified(received)

    with pytest.raises(RightsRequestError) as refused:
        services.rights_request_reject(
            rights_request=rights_request, actor=dpo, ground="other", reason=""
        )

    assert refused.value.code == "reason_required"


def test_the_person_withdraws_their_own_request(received, on_commit, mailoutbox):
    user = UserFactory(email="lotte.peeters@example.com")
    rights_request = _verified(received)
    rights_request.subject.user = user
    rights_request.subject.save()
    mailoutbox.clear()

    withdrawn = on_commit(
        services.rights_request_withdraw, rights_request=rights_request, actor=user
    )

    assert withdrawn.state == State.WITHDRAWN
    event = withdrawn.audit_events.last()
    assert (event.action, event.actor, event.actor_kind) == (AuditAction.WITHDRAWN, None, "person")
    assert len(mailoutbox) == 1


def test_someone_else_cannot_withdraw_a_persons_request(received):
    rights_request = _verified(received)

    with pytest.raises(NotAllowed):
        services.rights_request_withdraw(
            rights_request=rights_request, actor=UserFactory(email="stranger@example.com")
        )


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (State.COMPLETED, "reject"),
        (State.REJECTED, "extend"),
        (State.VERIFIED, "verify"),
        (State.WITHDRAWN, "ask"),
        (State.AWAITING_SUBJECT, "ask"),
        (State.RECEIVED, "complete"),
        (State.UNCONFIRMED, "verify"),
    ],
)
def test_a_step_the_state_does_not_allow_is_refused_with_a_stable_code(dpo, state, step):
    from tests.dsr_requests.factories import RightsRequestFactory

    rights_request = RightsRequestFactory(state=state)
    steps = {
        "reject": lambda: services.rights_request_reject(
            rights_request=rights_request, actor=dpo, ground="excessive"
        ),
        "extend": lambda: services.rights_request_extend(
            rights_request=rights_request, actor=dpo, months=1, reason="x"
        ),
        "verify": lambda: services.rights_request_verify(
            rights_request=rights_request, actor=dpo, method=Method.KNOWN_DETAILS
        ),
        "ask": lambda: services.rights_request_ask(
            rights_request=rights_request, actor=dpo, reason="identity", message="Uw adres aub."
        ),
        "complete": lambda: services.rights_request_complete(
            rights_request=rights_request, actor=dpo
        ),
    }

    with pytest.raises(TransitionRefused) as refused:
        steps[step]()

    assert refused.value.code == "transition_not_allowed"
    rights_request.refresh_from_db()
    assert rights_request.state == state
    assert not rights_request.audit_events.exists()


# Duplicates


def test_a_second_open_request_of_the_same_kind_is_linked_and_still_verified(received):
    first = received(NOW)
    second = received(NOW + dt.timedelta(days=1))

    assert second.state == State.VERIFIED
    assert second.duplicate_of == first
    assert first.duplicate_of is None
    assert second.audit_events.filter(action=AuditAction.DUPLICATE_LINKED).exists()


def test_a_request_of_another_kind_is_no_duplicate(received):
    received(NOW)

    erasure = received(NOW + dt.timedelta(days=1), kind=Kind.ERASURE)

    assert erasure.duplicate_of is None


def test_merging_a_duplicate_closes_it_and_tells_the_person(received, dpo, on_commit, mailoutbox):
    first = received(NOW, details="Alles.")
    second = received(NOW + dt.timedelta(days=1), details="Ook mijn bestellingen.")
    mailoutbox.clear()

    merged = on_commit(services.rights_request_merge, rights_request=second, into=first, actor=dpo)

    assert merged.state == State.MERGED
    assert first.messages.get().body.endswith("Ook mijn bestellingen.")
    [message] = mailoutbox
    assert first.reference in message.subject


# Representatives


def test_a_request_by_a_representative_needs_the_mandate_checked_and_attached(received, dpo):
    rights_request = received(
        NOW,
        verified=False,
        representative_name="Mr. Jan Janssens",
        representative_email="jan@advocaten.example",
        representation=RightsRequest.Representation.LAWYER,
    )

    with pytest.raises(RightsRequestError) as unchecked:
        services.rights_request_verify(
            rights_request=rights_request, actor=dpo, method=Method.KNOWN_DETAILS
        )
    with pytest.raises(RightsRequestError) as missing:
        services.rights_request_verify(
            rights_request=rights_request,
            actor=dpo,
            method=Method.KNOWN_DETAILS,
            mandate_checked=True,
        )
    services.rights_request_attach(
        rights_request=rights_request,
        actor=dpo,
        kind=RequestAttachment.Kind.MANDATE,
        upload=SimpleUploadedFile("volmacht.pdf", b"%PDF-1.4"),
    )
    verified = services.rights_request_verify(
        rights_request=rights_request, actor=dpo, method=Method.KNOWN_DETAILS, mandate_checked=True
    )

    assert (unchecked.value.code, missing.value.code) == ("mandate_not_checked", "mandate_missing")
    assert verified.state == State.VERIFIED
    assert verified.audit_events.last().details == {
        "method": Method.KNOWN_DETAILS,
        "mandate_checked": True,
    }
    assert verified.contact_email == "jan@advocaten.example"


# Roles


def test_an_agent_works_unassigned_requests_and_their_own(received, agent):
    rights_request = received(NOW, verified=False)

    taken = services.rights_request_assign(
        rights_request=rights_request, actor=agent, assignee=agent
    )
    verified = services.rights_request_verify(
        rights_request=taken, actor=agent, method=Method.KNOWN_DETAILS
    )

    assert verified.assignee == agent
    assert verified.state == State.VERIFIED


def test_an_agent_cannot_act_on_a_request_assigned_to_someone_else(
    received, dpo, agent, other_agent
):
    rights_request = received(NOW)
    services.rights_request_assign(rights_request=rights_request, actor=dpo, assignee=other_agent)

    with pytest.raises(NotAllowed) as refused:
        services.rights_request_reject(
            rights_request=rights_request, actor=agent, ground="excessive"
        )
    with pytest.raises(NotAllowed):
        services.rights_request_assign(rights_request=rights_request, actor=agent, assignee=agent)

    assert refused.value.code == "not_assigned"
    rights_request.refresh_from_db()
    assert rights_request.state == State.VERIFIED


def test_an_agent_cannot_assign_a_request_to_someone_else(received, agent, other_agent):
    rights_request = received(NOW)

    with pytest.raises(NotAllowed):
        services.rights_request_assign(
            rights_request=rights_request, actor=agent, assignee=other_agent
        )


def test_a_dpo_assigns_any_request_to_anyone_who_works_requests(received, dpo, agent, auditor):
    rights_request = received(NOW)

    assigned = services.rights_request_assign(
        rights_request=rights_request, actor=dpo, assignee=agent
    )
    with pytest.raises(NotAllowed):
        services.rights_request_assign(rights_request=assigned, actor=dpo, assignee=auditor)

    assert assigned.assignee == agent
    assert assigned.audit_events.last().details == {"assignee": agent.pk, "previous": None}


def _every_step(rights_request, actor):
    return {
        "verify": lambda: services.rights_request_verify(
            rights_request=rights_request, actor=actor, method=Method.KNOWN_DETAILS
        ),
        "ask": lambda: services.rights_request_ask(
            rights_request=rights_request, actor=actor, reason="identity", message="Uw adres aub."
        ),
        "extend": lambda: services.rights_request_extend(
            rights_request=rights_request, actor=actor, months=1, reason="Complex."
        ),
        "assign": lambda: services.rights_request_assign(
            rights_request=rights_request, actor=actor, assignee=actor
        ),
        "note": lambda: services.rights_request_note(
            rights_request=rights_request, actor=actor, text="Gezien."
        ),
        "reject": lambda: services.rights_request_reject(
            rights_request=rights_request, actor=actor, ground="excessive"
        ),
        "withdraw": lambda: services.rights_request_withdraw(
            rights_request=rights_request, actor=actor
        ),
        "attach": lambda: services.rights_request_attach(
            rights_request=rights_request,
            actor=actor,
            kind="letter",
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
        ),
    }


@pytest.mark.parametrize(
    "step", ["verify", "ask", "extend", "assign", "note", "reject", "withdraw", "attach"]
)
def test_an_auditor_changes_nothing(received, auditor, step):
    rights_request = received(NOW, verified=False)
    events = rights_request.audit_events.count()

    with pytest.raises(NotAllowed):
        _every_step(rights_request, auditor)[step]()

    rights_request.refresh_from_db()
    assert rights_request.state == State.AWAITING_SUBJECT
    assert rights_request.audit_events.count() == events


def test_an_auditor_cannot_enter_a_request(auditor):
    with pytest.raises(NotAllowed):
        services.rights_request_receive(
            actor=auditor,
            kind=Kind.ACCESS,
            channel=RightsRequest.Channel.PHONE,
            received_at=NOW,
            email="lotte@example.com",
            language="nl",
            now=NOW,
        )


def test_a_customer_login_cannot_work_requests(received):
    customer = UserFactory(email="lotte.peeters@example.com")

    with pytest.raises(NotAllowed):
        services.rights_request_note(rights_request=received(NOW), actor=customer, text="Hoi")


# E-mails that fail


def test_a_failed_e_mail_is_retried_recorded_and_can_be_sent_again(
    received, dpo, on_commit, mailoutbox, monkeypatch
):
    from dsr_requests import tasks

    rights_request = _verified(received)
    mailoutbox.clear()
    attempts = []

    def refuse(self, fail_silently=False):
        attempts.append(self.to)
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    on_commit(
        services.rights_request_extend,
        rights_request=rights_request,
        actor=dpo,
        months=1,
        reason="Complex.",
        now=LATER,
    )

    notification = NotificationSend.objects.get(kind=NotificationSend.Kind.EXTENSION)
    assert len(attempts) == tasks.NOTIFICATION_MAX_RETRIES + 1
    assert notification.status == NotificationSend.Status.FAILED
    assert notification.attempts == tasks.NOTIFICATION_MAX_RETRIES + 1
    assert notification.last_error == "SMTPServerDisconnected"

    monkeypatch.undo()
    resent = on_commit(services.notification_resend, notification=notification, actor=dpo)

    resent.refresh_from_db()
    assert resent.status == NotificationSend.Status.SENT
    assert len(mail.outbox) == 1
    assert rights_request.audit_events.last().action == AuditAction.EMAIL_RESENT


def test_an_e_mail_sent_is_not_sent_again_by_a_rerun(received):
    rights_request = _verified(received)
    notification = rights_request.notifications.get()

    outcome = services.notification_send(notification_id=notification.pk)

    assert outcome == services.SendOutcome.NOTHING_TO_DO
    assert len(mail.outbox) == 1


def test_the_e_mail_goes_to_the_person_in_their_language(received, mailoutbox):
    rights_request = received(NOW, language="de")

    [message] = mailoutbox
    assert message.to == ["lotte.peeters@example.com"]
    assert rights_request.reference in message.subject
    assert "Guten Tag Lotte Peeters" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_the_subject_of_a_verified_request_exists_and_is_found_by_its_address(received):
    existing = DataSubjectFactory(email="lotte.peeters@example.com")

    rights_request = received(NOW)

    assert rights_request.subject == existing


def test_a_verified_request_waiting_for_a_clarification_is_not_verified_again(received, dpo):
    rights_request = _verified(received)
    asked = services.rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke periode bedoelt u?",
    )

    with pytest.raises(TransitionRefused):
        services.rights_request_verify(rights_request=asked, actor=dpo, method=Method.KNOWN_DETAILS)


@pytest.mark.parametrize("method", [Method.SIGNED_IN, Method.EMAIL_CONFIRMED, "telepathy"])
def test_staff_cannot_record_a_check_only_the_person_can_make(dpo, method):
    with pytest.raises(IntakeInvalid) as refused:
        services.rights_request_receive(
            actor=dpo,
            kind=Kind.ACCESS,
            channel=RightsRequest.Channel.PHONE,
            received_at=NOW,
            email="lotte@example.com",
            language="nl",
            identity_method=method,
            now=LATER,
        )

    assert "identity_method" in refused.value.fields
