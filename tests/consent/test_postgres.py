"""On PostgreSQL: the ledger refuses UPDATE and DELETE in SQL, and concurrent changes for one
person leave the current state equal to the ledger's last word."""

import itertools
import random
import threading

import pytest
from django.db import IntegrityError, InternalError, connection, connections, transaction
from django.db.utils import ProgrammingError

from consent.models import ConsentEvent, ConsentState, NewsletterSubscription
from consent.services import consent_give, consent_withdraw, newsletter_subscribe
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.postgres
TRIGGER_ERRORS = (InternalError, IntegrityError, ProgrammingError)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_consentevent SET channel = 'api' WHERE id = %s",
        "UPDATE consent_consentevent SET subject_id = NULL WHERE id = %s",
        "DELETE FROM consent_consentevent WHERE id = %s",
    ],
)
def test_the_ledger_refuses_update_and_delete_in_sql(statement):
    subject = DataSubjectFactory()
    entry = consent_give(subject=subject, purpose="email_marketing", channel="web")

    with (
        pytest.raises(TRIGGER_ERRORS, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    assert ConsentEvent.objects.filter(pk=entry.pk, channel="web").exists()


@pytest.mark.django_db
def test_purpose_text_versions_refuse_update_in_sql():
    with (
        pytest.raises(TRIGGER_ERRORS, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE consent_consentpurposeversion SET name = 'x'")


def _last_words(subject):
    """The ledger's last word per consent and per newsletter."""
    last = {}
    for entry in ConsentEvent.objects.filter(subject=subject).order_by("recorded_at", "pk"):
        key = (
            ("newsletter", entry.newsletter_id)
            if entry.newsletter_id
            else ("purpose", entry.purpose_id)
        )
        last[key] = entry.action
    return last


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_gives_and_withdrawals_leave_the_state_equal_to_the_ledger(consent_register):
    subject = DataSubjectFactory()
    from consent.models import Newsletter

    offers = Newsletter.objects.select_related("purpose").get(code="offers")
    codes = ["email_marketing", "phone_marketing", "analytics_cookies"]
    errors = []
    start = threading.Barrier(6)

    def worker(seed):
        chooser = random.Random(seed)  # noqa: S311 - a test's own order
        try:
            start.wait()
            for _ in range(25):
                roll = chooser.random()
                if roll < 0.15:
                    newsletter_subscribe(subject=subject, newsletter=offers, channel="web")
                    continue
                change = consent_give if roll < 0.6 else consent_withdraw
                change(subject=subject, purpose=chooser.choice(codes), channel="web")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    words = _last_words(subject)
    states = {
        ("purpose", s.purpose_id): s.status for s in ConsentState.objects.filter(subject=subject)
    }
    assert {k: v for k, v in words.items() if k[0] == "purpose"} == states
    subscribed = set(
        NewsletterSubscription.objects.filter(subject=subject).values_list(
            "newsletter_id", flat=True
        )
    )
    newsletter_words = {k[1] for k, v in words.items() if k[0] == "newsletter" and v == "given"}
    assert subscribed == newsletter_words
    # Each state points at its consent's latest entry, and no two entries repeat a word.
    for state in ConsentState.objects.filter(subject=subject):
        latest = (
            ConsentEvent.objects.filter(subject=subject, purpose=state.purpose, newsletter=None)
            .order_by("-recorded_at", "-pk")
            .first()
        )
        assert state.last_event_id == latest.pk
    for purpose_id in {k[1] for k in words if k[0] == "purpose"}:
        actions = list(
            ConsentEvent.objects.filter(subject=subject, purpose_id=purpose_id, newsletter=None)
            .order_by("recorded_at", "pk")
            .values_list("action", flat=True)
        )
        assert all(a != b for a, b in itertools.pairwise(actions))
