"""Attack 9: what an erasure request keeps only while it is open (the request's own rows:
its address, name, messages, the identity they point at) is gone at the daily re-check
after the answer; nothing of the person is left outside a lasting keep-reason."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dsr_requests.models import RecipientNotice, RequestMessage, RightsRequest
from dsr_requests.services import rights_request_complete
from dsr_requests.workflow import Kind, State
from retention.services import erasures_pending_finish
from subjects.datamap import datamap
from subjects.models import DataSubject, DeletionReceipt, Recipient
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db


def test_after_the_answer_the_daily_recheck_leaves_nothing_of_the_person(
    dpo, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    Recipient.objects.update(is_active=False)
    subject = DataSubjectFactory(email="lotte@example.be", first_name="Lotte")
    BrowsingEventFactory.create_batch(2, subject=subject)
    rights_request = RightsRequestFactory(
        subject=subject,
        kind=Kind.ERASURE,
        state=State.VERIFIED,
        email=subject.email,
        name="Lotte Peeters",
        details="Please erase everything, my neighbour Jan Zwartberg too.",
    )
    RequestMessage.objects.create(
        rights_request=rights_request, kind=RequestMessage.Kind.FROM_PERSON, body="Lotte here."
    )
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED

    notice = RecipientNotice.objects.create(
        rights_request=rights_request,
        recipient=Recipient.objects.first(),
        reason=RecipientNotice.Reason.ERASURE,
        categories=["browsing_history"],
        answer=RecipientNotice.Answer.ERASED,
        note="Erased Lotte Peeters from our list.",
        answered_at=dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC),
    )
    notice.file.save("proof.pdf", ContentFile(b"%PDF-1.4 Lotte Peeters"), save=True)
    answer_file = notice.file.name

    time_machine.move_to(dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        erasures_pending_finish()

    rights_request.refresh_from_db()
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert (rights_request.email, rights_request.name, rights_request.details) == ("", "", "")
    assert not RequestMessage.objects.filter(rights_request=rights_request).exists()
    assert not RecipientNotice.objects.filter(pk=notice.pk).exists()
    assert not default_storage.exists(answer_file)
    for category in datamap.categories():
        if isinstance(category.match_email, str):
            rows = category.model._base_manager.filter(**{category.match_email: subject.email})
            assert not rows.exists(), category.key
    assert DeletionReceipt.objects.filter(cause_reference=rights_request.reference).exists()
    assert RightsRequest.objects.filter(pk=rights_request.pk).exists()
