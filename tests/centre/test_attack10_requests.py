"""Attack tests (attack10): one person seeing or acting on another's request."""

import re

import pytest
from django.core import mail
from django.test import Client

from dsr_requests.models import RightsRequest
from dsr_requests.workflow import State

pytestmark = pytest.mark.django_db


def _confirm_from_mail(execute) -> None:
    """The address's owner confirms, from their own browser, the link e-mailed to them."""
    path = re.search(r"/en/requests/confirm/[^/\s]+/", mail.outbox[-1].body).group(0)
    with execute(execute=True):
        assert Client().post(path).status_code == 200


def test_replaying_a_submission_key_does_not_open_someone_elses_confirmed_request(
    client, django_capture_on_commit_callbacks
):
    """An attacker files an access request in the victim's address with a key of their own
    choosing; the victim confirms it from their mailbox; the attacker posts the same form
    again. That must not hand the attacker's browser the victim's request (its messages, its
    export): only the follow link e-mailed to the victim does."""
    key = "attacker-chosen-key"
    data = {"submission_key": key, "email": "victim@example.be", "details": ""}
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/rights/access/", data)
    _confirm_from_mail(django_capture_on_commit_callbacks)
    rights_request = RightsRequest.objects.get()
    assert rights_request.state != State.UNCONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        replay = client.post("/en/rights/access/", data)

    assert replay.status_code == 302
    assert replay["Location"] == "/en/rights/sent/"
    assert client.get(f"/en/requests/{rights_request.reference}/").status_code == 404
    assert rights_request.reference not in client.get("/en/requests/").content.decode()
    assert RightsRequest.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/en/requests/VX%00/",
        "/en/requests/VX%00/withdraw/",
        "/en/requests/follow/a%00b/",
        "/en/requests/confirm/a%00b/",
        "/en/requests/export/a%00b/",
        "/en/requests/" + "V" * 5000 + "/",
    ],
)
def test_an_odd_reference_or_token_is_a_404_never_a_500(client, path):
    assert client.get(path).status_code == 404


def test_the_request_forms_limit_how_many_confirmation_emails_one_client_sends_an_address(
    client, django_capture_on_commit_callbacks
):
    """Without an account, each request form e-mails the address typed: unlimited, anyone can
    flood a stranger's mailbox from VELUX's servers. Refused past the limit, with the form and
    what was typed kept."""
    responses = []
    for attempt in range(12):
        with django_capture_on_commit_callbacks(execute=True):
            responses.append(
                client.post(
                    "/en/rights/access/",
                    {
                        "submission_key": f"key-{attempt}",
                        "email": "victim@example.be",
                        "details": f"Attempt {attempt}",
                    },
                )
            )

    assert len(mail.outbox) <= 5
    refused = responses[-1]
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Attempt 11" in html
    assert 'value="victim@example.be"' in html
    assert 'class="error-summary"' in html
    assert RightsRequest.objects.count() == len(mail.outbox)


def _followed_request(client, execute) -> RightsRequest:
    from dsr_requests.selectors import confirmation_token_make, follow_token_make
    from dsr_requests.services import rights_request_submit

    with execute(execute=True):
        submitted = rights_request_submit(
            kind="access", email="lotte.peeters@example.be", language="en"
        ).rights_request
    with execute(execute=True):
        Client().post(f"/en/requests/confirm/{confirmation_token_make(submitted)}/")
    submitted.refresh_from_db()
    client.get(f"/en/requests/follow/{follow_token_make(submitted)}/")
    return submitted


def test_a_double_submitted_withdrawal_withdraws_once_and_reports_no_error(
    client, django_capture_on_commit_callbacks
):
    """A double click on "Withdraw": the request is withdrawn once, and the page the person
    lands on says so, not also "This request can no longer be withdrawn"."""
    rights_request = _followed_request(client, django_capture_on_commit_callbacks)
    path = f"/en/requests/{rights_request.reference}/withdraw/"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(path)

    assert second["Location"] == f"/en/requests/{rights_request.reference}/"
    page = client.get(second["Location"]).content.decode()
    assert "Your request is withdrawn" in page
    assert "can no longer be withdrawn" not in page
    rights_request.refresh_from_db()
    assert rights_request.state == State.WITHDRAWN
    withdrawals = [m for m in mail.outbox if "withdrawn" in m.subject.lower()]
    assert len(withdrawals) <= 1


def test_opening_a_follow_link_gives_the_browser_a_new_session_key(
    client, django_capture_on_commit_callbacks
):
    """Session fixation: an attacker who planted a session id of their own in the victim's
    browser (a cookie set from a sibling subdomain, a shared kiosk) must not read the
    request once the victim opens its follow link there: the session key changes, as Django's
    sign-in changes it."""
    from importlib import import_module

    from django.conf import settings

    planted = import_module(settings.SESSION_ENGINE).SessionStore()
    planted["planted"] = True
    planted.save()
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    rights_request = _followed_request(victim, django_capture_on_commit_callbacks)
    detail = f"/en/requests/{rights_request.reference}/"
    assert victim.get(detail).status_code == 200

    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert attacker.get(detail).status_code == 404
    assert rights_request.reference not in attacker.get("/en/requests/").content.decode()


def test_a_double_submitted_answer_is_kept_once_and_reports_no_error(
    client, customer, django_capture_on_commit_callbacks
):
    """A double click on "Send my answer": one message, and the page says thank you, not
    also "We are not waiting for an answer on this request"."""
    from dsr_requests import roles
    from dsr_requests.models import RequestMessage
    from dsr_requests.services import rights_request_ask
    from tests.dsr_requests.factories import RightsRequestFactory, staff_in

    asked = RightsRequestFactory(subject=customer, kind="rectification")
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_ask(
            rights_request=asked,
            actor=staff_in(roles.DPO, email="dpo@velux.example"),
            reason="clarification",
            message="Which address: delivery or invoice?",
        )
    client.force_login(customer.user)
    path = f"/en/requests/{asked.reference}/"

    first = client.post(path, {"message": "The delivery address."})
    second = client.post(path, {"message": "The delivery address."})

    assert first.status_code == second.status_code == 302
    page = client.get(path).content.decode()
    assert "We have received your answer" in page
    assert "not waiting for an answer" not in page
    assert asked.messages.filter(kind=RequestMessage.Kind.FROM_PERSON).count() == 1
