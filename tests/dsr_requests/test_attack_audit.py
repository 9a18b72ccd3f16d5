"""Attack on the audit trail (issue 8): append-only in SQL on PostgreSQL, whatever the
statement."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent.models import ConsentEvent
from dsr_requests.models import AuditEvent
from tests.dsr_requests.factories import RightsRequestFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("model", [AuditEvent, ConsentEvent])
def test_an_append_only_table_refuses_truncate_in_sql(model):
    """TRUNCATE fires no row trigger: the UPDATE and DELETE triggers let one `TRUNCATE
    dsr_requests_auditevent` empty the whole trail (and the consent ledger) in one statement.
    A transactional test: inside the test's own transaction PostgreSQL refuses TRUNCATE for a
    different reason (pending trigger events), which would hide the hole."""
    rights_request = RightsRequestFactory()
    AuditEvent.objects.create(
        rights_request=rights_request,
        reference=rights_request.reference,
        action="received",
        actor_kind=AuditEvent.ActorKind.SYSTEM,
        from_state="unconfirmed",
        to_state="received",
    )
    before = model.objects.count()

    with (
        pytest.raises(DatabaseError, match="Cannot truncate"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")

    assert model.objects.count() == before
