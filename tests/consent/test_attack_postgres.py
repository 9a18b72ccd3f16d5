"""On PostgreSQL: the erasure flag of the append-only triggers lets an erasure unlink a
person from the ledger and nothing more."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import ProgrammingError

from consent.models import ConsentEvent
from consent.services import consent_give
from subjects.services import ErasureCause, subject_erase
from tests.subjects.factories import DataSubjectFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
TRIGGER_ERRORS = (InternalError, IntegrityError, ProgrammingError)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_consentevent SET action = 'withdrawn' WHERE id = %s",
        "UPDATE consent_consentevent SET recorded_at = recorded_at - interval '1 year' "
        "WHERE id = %s",
        "UPDATE consent_consentevent SET subject_id = NULL, channel = 'api' WHERE id = %s",
        # An erasure unlinks ledger entries, it never deletes them.
        "DELETE FROM consent_consentevent WHERE id = %s",
    ],
)
def test_the_erasure_flag_does_not_let_sql_rewrite_what_an_entry_says(statement):
    """Defect: any SQL session could `set_config('velux.erasure', 'on', true)` and then
    rewrite a ledger entry (a consent given into a withdrawal, its date), since the triggers
    stood down completely for an erasure's transaction."""
    subject = DataSubjectFactory()
    entry = consent_give(subject=subject, purpose="email_marketing", channel="web")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('velux.erasure', 'on', true)")
        with pytest.raises(TRIGGER_ERRORS, match="Cannot"), transaction.atomic():
            cursor.execute(statement, [entry.pk])

    assert ConsentEvent.objects.filter(pk=entry.pk, action="given", channel="web").exists()


def test_an_erasure_still_unlinks_the_person_from_the_ledger():
    subject = DataSubjectFactory()
    entry = consent_give(subject=subject, purpose="email_marketing", channel="web")

    subject_erase(subject=subject, cause=ErasureCause(kind="rights_request", reference="R-1"))

    entry = ConsentEvent._base_manager.get(pk=entry.pk)
    assert (entry.subject_id, entry.action, entry.channel) == (None, "given", "web")
