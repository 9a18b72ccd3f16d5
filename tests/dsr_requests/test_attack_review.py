"""An outside review of rights requests and the staff queue (issue 8): each test showed a
defect of the landed code, and stays as its regression test."""

import datetime as dt

import pytest

from dsr_requests import services
from dsr_requests.exceptions import IntakeInvalid
from dsr_requests.models import AuditAction, AuditEvent, NotificationSend, RightsRequest
from dsr_requests.selectors import rights_request_queue
from dsr_requests.workflow import Kind
from tests.staff import staff_client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
Method = RightsRequest.IdentityMethod


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW + dt.timedelta(days=10), tick=False)


def test_a_request_received_first_but_verified_last_still_gets_its_duplicate_linked(received, dpo):
    """A letter received on 1 March is entered and confirmed late; meanwhile the person asks
    again on 3 March and is verified at once. Two open access requests of one person, and
    neither is marked: the duplicate lookup only looks for a request received *before* the
    one being verified, and the later one was verified when the letter had no subject yet.
    Issue 8: the second open request of the same kind is linked to the first."""
    letter = received(NOW, verified=False, now=NOW + dt.timedelta(days=5))
    again = received(NOW + dt.timedelta(days=2), now=NOW + dt.timedelta(days=6))
    assert again.duplicate_of_id is None  # nothing verified to repeat yet

    services.rights_request_verify(
        rights_request=letter,
        actor=dpo,
        method=Method.KNOWN_DETAILS,
        now=NOW + dt.timedelta(days=7),
    )

    letter.refresh_from_db()
    again.refresh_from_db()
    assert letter.duplicate_of_id is None
    assert again.duplicate_of_id == letter.pk
    assert again.state == RightsRequest.State.VERIFIED
    linked = AuditEvent.objects.get(rights_request=again, action=AuditAction.DUPLICATE_LINKED)
    assert linked.details == {"duplicate_of": letter.pk, "duplicate_of_reference": letter.reference}


@pytest.mark.parametrize(
    "path",
    [
        "abc/change/",
        "abc/step/verify/",
        "abc/documents/1/",
        "abc/emails/1/resend/",
        "1%20or%201=1/step/verify/",
    ],
)
def test_a_request_address_that_is_no_id_is_not_found_not_a_server_error(dpo, path):
    """The request page and its step, document and resend pages look the request up by the
    path's `object_id` as given: "abc" raised ValueError ("Field 'id' expected a number"), a
    500 for a mistyped or tampered address."""
    client = staff_client_for(dpo)

    response = client.get(f"/admin/dsr_requests/rightsrequest/{path}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "lotte@example.com\nBcc: spy@evil.example"),
        ("email", "lotte@example.com, spy@evil.example"),
        ("email", "@"),
        ("representative_email", "advocaat@example.com\r\nBcc: spy@evil.example"),
    ],
)
def test_an_address_that_is_not_one_address_is_refused_at_intake(field, value):
    """The services are the privacy centre's and the API's way in (issue 8); intake checked
    only that the address had an "@". An address with a line break was stored, and its
    acknowledgement died in the worker with BadHeaderError, whose message quotes it."""
    fields = {"email": "lotte@example.com", field: value}
    if field == "representative_email":
        fields["representative_name"] = "Mr. Janssens"

    with pytest.raises(IntakeInvalid) as refused:
        services.rights_request_submit(kind=Kind.ACCESS, language="nl", **fields)

    assert field in refused.value.fields
    assert not RightsRequest.objects.exists()


def test_an_e_mail_that_fails_for_any_reason_shows_as_failed_and_logs_no_address(
    received, dpo, monkeypatch, caplog
):
    """Only mail-server and network errors were caught: any other error while building or
    sending (a bad header, a template) left the e-mail "sending" for ever (never shown as
    failed in the queue, never offered to send again) and went to the worker's log with its
    message, which may quote the address."""
    rights_request = received(NOW)
    notification = NotificationSend.objects.create(
        rights_request=rights_request, kind=NotificationSend.Kind.COMPLETION
    )

    def refuse(message, *args, **kwargs):
        raise ValueError(f"cannot send to {message.to[0]}")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)

    outcome = services.notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert outcome == services.SendOutcome.FAILED
    assert (notification.status, notification.last_error) == ("failed", "ValueError")
    assert rights_request_queue(viewer=dpo).get(pk=rights_request.pk).email_failed is True
    assert rights_request.email not in caplog.text
