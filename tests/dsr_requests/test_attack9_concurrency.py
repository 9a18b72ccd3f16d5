"""Attack 9: two workers given the same execution at once, and a recipient's answer sent
twice at once, on PostgreSQL with real threads and connections: each is done once."""

import threading

import pytest
from django.db import connections

from dsr_requests import roles
from dsr_requests.erasure import erasure_execute
from dsr_requests.models import AuditAction, RecipientNotice
from dsr_requests.recipient_notices import (
    NoticeAnsweredAlready,
    recipient_notice_answer,
    recipient_notice_token_make,
)
from dsr_requests.services import rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.models import DeletionReceipt, Purpose, Recipient
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_together(*jobs):
    outcomes: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def worker(index, job):
        try:
            start.wait(timeout=5)
            outcomes[index] = job()
        except Exception as error:  # reported to the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_workers_running_the_same_erasure_erase_once_and_write_one_receipt():
    subject = DataSubjectFactory(email="lotte@example.be")
    BrowsingEventFactory.create_batch(3, subject=subject)
    rights_request = RightsRequestFactory(
        subject=subject, kind=Kind.ERASURE, state=State.IN_PROGRESS, email=subject.email
    )

    outcomes = _run_together(
        lambda: erasure_execute(rights_request_id=rights_request.pk),
        lambda: erasure_execute(rights_request_id=rights_request.pk),
    )

    assert outcomes == [None, None]
    assert DeletionReceipt.objects.filter(cause_reference=rights_request.reference).count() == 1
    assert rights_request.audit_events.filter(action=AuditAction.ERASURE_EXECUTED).count() == 1
    notices = RecipientNotice.objects.filter(rights_request=rights_request)
    assert notices.count() == len(set(notices.values_list("recipient_id", flat=True))) > 0


def test_a_recipients_answer_sent_twice_at_once_is_recorded_once():
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    subject = DataSubjectFactory(email="lotte@example.be")
    BrowsingEventFactory.create_batch(2, subject=subject)
    rights_request = RightsRequestFactory(
        subject=subject, kind=Kind.ERASURE, state=State.VERIFIED, email=subject.email
    )
    panel = Recipient.objects.create(
        name="Insight Panel NV",
        category=Recipient.Category.ANALYTICS,
        role=Recipient.Role.PROCESSOR,
        privacy_contact_email="privacy@panel.example",
    )
    panel.purposes.set(Purpose.objects.filter(code="business_development"))
    rights_request_complete(rights_request=rights_request, actor=dpo)
    erasure_execute(rights_request_id=rights_request.pk)
    notice = (
        RecipientNotice.objects.filter(rights_request=rights_request).exclude(link_nonce="").first()
    )
    assert notice is not None
    token = recipient_notice_token_make(notice)

    outcomes = _run_together(
        lambda: recipient_notice_answer(token=token, answer="erased", note="one"),
        lambda: recipient_notice_answer(token=token, answer="none_held", note="two"),
    )

    answered = [o for o in outcomes if isinstance(o, RecipientNotice)]
    refused = [o for o in outcomes if isinstance(o, NoticeAnsweredAlready)]
    assert (len(answered), len(refused)) == (1, 1), outcomes
    assert rights_request.audit_events.filter(action=AuditAction.RECIPIENT_ANSWERED).count() == 1
