"""The person follows their requests in the privacy centre: by the signed follow link without
an account, or signed in; reads the timeline, answers a request for information with a
document, withdraws. Another person's request, a tampered or expired link: 404."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    NotificationSend,
    RequestAttachment,
    RequestMessage,
    RightsRequest,
)
from dsr_requests.selectors import (
    FOLLOWED_SESSION_KEY,
    confirmation_token_make,
    follow_token_make,
    rights_request_timeline,
)
from dsr_requests.services import (
    rights_request_ask,
    rights_request_complete,
    rights_request_note,
    rights_request_submit,
)
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a scanned letter\n"


@pytest.fixture
def confirmed(client, django_capture_on_commit_callbacks):
    """A request made without an account and confirmed from the e-mailed link."""
    with django_capture_on_commit_callbacks(execute=True):
        submitted = rights_request_submit(
            kind=Kind.ACCESS, email="lotte.peeters@example.be", language="en"
        ).rights_request
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/requests/confirm/{confirmation_token_make(submitted)}/")
    submitted.refresh_from_db()
    return submitted


def _follow_url(rights_request):
    return f"/en/requests/follow/{follow_token_make(rights_request)}/"


def test_the_confirmation_page_gives_the_follow_link_and_this_browser_follows_the_request(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = rights_request_submit(
            kind=Kind.ACCESS, email="lotte.peeters@example.be", language="en"
        ).rights_request

    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(
            f"/en/requests/confirm/{confirmation_token_make(submitted)}/"
        ).content.decode()

    assert "/en/requests/follow/" in html
    assert client.session[FOLLOWED_SESSION_KEY] == [submitted.pk]
    assert submitted.reference in client.get("/en/requests/").content.decode()


def test_the_acknowledgement_carries_the_follow_link_which_opens_the_request_without_an_account(
    confirmed, django_capture_on_commit_callbacks
):
    from django.test import Client

    acknowledgement = mail.outbox[-1]
    assert confirmed.reference in acknowledgement.subject + acknowledgement.body
    link = re.search(r"https?://\S+/requests/follow/\S+/", acknowledgement.body).group(0)
    assert "lotte" not in link.lower()
    stranger = Client()

    response = stranger.get(link[link.index("/en/") :])

    assert response.status_code == 302
    assert response["Location"] == f"/en/requests/{confirmed.reference}/"
    assert stranger.session[FOLLOWED_SESSION_KEY] == [confirmed.pk]
    page = stranger.get(response["Location"]).content.decode()
    assert confirmed.reference in page
    assert "Identity verified" in page  # the timeline
    listing = stranger.get("/en/requests/").content.decode()
    assert listing.count(f">{confirmed.reference}</a>") == 1


def test_a_tampered_or_expired_follow_link_opens_nothing(confirmed, settings, time_machine):
    from django.test import Client

    token = follow_token_make(confirmed)
    tampered = Client()
    assert tampered.get(f"/en/requests/follow/{token[:-3]}xyz/").status_code == 404
    assert tampered.get(f"/en/requests/{confirmed.reference}/").status_code == 404

    time_machine.move_to(
        dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=settings.RIGHTS_REQUEST_FOLLOW_DAYS + 1)
    )
    expired = Client()
    assert expired.get(f"/en/requests/follow/{token}/").status_code == 404
    assert expired.get(f"/en/requests/{confirmed.reference}/").status_code == 404


def test_a_follow_link_of_an_unconfirmed_request_opens_nothing(client):
    unconfirmed = RightsRequestFactory(state=State.UNCONFIRMED, subject=None, email="x@example.be")

    assert client.get(_follow_url(unconfirmed)).status_code == 404


def test_signed_in_a_person_sees_all_their_requests_and_nobody_elses(client, customer):
    own = [
        RightsRequestFactory(subject=customer, kind=kind) for kind in (Kind.ACCESS, Kind.ERASURE)
    ]
    unconfirmed = RightsRequestFactory(subject=customer, state=State.UNCONFIRMED)
    other = RightsRequestFactory(subject=DataSubjectFactory(email="someone@example.be"))
    client.force_login(customer.user)

    html = client.get("/en/requests/").content.decode()

    assert all(r.reference in html for r in own)
    assert unconfirmed.reference not in html
    assert other.reference not in html
    assert client.get(f"/en/requests/{other.reference}/").status_code == 404
    assert client.get(f"/en/requests/{other.reference}/withdraw/").status_code == 404
    assert client.post(f"/en/requests/{other.reference}/withdraw/").status_code == 404
    other.refresh_from_db()
    assert other.state == State.VERIFIED


def test_a_followed_request_does_not_open_another_one(client, confirmed):
    other = RightsRequestFactory(subject=DataSubjectFactory(email="someone@example.be"))
    client.get(_follow_url(confirmed))

    assert client.get(f"/en/requests/{other.reference}/").status_code == 404
    assert other.reference not in client.get("/en/requests/").content.decode()


def test_the_person_withdraws_by_the_follow_link_after_a_confirm_page(
    client, confirmed, django_capture_on_commit_callbacks
):
    client.get(_follow_url(confirmed))

    page = client.get(f"/en/requests/{confirmed.reference}/withdraw/")
    assert "Withdraw your request?" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/requests/{confirmed.reference}/withdraw/")

    assert response["Location"] == f"/en/requests/{confirmed.reference}/"
    confirmed.refresh_from_db()
    assert confirmed.state == State.WITHDRAWN
    event = AuditEvent.objects.filter(rights_request=confirmed, action=AuditAction.WITHDRAWN).get()
    assert (event.actor, event.actor_kind) == (None, AuditEvent.ActorKind.PERSON)
    assert NotificationSend.objects.filter(
        rights_request=confirmed, kind=NotificationSend.Kind.WITHDRAWAL
    ).exists()
    assert "Withdraw this request" not in client.get(response["Location"]).content.decode()


def test_a_completed_request_cannot_be_withdrawn(client, customer, dpo):
    completed = RightsRequestFactory(subject=customer, kind=Kind.COMPLAINT, name="Lotte")
    rights_request_complete(rights_request=completed, actor=dpo, outcome="Answered by phone.")
    client.force_login(customer.user)

    assert (
        "Withdraw this request"
        not in client.get(f"/en/requests/{completed.reference}/").content.decode()
    )
    client.post(f"/en/requests/{completed.reference}/withdraw/")

    completed.refresh_from_db()
    assert completed.state == State.COMPLETED


@pytest.fixture
def asked(customer, dpo, django_capture_on_commit_callbacks):
    rights_request = RightsRequestFactory(subject=customer, kind=Kind.RECTIFICATION)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_ask(
            rights_request=rights_request,
            actor=dpo,
            reason="clarification",
            message="Which address should we correct: delivery or invoice?",
        )
    rights_request_note(rights_request=rights_request, actor=dpo, text="Called the shop: unsure.")
    return rights_request


def test_the_person_reads_the_question_and_answers_with_a_document(client, customer, asked):
    client.force_login(customer.user)
    page = client.get(f"/en/requests/{asked.reference}/").content.decode()
    assert (
        page.count("Which address should we correct: delivery or invoice?") == 2
    )  # asked, timeline
    assert "Called the shop" not in page  # an internal note
    assert "dpo@velux.example" not in page

    response = client.post(
        f"/en/requests/{asked.reference}/",
        {
            "message": "The delivery address.",
            "document": SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.state == State.VERIFIED
    answer = asked.messages.get(kind=RequestMessage.Kind.FROM_PERSON)
    assert answer.body == "The delivery address."
    attachment = RequestAttachment.objects.get(rights_request=asked)
    assert (attachment.content_type, attachment.original_name) == ("application/pdf", "letter.pdf")
    assert attachment.file.read() == PDF
    assert (
        "The delivery address." in client.get(f"/en/requests/{asked.reference}/").content.decode()
    )


def test_the_question_above_the_answer_form_is_the_last_one_asked(client, customer, asked):
    first = asked.messages.get(kind=RequestMessage.Kind.TO_PERSON)
    RequestMessage.objects.create(
        rights_request=asked,
        kind=RequestMessage.Kind.TO_PERSON,
        body="And the invoice address, is it the same?",
        created_at=first.created_at + dt.timedelta(minutes=5),
    )
    RequestMessage.objects.create(
        rights_request=asked,
        kind=RequestMessage.Kind.NOTE,
        body="Internal: check the shop's records.",
        created_at=first.created_at + dt.timedelta(minutes=9),
    )
    client.force_login(customer.user)

    page = client.get(f"/en/requests/{asked.reference}/").content.decode()
    question = re.search(
        r'<blockquote class="timeline__body question">(.*?)</blockquote>', page, re.S
    )

    assert "And the invoice address, is it the same?" in question.group(1)
    assert "Which address should we correct" not in question.group(1)
    assert "Internal: check" not in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.exe", b"MZ\x90\x00", content_type="image/png"),
            "Add a PDF, JPEG, PNG or TIFF scan",
        ),
        (
            SimpleUploadedFile("fake.pdf", b"not a pdf at all", content_type="application/pdf"),
            "Add a PDF, JPEG, PNG or TIFF scan",
        ),
        (
            SimpleUploadedFile(
                "big.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf"
            ),
            "The file is larger than 1 MB.",
        ),
    ],
)
def test_a_document_over_the_limits_is_refused_with_a_message_and_the_answer_kept(
    client, customer, asked, settings, upload, message
):
    settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB = 1
    client.force_login(customer.user)

    response = client.post(
        f"/en/requests/{asked.reference}/",
        {"message": "The delivery address, see the scan.", "document": upload},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="#id_document">{message}' in html
    assert 'id="id_document_error"' in html
    assert "The delivery address, see the scan.</textarea>" in html
    asked.refresh_from_db()
    assert asked.state == State.AWAITING_SUBJECT
    assert not asked.messages.filter(kind=RequestMessage.Kind.FROM_PERSON).exists()
    assert not RequestAttachment.objects.exists()


def test_an_empty_answer_is_refused(client, customer, asked):
    client.force_login(customer.user)

    response = client.post(f"/en/requests/{asked.reference}/", {"message": "  "})

    assert response.status_code == 400
    assert '<a href="#id_message">' in response.content.decode()


def test_no_answer_form_when_velux_asked_nothing(client, customer):
    rights_request = RightsRequestFactory(subject=customer)
    client.force_login(customer.user)

    assert (
        'name="message"'
        not in client.get(f"/en/requests/{rights_request.reference}/").content.decode()
    )
    client.post(f"/en/requests/{rights_request.reference}/", {"message": "Hello"})
    assert not rights_request.messages.exists()


def test_the_persons_timeline_leaves_out_internal_notes_and_staff_addresses(asked):
    AuditEvent.objects.create(
        rights_request=asked,
        reference=asked.reference,
        action=AuditAction.STEP_FAILED,
        actor_kind=AuditEvent.ActorKind.SYSTEM,
        from_state=asked.state,
        to_state=asked.state,
    )
    entries = rights_request_timeline(rights_request=asked, for_person=True)
    assert str(AuditAction.STEP_FAILED.label) not in [e.title for e in entries]
    staff_view = rights_request_timeline(rights_request=asked)

    assert "Called the shop: unsure." in [e.body for e in staff_view]
    assert "Called the shop: unsure." not in [e.body for e in entries]
    assert all("dpo@velux.example" not in e.actor for e in entries)
    assert any("dpo@velux.example" in e.actor for e in staff_view)


def test_my_requests_without_anything_followed_says_how_to_find_them(client):
    html = client.get("/en/requests/").content.decode()

    assert "There is no request to show here yet." in html
    assert 'href="/en/accounts/login/"' in html


def test_a_double_submit_with_the_same_key_returns_the_first_request(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = rights_request_submit(
            kind=Kind.ACCESS, email="a@example.be", language="nl", submission_key="k" * 32
        )
        second = rights_request_submit(
            kind=Kind.ACCESS, email="a@example.be", language="nl", submission_key="k" * 32
        )

    assert first.rights_request.pk == second.rights_request.pk
    assert RightsRequest.objects.count() == 1
    assert len(mail.outbox) == 1


def test_my_requests_costs_the_same_queries_for_two_requests_or_twenty(
    client, customer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(customer.user)
    RightsRequestFactory.create_batch(2, subject=customer)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/en/requests/").status_code == 200
    RightsRequestFactory.create_batch(18, subject=customer)

    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/en/requests/").content.decode()
    assert html.count('<th scope="row"><a href="/en/requests/VP-') == 20


def test_a_submission_key_seen_with_another_address_never_returns_that_request(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = rights_request_submit(
            kind=Kind.ACCESS, email="a@example.be", language="nl", submission_key="k" * 32
        )
        other = rights_request_submit(
            kind=Kind.ACCESS, email="b@example.be", language="nl", submission_key="k" * 32
        )

    assert other.rights_request.pk != first.rights_request.pk
    assert other.rights_request.email == "b@example.be"
    assert RightsRequest.objects.count() == 2


@pytest.mark.postgres
# serialized_rollback: the database as migrated is restored afterwards, as for every
# transactional test of the suite (a flush without it re-creates the content types under new
# ids, which a later serialized test then collides with).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_of_one_form_at_the_same_moment_make_one_request(monkeypatch):
    """Both pass the look-up for an earlier request before either has written it: the unique
    key decides, and the second gets the first one's request."""
    import threading

    from django.db import connection

    from dsr_requests import services

    original = services._rights_request_submit
    both_looked = threading.Barrier(2, timeout=10)

    def after_the_look_up(**kwargs):
        both_looked.wait()
        return original(**kwargs)

    monkeypatch.setattr(services, "_rights_request_submit", after_the_look_up)
    monkeypatch.setattr(
        "dsr_requests.tasks.notification_send_task.delay_on_commit", lambda *args: None
    )
    results, errors = [], []

    def submit():
        try:
            results.append(
                services.rights_request_submit(
                    kind=Kind.ACCESS, email="a@example.be", language="nl", submission_key="k" * 32
                ).rights_request.pk
            )
        except Exception as error:  # reported by the assertion below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert len(results) == 2
    assert len(set(results)) == 1
    assert RightsRequest.objects.count() == 1


def test_a_timeline_holds_its_own_requests_trail_only_in_three_statements(
    asked, dpo, django_assert_num_queries
):
    other = RightsRequestFactory(subject=DataSubjectFactory(), kind=Kind.ERASURE)
    rights_request_note(rights_request=other, actor=dpo, text="Someone else's note.")
    with django_assert_num_queries(3):
        staff_view = rights_request_timeline(rights_request=asked)
    person_view = rights_request_timeline(rights_request=asked, for_person=True)
    others = rights_request_timeline(rights_request=other)

    assert "Someone else's note." in [e.body for e in others]
    assert "Someone else's note." not in [e.body for e in staff_view + person_view]
    assert "Called the shop: unsure." not in [e.body for e in others]
    # In the order things happened; the question both sides see, titled as the model says.
    assert [e.at for e in staff_view] == sorted(e.at for e in staff_view)
    question = next(e for e in person_view if e.kind == f"message-{RequestMessage.Kind.TO_PERSON}")
    assert question.title == RequestMessage(kind=RequestMessage.Kind.TO_PERSON).get_kind_display()
    assert question.actor == "VELUX Belgium"
    assert any(e.actor == "dpo@velux.example" for e in staff_view)


def _orm_for_person(*, reference, subject_id, followed):
    """`rights_request_for_person` as the ORM builds it (its oracle)."""
    from dsr_requests.models import reference_normalise
    from dsr_requests.selectors import rights_request_list_for_person

    return (
        rights_request_list_for_person(subject_id=subject_id, followed=followed)
        .filter(reference=reference_normalise(reference))
        .select_related("export")
        .first()
    )


@pytest.mark.postgres
def test_the_compiled_lookup_of_a_persons_request_gives_what_the_orm_gives(
    django_assert_num_queries,
):
    from dsr_requests.models import RequestExport
    from dsr_requests.selectors import rights_request_for_person

    lotte, noor = DataSubjectFactory(), DataSubjectFactory()
    own = RightsRequestFactory(subject=lotte, kind=Kind.ACCESS, details="100% %s $1")
    exported = RightsRequestFactory(subject=lotte, kind=Kind.PORTABILITY)
    RequestExport.objects.create(
        rights_request=exported,
        language="fr",
        file=f"exports/{exported.reference}.zip",
        released_at=dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 4, 5, 1, 30, tzinfo=dt.UTC),
        download_nonce="d" * 32,
        categories=[{"key": "orders", "rows": 2, "note": "100% %s"}],
    )
    by_link = RightsRequestFactory(subject=None, email="no.account@example.be")
    others = RightsRequestFactory(subject=noor)
    unconfirmed = RightsRequestFactory(subject=lotte, state=State.UNCONFIRMED)
    cases = [
        (own.reference, lotte.pk, []),
        (own.reference.lower(), lotte.pk, [by_link.pk]),  # references are normalised
        (exported.reference, lotte.pk, []),
        (by_link.reference, None, [by_link.pk]),
        (by_link.reference, lotte.pk, []),  # not followed: not theirs
        (others.reference, lotte.pk, [by_link.pk]),  # someone else's: None
        (others.reference, None, []),
        (unconfirmed.reference, lotte.pk, []),  # not confirmed yet: None
        ("VP-STAND-IN", lotte.pk, []),  # the stand-in reference finds nothing
    ]
    for reference, subject_id, followed in cases:
        expected = _orm_for_person(reference=reference, subject_id=subject_id, followed=followed)
        with django_assert_num_queries(1):
            found = rights_request_for_person(
                reference=reference, subject_id=subject_id, followed=followed
            )
        assert (found is None) == (expected is None), reference
        if expected is None:
            continue
        fields = [f.attname for f in RightsRequest._meta.concrete_fields]
        assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert found.received_at.tzinfo == expected.received_at.tzinfo
        assert not found._state.adding
        assert found._state.db == "default"
        with django_assert_num_queries(0):  # the export came with it, as with select_related
            export = getattr(found, "export", None)
        expected_export = getattr(expected, "export", None)
        assert (export is None) == (expected_export is None)
        if export is not None:
            export_fields = [f.attname for f in RequestExport._meta.concrete_fields]
            assert [getattr(export, f) for f in export_fields] == [
                getattr(expected_export, f) for f in export_fields
            ]
            assert export.rights_request is found
