"""Statements compiled once for a stand-in subject: filled in for a person, refused when they
would not depend on the person, and run prepared in one round trip on PostgreSQL."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subjects.compiled import (
    stand_in_subject,
    statement_check,
    statement_fill,
    statements_run,
    values_compile,
)
from subjects.datamap import datamap
from subjects.models import BrowsingEvent
from subjects.selectors import subject_category_totals
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _browsing_statement():
    rows = datamap.category("browsing_history").rows_for(stand_in_subject())
    return rows.order_by("pk").values_list("path").query.sql_with_params()


def test_a_statement_filled_in_reads_that_persons_rows_only():
    lotte, other = DataSubjectFactory(), DataSubjectFactory()
    BrowsingEventFactory(subject=lotte, path="/lotte")
    BrowsingEventFactory(subject=other, path="/other")
    sql, params = _browsing_statement()

    [rows] = statements_run([(sql, statement_fill(params, lotte))])

    assert rows == [("/lotte",)]


def test_a_statement_that_does_not_depend_on_the_subject_is_refused():
    _sql, params = BrowsingEvent.objects.values_list("path").query.sql_with_params()

    with pytest.raises(ImproperlyConfigured, match="do not depend on the subject"):
        statement_check("browsing_history", params)


def test_many_statements_give_each_its_rows_in_order_and_each_is_one_logged_query():
    lotte = DataSubjectFactory()
    BrowsingEventFactory.create_batch(3, subject=lotte)
    OrderFactory(subject=lotte)
    sql, params = _browsing_statement()
    counted = [
        (f"SELECT COUNT(*) FROM ({sql}) AS page", statement_fill(params, lotte)),  # noqa: S608
        (
            f"SELECT COUNT(*) + %s FROM ({sql}) AS page",  # noqa: S608
            [10, *statement_fill(params, lotte)],
        ),
    ]

    with CaptureQueriesContext(connection) as captured:
        results = statements_run(counted)

    assert results == [[(3,)], [(13,)]]
    assert len(captured) == 2


def test_the_totals_of_every_category_count_one_persons_rows():
    lotte, other = DataSubjectFactory(), DataSubjectFactory()
    BrowsingEventFactory.create_batch(4, subject=lotte)
    BrowsingEventFactory.create_batch(2, subject=other)

    totals = subject_category_totals(lotte, datamap.categories())

    assert totals["browsing_history"] == 4
    assert totals["identity"] == 1
    assert set(totals) == {category.key for category in datamap.categories()}


@pytest.mark.postgres
def test_on_postgresql_the_statements_are_prepared_once_per_connection():
    lotte = DataSubjectFactory()
    BrowsingEventFactory(subject=lotte)
    sql, params = _browsing_statement()
    marked = f"{sql} /* prepared-test */"

    for _ in range(3):
        statements_run([(marked, statement_fill(params, lotte))])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-test%"],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_without_prepared_statements_the_same_rows_come_through_djangos_cursor(monkeypatch):
    lotte = DataSubjectFactory()
    BrowsingEventFactory(subject=lotte, path="/lotte")
    sql, params = _browsing_statement()
    marked = f"{sql} /* unprepared-test */"
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    [rows] = statements_run([(marked, statement_fill(params, lotte))])

    assert rows == [("/lotte",)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%unprepared-test%"],
        )
        assert cursor.fetchone()[0] == 0


def test_timestamps_come_as_the_orm_gives_them_aware_and_in_utc():
    lotte = DataSubjectFactory()
    event = BrowsingEventFactory(subject=lotte)
    rows = datamap.category("browsing_history").rows_for(stand_in_subject())
    statement = values_compile(rows.values("occurred_at", "pk"), key="browsing_history")

    [fetched] = statements_run([(statement.sql, statement_fill(statement.params, lotte))])

    [row] = statement.rows(fetched)
    occurred_at, pk = row["occurred_at"], row["pk"]
    expected = BrowsingEvent.objects.values_list("occurred_at", flat=True).get(pk=event.pk)
    assert pk == event.pk
    assert occurred_at == expected
    assert occurred_at.utcoffset() == expected.utcoffset()
    assert occurred_at.tzinfo is expected.tzinfo


def test_a_percent_sign_in_a_statement_is_a_percent_sign_and_placeholders_stay_in_order():
    lotte = DataSubjectFactory()
    BrowsingEventFactory(subject=lotte, path="/100%/lotte")
    BrowsingEventFactory(subject=lotte, path="/nothing")
    sql, params = _browsing_statement()
    sql = f"SELECT %s, '%%', * FROM ({sql}) rows WHERE rows.path LIKE %s"  # noqa: S608

    [rows] = statements_run([(sql, ["first", *statement_fill(params, lotte), "/100%"])])

    assert rows == [("first", "%", "/100%/lotte")]
