"""What an erasure kept back is finished once its reason ends (the daily re-check)."""

import datetime as dt

import pytest
from django.conf import settings

from retention.services import erasures_pending_finish
from retention.tasks import erasures_pending_finish_task
from subjects.models import DataSubject, DeletionReceipt, ErasurePending, Order, PurposeCode
from subjects.services import ErasureCause, subject_erase
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    LegalHoldFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)
CAUSE = ErasureCause("rights_request", "VP-2026-000007")


def _kept_back_by_an_open_order():
    subject = DataSubjectFactory()
    order = OrderFactory(subject=subject, status=Order.Status.OPEN, placed_at=NOW)
    BrowsingEventFactory(subject=subject)
    subject_erase(subject=subject, cause=CAUSE, now=NOW)
    return subject, order


def test_once_the_order_closed_the_recheck_finishes_the_erasure_under_the_same_cause():
    subject, order = _kept_back_by_an_open_order()
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.CLOSED, placed_at=NOW - dt.timedelta(days=365 * 11)
    )

    looked_at = erasures_pending_finish(now=LATER)

    assert looked_at == 1
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert not ErasurePending.objects.exists()
    last = DeletionReceipt.objects.order_by("-erased_at").first()
    assert (last.cause, last.cause_reference, last.subject_deleted) == (
        "rights_request",
        "VP-2026-000007",
        True,
    )


def test_while_the_order_is_open_it_stays_pending_and_is_checked_again_tomorrow():
    subject, _order = _kept_back_by_an_open_order()

    erasures_pending_finish(now=LATER)
    again_same_day = erasures_pending_finish(now=LATER + dt.timedelta(hours=1))

    pending = ErasurePending.objects.get(subject=subject)
    assert pending.checked_at == LATER
    assert again_same_day == 0  # checked today already
    assert DataSubject.objects.filter(pk=subject.pk).exists()


def test_a_purge_kept_back_by_a_legal_hold_resumes_for_its_purposes_only():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    OrderFactory(subject=subject, placed_at=NOW)  # another purpose: the person stays
    hold = LegalHoldFactory(subject=subject, released_at=None)
    subject_erase(
        subject=subject,
        cause=ErasureCause("unsubscribe_purge", "run-1"),
        purposes=[PurposeCode.COMMERCIAL_COMMUNICATION],
        now=NOW,
    )
    hold.released_at = NOW + dt.timedelta(days=1)
    hold.save()

    erasures_pending_finish(now=LATER)

    assert subject.browsing_events.count() == 0
    assert Order.objects.filter(subject=subject).count() == 1
    assert not ErasurePending.objects.exists()


def test_the_recheck_runs_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["erasures-pending-finish"]

    assert entry["task"] == "retention.tasks.erasures_pending_finish_task"
    assert erasures_pending_finish_task() == 0
