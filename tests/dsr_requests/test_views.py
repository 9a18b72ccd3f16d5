"""The person confirms a request from the e-mailed link: a GET shows a button (mail scanners
follow links), the POST confirms."""

import pytest

from dsr_requests.selectors import confirmation_token_make
from dsr_requests.services import rights_request_submit
from dsr_requests.workflow import Kind, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return rights_request_submit(
            kind=Kind.ACCESS, email="lotte@example.com", language="fr"
        ).rights_request


def _url(rights_request, language="fr"):
    return f"/{language}/requests/confirm/{confirmation_token_make(rights_request)}/"


def test_opening_the_link_asks_before_confirming(client, submitted):
    response = client.get(_url(submitted))

    assert response.status_code == 200
    assert "Oui, j'ai fait cette demande" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == State.UNCONFIRMED


def test_confirming_shows_the_reference_and_the_due_date(
    client, submitted, django_capture_on_commit_callbacks, mailoutbox
):
    url = _url(submitted)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    submitted.refresh_from_db()
    assert response.status_code == 200
    assert submitted.state == State.VERIFIED
    assert submitted.reference in response.content.decode()
    assert submitted.reference in mailoutbox[-1].subject
    again = client.post(url)
    assert again.status_code == 404
    assert "Ce lien n'est plus valable" in again.content.decode()


def test_a_link_that_was_tampered_with_is_no_link(client, submitted):
    response = client.get(f"/fr/requests/confirm/{confirmation_token_make(submitted)}x/")

    assert response.status_code == 404
