"""Attack 9: an erasure (or rectification) already carried out cannot be withdrawn. Withdrawn
while the recipients' Art. 19 notices were open, the request read "withdrawn" although the
data was erased (the receipt says so), and the reminders and the escalation of the notices
stopped: the recipients were never chased to erase their copies."""

import pytest
from django.urls import reverse

from dsr_requests.exceptions import TransitionRefused
from dsr_requests.models import RecipientNotice, RightsRequest
from dsr_requests.services import (
    rights_request_complete,
    rights_request_reject,
    rights_request_withdraw,
)
from dsr_requests.workflow import Kind, State
from subjects.models import DeletionReceipt
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_client_for
from tests.subjects.factories import BrowsingEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def erased_waiting_for_recipients(customer, dpo, django_capture_on_commit_callbacks):
    BrowsingEventFactory.create_batch(2, subject=customer)
    rights_request = RightsRequestFactory(
        subject=customer, kind=Kind.ERASURE, state=State.VERIFIED, email=customer.email
    )
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    rights_request.refresh_from_db()
    assert rights_request.state == State.IN_PROGRESS
    assert DeletionReceipt.objects.filter(cause_reference=rights_request.reference).exists()
    assert RecipientNotice.objects.filter(
        rights_request=rights_request, answered_at__isnull=True
    ).exists()
    return rights_request


def test_an_erasure_carried_out_cannot_be_withdrawn_by_the_person(
    client, customer, erased_waiting_for_recipients
):
    rights_request = erased_waiting_for_recipients
    client.force_login(customer.user)

    page = client.get(f"/en/requests/{rights_request.reference}/").content.decode()
    client.post(f"/en/requests/{rights_request.reference}/withdraw/")

    assert "Withdraw this request" not in page
    rights_request.refresh_from_db()
    assert rights_request.state == State.IN_PROGRESS


def test_staff_cannot_record_the_withdrawal_of_an_erasure_carried_out(
    dpo, erased_waiting_for_recipients
):
    with pytest.raises(TransitionRefused):
        rights_request_withdraw(rights_request=erased_waiting_for_recipients, actor=dpo)


def test_staff_cannot_reject_an_erasure_carried_out_and_the_page_offers_neither(
    dpo, erased_waiting_for_recipients
):
    rights_request = erased_waiting_for_recipients
    with pytest.raises(TransitionRefused):
        rights_request_reject(
            rights_request=rights_request,
            actor=dpo,
            ground=RightsRequest.RejectionGround.MANIFESTLY_UNFOUNDED,
            reason="Changed our mind.",
        )
    page = staff_client_for(dpo).get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    )
    names = {step["name"] for step in page.context["steps"]}
    assert names.isdisjoint({"withdraw", "reject"})
    rights_request.refresh_from_db()
    assert rights_request.state == State.IN_PROGRESS
