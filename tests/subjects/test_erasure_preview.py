"""The erasure preview: what `subject_erase` would do, with nothing changed."""

import pytest
from django.db import transaction

from subjects.datamap import KeepReason
from subjects.models import BrowsingEvent, DataSubject, DeletionReceipt, ErasurePending, Order
from subjects.services import ErasureCause, subject_erase, subject_erasure_preview
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_the_preview_tells_what_the_erasure_then_does_and_changes_nothing():
    subject = DataSubjectFactory()
    BrowsingEventFactory.create_batch(3, subject=subject)
    OrderFactory(subject=subject, status=Order.Status.OPEN)

    preview = subject_erasure_preview(subject=subject)

    assert preview.categories["browsing_history"].deleted == 3
    assert preview.categories["orders"].kept == {KeepReason.OPEN_ORDER: 1}
    assert BrowsingEvent.objects.filter(subject=subject).count() == 3
    assert DataSubject.objects.get(pk=subject.pk).first_name == subject.first_name
    assert not DeletionReceipt.objects.exists()
    assert not ErasurePending.objects.exists()

    done = subject_erase(subject=subject, cause=ErasureCause(kind="rights_request"))
    assert done.as_dict() == preview.as_dict()


def test_the_preview_inside_a_callers_transaction_leaves_it_usable():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    with transaction.atomic():
        subject_erasure_preview(subject=subject)
        assert BrowsingEvent.objects.filter(subject=subject).exists()
        BrowsingEventFactory(subject=subject)
    assert BrowsingEvent.objects.filter(subject=subject).count() == 2
