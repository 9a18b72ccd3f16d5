"""The rows a category matches by e-mail address as well as by its path to the subject (a
request and its trail: the person's own, and those linked to nobody under their address):
the right rows, found by a condition the indexes serve (`subjects.datamap._matching_rows`)."""

import pytest
from django.db import connection

from dsr_requests.models import RequestMessage
from subjects.datamap import datamap
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def _message(rights_request, body):
    return RequestMessage.objects.create(
        rights_request=rights_request, kind=RequestMessage.Kind.TO_PERSON, body=body
    )


@pytest.fixture
def people():
    """Anna with a request of her own (under another address) and one linked to nobody under
    her address; Bert with one linked to nobody under his; Carla with a request linked to her
    that carries Anna's address (Carla's, not Anna's)."""
    anna = DataSubjectFactory(email="anna@example.be")
    bert = DataSubjectFactory(email="bert@example.be")
    carla = DataSubjectFactory(email="carla@example.be")
    requests = {
        "anna linked": RightsRequestFactory(subject=anna, email="anna.old@example.be"),
        "anna unlinked": RightsRequestFactory(subject=None, email="anna@example.be"),
        "bert unlinked": RightsRequestFactory(subject=None, email="bert@example.be"),
        "carla with anna's address": RightsRequestFactory(subject=carla, email="anna@example.be"),
    }
    messages = {name: _message(request, name) for name, request in requests.items()}
    return anna, bert, carla, requests, messages


def _bodies(queryset) -> set[str]:
    return set(queryset.values_list("body", flat=True))


def test_a_persons_requests_are_their_own_and_those_linked_to_nobody_under_their_address(
    people,
):
    anna, bert, carla, requests, _messages = people
    category = datamap._categories["rights_requests"]

    assert set(category.rows_for(anna)) == {requests["anna linked"], requests["anna unlinked"]}
    assert set(category.rows_for(bert)) == {requests["bert unlinked"]}
    assert set(category.rows_for(carla)) == {requests["carla with anna's address"]}
    assert set(category.rows_for_batch([anna.pk, bert.pk], [anna.email, bert.email])) == {
        requests["anna linked"],
        requests["anna unlinked"],
        requests["bert unlinked"],
    }
    # Without addresses a batch is what is linked to its subjects only.
    assert set(category.rows_for_batch([anna.pk, bert.pk])) == {requests["anna linked"]}


def test_a_requests_trail_follows_the_request_it_belongs_to(people):
    anna, bert, carla, _requests, _messages = people
    category = datamap._categories["rights_request_messages"]

    assert _bodies(category.rows_for(anna)) == {"anna linked", "anna unlinked"}
    assert _bodies(category.rows_for(bert)) == {"bert unlinked"}
    assert _bodies(category.rows_for(carla)) == {"carla with anna's address"}
    assert _bodies(category.rows_for_batch([anna.pk, carla.pk], [anna.email, carla.email])) == {
        "anna linked",
        "anna unlinked",
        "carla with anna's address",
    }
    assert _bodies(category.rows_for_batch([bert.pk], [None])) == set()


def test_a_subject_without_an_address_gets_only_what_is_linked_to_them(people):
    anna, *_rest = people
    category = datamap._categories["rights_request_messages"]
    anna.email = None

    assert _bodies(category.rows_for(anna)) == {"anna linked"}


def test_the_trail_is_found_through_the_request_not_by_an_or_of_two_subqueries(people):
    """`rights_request_id IN (SELECT id FROM request WHERE subject … OR (no subject AND
    address …))`: one semi-join from the person's requests. An OR of two `id IN (…)` on the
    trail's own key made PostgreSQL read the whole trail table (85 ms for one person's 58
    audit events among 1.2 million)."""
    anna, *_rest = people
    for key in ("rights_request_messages", "rights_request_audit", "rights_request_emails"):
        category = datamap._categories[key]
        table = category.model._meta.db_table
        for queryset in (
            category.rows_for(anna),
            category.rows_for_batch([anna.pk], [anna.email]),
        ):
            sql = str(queryset.order_by().values("pk").query)
            assert f'"{table}"."rights_request_id" IN (SELECT' in sql, (key, sql)
            assert f'"{table}"."id" IN' not in sql, (key, sql)
            assert sql.count(" OR ") == 1, (key, sql)


@pytest.mark.postgres
def test_postgresql_plans_the_trail_of_one_person_as_a_join_not_a_filter_on_every_row(people):
    anna, *_rest = people
    for key in ("rights_requests", "rights_request_messages", "rights_request_audit"):
        queryset = datamap._categories[key].rows_for(anna).order_by().values("pk")
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "SubPlan" not in plan, (key, plan)
