"""The staff queue in Django admin: the change list, the request page and its steps, intake by
letter, the dashboard and the record of processing activities."""

import csv
import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dsr_requests import execution
from dsr_requests.models import (
    AuditAction,
    ExecutionStep,
    NotificationSend,
    RequestPause,
    RightsRequest,
)
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_client_for
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/dsr_requests/rightsrequest/"
TODAY = dt.date(2027, 3, 10)  # a Wednesday
NOW = dt.datetime(2027, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def dpo_client(dpo):
    return staff_client_for(dpo)


@pytest.fixture
def agent_client(agent):
    return staff_client_for(agent)


@pytest.fixture
def auditor_client(auditor):
    return staff_client_for(auditor)


def _due_in(days: int, **fields) -> RightsRequest:
    """A verified request whose due date is `days` from today."""
    rights_request = RightsRequestFactory(**fields)
    rights_request.due_on = TODAY + dt.timedelta(days=days)
    rights_request.save(update_fields=["due_on"])
    return rights_request


def _page(client, url=QUEUE, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response
    return response.content.decode()


def _step(rights_request, name):
    return reverse("admin:dsr_requests_rightsrequest_step", args=[rights_request.pk, name])


def _request_page(rights_request):
    return reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])


# The queue


@pytest.mark.parametrize(
    ("days", "colour", "words"),
    [
        (12, "green", "12 days left"),
        (10, "green", "10 days left"),
        (9, "amber", "9 days left"),
        (5, "amber", "5 days left"),
        (4, "red", "4 days left"),
        (0, "red", "due today"),
        (-3, "red", "3 days overdue"),
    ],
)
def test_the_queue_shows_the_days_left_in_words_and_colour(dpo_client, days, colour, words):
    rights_request = _due_in(days)

    page = _page(dpo_client)

    assert rights_request.reference in page
    assert re.search(rf'class="due due-{colour}"><time[^>]*>[^<]+</time> · {words}', page)


def test_the_queue_shows_open_requests_by_default_and_closed_ones_on_demand(dpo_client):
    open_request = _due_in(5)
    closed = _due_in(5, state=State.COMPLETED)
    unconfirmed = RightsRequestFactory(state=State.UNCONFIRMED, subject=None)

    default = _page(dpo_client)
    closed_page = _page(dpo_client, status="closed")
    unconfirmed_page = _page(dpo_client, status="unconfirmed")

    assert open_request.reference in default
    assert closed.reference not in default
    assert unconfirmed.reference not in default
    assert closed.reference in closed_page
    assert unconfirmed.reference in unconfirmed_page


def test_the_queue_marks_duplicates_and_failed_e_mails(dpo_client):
    first = _due_in(20)
    second = _due_in(21, subject=first.subject, duplicate_of=first)
    NotificationSend.objects.create(
        rights_request=second, kind="acknowledgement", status=NotificationSend.Status.FAILED
    )

    page = _page(dpo_client)

    assert f"duplicate of {first.reference}" in page
    assert page.count('request-mark-failed">e-mail failed') == 1


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"due": "overdue"}, ["overdue"], ["soon", "later", "paused"]),
        ({"due": "week"}, ["soon"], ["overdue", "later", "paused"]),
        ({"due": "paused"}, ["paused"], ["overdue", "soon", "later"]),
        ({"assigned": "nobody"}, ["overdue", "soon", "paused"], ["later"]),
        ({"assigned": "mine"}, ["later"], ["overdue", "soon", "paused"]),
        ({"type": "complaints"}, ["soon"], ["overdue", "later", "paused"]),
        ({"kind__exact": "erasure"}, ["paused"], ["overdue", "soon", "later"]),
        ({"state__exact": "awaiting_subject"}, ["paused"], ["overdue", "soon", "later"]),
    ],
)
def test_the_queue_filters(dpo, dpo_client, params, shown, hidden):
    requests = {
        "overdue": _due_in(-1),
        "soon": _due_in(3, kind=Kind.COMPLAINT, name="Jan Peeters"),  # Saturday 13 March
        "later": _due_in(20, assignee=dpo),
        "paused": _due_in(-5, kind=Kind.ERASURE, state=State.AWAITING_SUBJECT),
    }

    page = _page(dpo_client, **params)

    for name in shown:
        assert requests[name].reference in page, name
    for name in hidden:
        assert requests[name].reference not in page, name


@pytest.mark.parametrize(
    "typed",
    [
        lambda r: r.reference,
        lambda r: r.reference.lower().replace("-", " "),
        lambda r: r.reference[-6:],
        lambda r: "  Lotte.Peeters@EXAMPLE.com ",
    ],
    ids=["reference", "reference-typed-loosely", "last-characters", "e-mail"],
)
def test_the_queue_is_searched_by_reference_or_e_mail(dpo_client, typed):
    wanted = _due_in(5, subject=DataSubjectFactory(email="lotte.peeters@example.com"))
    other = _due_in(5)

    page = _page(dpo_client, q=typed(wanted))

    assert wanted.reference in page
    assert other.reference not in page


@pytest.mark.parametrize("count", [10, 1000])
def test_the_queue_costs_the_same_few_queries_at_any_size(
    dpo, agent, dpo_client, django_assert_max_num_queries, count
):
    subject = DataSubjectFactory()
    first = _due_in(-10, subject=subject)
    made = RightsRequest.objects.bulk_create(
        [
            RightsRequestFactory.build(
                subject=subject,
                email=subject.email,
                due_on=TODAY + dt.timedelta(days=n % 40 - 5),
                # What each row shows from elsewhere: an assignee, the request it repeats.
                assignee=(dpo, agent, None)[n % 3],
                duplicate_of=first if n % 2 else None,
            )
            for n in range(count)
        ]
    )
    NotificationSend.objects.bulk_create(
        NotificationSend(rights_request=r, kind="acknowledgement", status="failed")
        for r in made[::4]
    )
    dpo_client.get(QUEUE)  # the session and the permissions, as for a member of staff at work

    with django_assert_max_num_queries(10):
        response = dpo_client.get(QUEUE, {"due": "week", "assigned": "nobody"})
    with django_assert_max_num_queries(10):
        full = dpo_client.get(QUEUE)

    assert response.status_code == full.status_code == 200
    page = full.content.decode()
    assert page.count('class="request-reference"') == min(count + 1, 50)
    assert "request-mark-duplicate" in page
    assert "request-mark-failed" in page


# The request page


def test_the_request_page_shows_the_person_their_data_and_the_timeline(dpo, dpo_client, received):
    rights_request = received(NOW - dt.timedelta(days=2), details="Alles wat u over mij heeft.")
    from dsr_requests.services import rights_request_ask

    rights_request_ask(
        rights_request=rights_request,
        actor=dpo,
        reason=RequestPause.Reason.CLARIFICATION,
        message="Welke periode bedoelt u?",
    )

    page = _page(dpo_client, _request_page(rights_request))

    assert "lotte.peeters@example.com" in page
    assert "Alles wat u over mij heeft." in page
    assert "What the data map holds on the person" in page
    assert "Welke periode bedoelt u?" in page  # the question, in the timeline
    assert "Identity verified" in page
    assert "Record the answer" in page  # the one step a paused request waits for
    assert "Verify identity" not in page


@pytest.mark.parametrize(
    ("state", "kind", "buttons", "absent"),
    [
        (
            State.RECEIVED,
            Kind.ACCESS,
            ["Verify identity", "Ask the person", "Reject"],
            ["Complete"],
        ),
        (
            State.VERIFIED,
            Kind.ACCESS,
            ["Complete", "Extend the deadline", "Reject"],
            ["Verify identity"],
        ),
        # The export completes it once released: no way around the review.
        (State.IN_PROGRESS, Kind.ACCESS, ["Ask the person"], ["Verify identity", "Mark as done"]),
        (State.COMPLETED, Kind.ACCESS, ["Add a note"], ["Reject", "Extend the deadline"]),
    ],
)
def test_the_request_page_offers_the_steps_its_state_allows(
    dpo_client, state, kind, buttons, absent
):
    rights_request = _due_in(10, state=state, kind=kind)

    page = _page(dpo_client, _request_page(rights_request))

    for button in buttons:
        assert f">{button}</a>" in page, button
    for button in absent:
        assert f">{button}</a>" not in page, button


def test_a_kind_without_an_executor_is_marked_done_by_hand(dpo_client, monkeypatch):
    monkeypatch.delitem(execution._executors, Kind.ACCESS)
    rights_request = _due_in(10, state=State.IN_PROGRESS, kind=Kind.ACCESS)

    page = _page(dpo_client, _request_page(rights_request))

    assert ">Mark as done</a>" in page


def test_a_request_whose_execution_failed_can_be_marked_done_by_hand(dpo_client):
    rights_request = _due_in(10, state=State.IN_PROGRESS, kind=Kind.ACCESS)
    ExecutionStep.objects.create(
        rights_request=rights_request, name="export_build", status="failed"
    )

    page = _page(dpo_client, _request_page(rights_request))

    assert ">Mark as done</a>" in page


def test_an_agent_reads_but_cannot_work_a_request_assigned_to_someone_else(
    agent_client, other_agent
):
    rights_request = _due_in(10, assignee=other_agent)

    page = _page(agent_client, _request_page(rights_request))
    refused = agent_client.post(_step(rights_request, "note"), {"text": "Hallo"})

    assert "you can read it, not work it" in page
    assert 'class="button request-step' not in page
    assert refused.status_code == 302
    assert not rights_request.messages.exists()


def test_an_auditor_reads_everything_and_changes_nothing(auditor_client):
    rights_request = _due_in(10)

    queue = auditor_client.get(QUEUE)
    page = _page(auditor_client, _request_page(rights_request))
    trail = auditor_client.get("/admin/dsr_requests/auditevent/")
    receipts = auditor_client.get("/admin/subjects/deletionreceipt/")
    refused = auditor_client.post(
        _step(rights_request, "reject"), {"ground": "excessive", "send": "1"}
    )
    intake = auditor_client.get("/admin/dsr_requests/rightsrequest/add/")

    assert queue.status_code == trail.status_code == receipts.status_code == 200
    assert "You can read this request, not work it." in page
    assert refused.status_code == 302
    assert intake.status_code == 403
    rights_request.refresh_from_db()
    assert rights_request.state == State.VERIFIED


def test_a_step_is_taken_from_the_request_page(dpo_client, mailoutbox):
    rights_request = _due_in(10)

    response = dpo_client.post(
        _step(rights_request, "extend"), {"months": "1", "reason": "Vijf systemen."}
    )

    assert response.status_code == 302
    rights_request.refresh_from_db()
    assert rights_request.extension_months == 1
    assert rights_request.audit_events.get().action == AuditAction.EXTENDED


def test_a_refused_step_is_a_message_on_the_form_and_keeps_what_was_typed(dpo_client):
    rights_request = RightsRequestFactory(received_at=NOW - dt.timedelta(days=40))

    response = dpo_client.post(
        _step(rights_request, "extend"), {"months": "1", "reason": "Veel werk, helaas."}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The first month has ended" in page
    assert "Veel werk, helaas." in page
    rights_request.refresh_from_db()
    assert rights_request.extension_months == 0


def test_a_step_the_state_does_not_allow_is_refused_without_an_error_page(dpo_client):
    rights_request = _due_in(10, state=State.COMPLETED)

    response = dpo_client.post(_step(rights_request, "reject"), {"ground": "excessive"})

    assert response.status_code == 302
    assert "This step is not possible" in dpo_client.get(response["Location"]).content.decode()


def test_staff_see_the_rejection_and_the_right_to_complain_before_sending(dpo_client, mailoutbox):
    rights_request = _due_in(10, language="en")
    mail.outbox.clear()

    preview = dpo_client.post(
        _step(rights_request, "reject"), {"ground": "manifestly_unfounded", "reason": ""}
    )
    rights_request.refresh_from_db()
    assert rights_request.state == State.VERIFIED
    assert mail.outbox == []
    sent = dpo_client.post(
        _step(rights_request, "reject"),
        {"ground": "manifestly_unfounded", "reason": "", "send": "1"},
    )

    page = preview.content.decode()
    assert "manifestly unfounded" in page
    assert "Data Protection Authority (GBA/APD)" in page
    assert "go to court" in page
    assert sent.status_code == 302
    rights_request.refresh_from_db()
    assert rights_request.state == State.REJECTED


def test_a_failed_e_mail_can_be_sent_again_from_the_request_page(
    dpo_client, django_capture_on_commit_callbacks
):
    rights_request = _due_in(10)
    notification = NotificationSend.objects.create(
        rights_request=rights_request, kind="acknowledgement", status="failed", attempts=7
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = dpo_client.post(
            reverse(
                "admin:dsr_requests_rightsrequest_resend",
                args=[rights_request.pk, notification.pk],
            )
        )

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == NotificationSend.Status.SENT


# Intake by staff


def test_a_letter_is_entered_with_its_receipt_date_and_scan(
    dpo_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = dpo_client.post(
            "/admin/dsr_requests/rightsrequest/add/",
            {
                "kind": Kind.ERASURE,
                "channel": RightsRequest.Channel.LETTER,
                "received_on": "2027-03-03",
                "email": "lotte.peeters@example.com",
                "language": "nl",
                "name": "Lotte Peeters",
                "details": "Wis alles.",
                "letter": SimpleUploadedFile("brief.pdf", b"%PDF-1.7 scan"),
            },
        )

    rights_request = RightsRequest.objects.get()
    assert response.status_code == 302
    assert rights_request.received_on == dt.date(2027, 3, 3)
    assert rights_request.channel == RightsRequest.Channel.LETTER
    assert rights_request.state == State.AWAITING_SUBJECT
    assert rights_request.attachments.get().kind == "letter"
    assert len(mailoutbox) == 1


def test_an_intake_missing_the_complainants_name_keeps_what_was_typed(dpo_client):
    response = dpo_client.post(
        "/admin/dsr_requests/rightsrequest/add/",
        {
            "kind": Kind.COMPLAINT,
            "channel": RightsRequest.Channel.PHONE,
            "received_on": "2027-03-09",
            "email": "lotte.peeters@example.com",
            "language": "fr",
            "details": "Je me plains de vos courriels.",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "A complaint needs the complainant&#x27;s name." in page
    assert "Je me plains de vos courriels." in page
    assert not RightsRequest.objects.exists()


def test_the_persons_page_offers_to_enter_a_request_for_them(dpo_client):
    subject = DataSubjectFactory()

    page = _page(dpo_client, f"/admin/subjects/datasubject/{subject.pk}/change/")

    assert f"/admin/dsr_requests/rightsrequest/add/?subject={subject.pk}" in page


def test_a_document_is_opened_from_the_request_page_and_the_opening_is_recorded(
    dpo_client, received
):
    rights_request = received(
        NOW - dt.timedelta(days=1),
        attachments=[("letter", SimpleUploadedFile("brief.pdf", b"%PDF-1.7 scan"))],
    )
    attachment = rights_request.attachments.get()

    response = dpo_client.get(
        reverse(
            "admin:dsr_requests_rightsrequest_attachment", args=[rights_request.pk, attachment.pk]
        )
    )

    assert b"".join(response.streaming_content) == b"%PDF-1.7 scan"
    assert response["Content-Disposition"].startswith("attachment")
    assert rights_request.audit_events.filter(action=AuditAction.ATTACHMENT_VIEWED).exists()


# The dashboard and the record of processing activities


def _answered(closed_on: dt.date, due_on: dt.date, received_on: dt.date) -> None:
    rights_request = RightsRequestFactory(state=State.COMPLETED)
    RightsRequest.objects.filter(pk=rights_request.pk).update(
        closed_on=closed_on, due_on=due_on, received_on=received_on
    )


def test_the_dashboard_shows_real_figures_as_a_chart_a_table_and_csv(dpo_client):
    _due_in(-2)
    _due_in(3)
    _due_in(20, state=State.AWAITING_SUBJECT)
    _answered(dt.date(2027, 2, 10), dt.date(2027, 2, 20), dt.date(2027, 2, 1))  # 9 days
    _answered(dt.date(2027, 2, 25), dt.date(2027, 2, 20), dt.date(2027, 1, 20))  # 36 days, late
    _answered(dt.date(2026, 11, 5), dt.date(2026, 11, 30), dt.date(2026, 11, 1))  # 4 days

    page = _page(dpo_client, "/admin/dsr_requests/rightsrequest/dashboard/")
    download = dpo_client.get("/admin/dsr_requests/rightsrequest/dashboard/", {"format": "csv"})

    assert "<svg" in page
    assert 'class="chart-late"' in page
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    figures = {row[0]: row[1:] for row in rows if row}
    assert figures["Open requests"] == ["3"]
    assert figures["Due this week"] == ["1"]
    assert figures["Overdue"] == ["1"]
    assert figures["Median days from receipt to answer (last 12 months)"] == ["9"]
    assert figures["2027-02"] == ["1", "1", "2"]
    assert figures["2026-11"] == ["1", "0", "1"]
    assert figures["2026-04"] == ["0", "0", "0"]
    assert "2026-03" not in figures


def test_the_record_of_processing_activities_comes_from_the_registers_and_the_data_map(
    dpo_client,
):
    page = _page(dpo_client, "/admin/dsr_requests/rightsrequest/processing-record/")
    download = dpo_client.get(
        "/admin/dsr_requests/rightsrequest/processing-record/", {"format": "csv"}
    )

    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    by_section = {row[0]: row for row in rows[3:]}
    assert set(by_section) == {"2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8"}
    assert "Orders" in by_section["2.3"][4] or "orders" in by_section["2.3"][4]
    assert "Rights requests" in by_section["2.8"][4] or "rights requests" in by_section["2.8"][4]
    assert "two months" in by_section["2.5"][7]
    assert "Legal basis" in page
    assert "Transfers outside the EEA" in page
