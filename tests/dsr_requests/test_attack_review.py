"""An outside review of rights requests and the staff queue (issue 8): each test showed a
defect of the landed code, and stays as its regression test."""

import datetime as dt

import pytest

from dsr_requests import services
from dsr_requests.models import AuditAction, AuditEvent, RightsRequest
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
