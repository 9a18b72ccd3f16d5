"""The rows a category matches by e-mail address as well as by its path to the subject (a
request and its trail: the person's own, and those linked to nobody under their address):
the right rows, found by a condition the indexes serve (`subjects.datamap._matching_rows`)."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.db import connection

from centre.selectors import _page_statement
from dsr_requests.models import RequestMessage
from subjects.compiled import statement_fill
from subjects.datamap import datamap
from subjects.models import BrowsingEvent
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory, UserFactory

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


def test_a_persons_logins_and_their_addresses_are_theirs_and_those_of_nobody_under_their_address(
    people,
):
    """A login is found through the subject that points at it, or, linked to nobody, by its
    own address; a login's e-mail addresses by their login, or, linked to nobody, by their own
    address or their login's."""
    anna, bert, _carla, _requests, _messages = people
    own = UserFactory(email="anna.login@example.be")
    anna.user = own
    anna.save()
    EmailAddress.objects.create(user=own, email=own.email, verified=True, primary=True)
    signed_up = UserFactory(email="anna@example.be")  # not linked (yet)
    EmailAddress.objects.create(user=signed_up, email="anna@example.be", primary=True)
    EmailAddress.objects.create(user=signed_up, email="anna.second@example.be")
    berts = UserFactory(email="bert.login@example.be")
    bert.user = berts
    bert.save()
    # Bert's linked login carries an address of Anna's: Bert's, not Anna's.
    EmailAddress.objects.create(user=berts, email="anna@example.be")
    logins = datamap._categories["login"]
    addresses = datamap._categories["login_email_addresses"]

    assert set(logins.rows_for(anna)) == {own, signed_up}
    assert set(logins.rows_for(bert)) == {berts}
    assert set(addresses.rows_for(anna).values_list("email", flat=True)) == {
        "anna.login@example.be",
        "anna@example.be",
        "anna.second@example.be",
    }
    assert list(addresses.rows_for(bert).values_list("user", flat=True)) == [berts.pk]
    assert set(logins.rows_for_batch([anna.pk, bert.pk], [anna.email, bert.email])) == {
        own,
        signed_up,
        berts,
    }


def test_a_login_is_found_by_a_union_of_the_linked_and_each_address_not_an_or(people):
    anna, *_rest = people
    for key in ("login", "login_email_addresses"):
        sql = str(datamap._categories[key].rows_for(anna).order_by().values("pk").query)
        assert " UNION ALL " in sql, (key, sql)
        assert " OR " not in sql, (key, sql)


@pytest.mark.postgres
def test_postgresql_plans_the_trail_of_one_person_as_a_join_not_a_filter_on_every_row(people):
    anna, *_rest = people
    for key in (
        "rights_requests",
        "rights_request_messages",
        "rights_request_audit",
        "login",
        "login_email_addresses",
        "login_sessions",
    ):
        queryset = datamap._categories[key].rows_for(anna).order_by().values("pk")
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "SubPlan" not in plan, (key, plan)


def test_a_page_of_browsing_events_is_newest_first_with_ties_newest_id_first():
    subject = DataSubjectFactory()
    at = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    events = BrowsingEvent.objects.bulk_create(
        BrowsingEvent(subject=subject, occurred_at=at, event_type="page_view", path=f"/{n}")
        for n in range(3)
    )
    category = datamap._categories["browsing_history"]

    assert category.page_order == ("-occurred_at", "-pk")
    assert list(category.rows_for(subject).order_by(*category.page_order)) == events[::-1]


@pytest.mark.postgres
def test_postgresql_reads_a_page_of_10000_browsing_events_from_the_index_without_sorting():
    subject = DataSubjectFactory()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    BrowsingEvent.objects.bulk_create(
        BrowsingEvent(
            subject=subject,
            occurred_at=start + dt.timedelta(minutes=n),
            event_type="page_view",
            path=f"/{n}",
        )
        for n in range(10_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subjects_browsingevent")
    statement = _page_statement(datamap._categories["browsing_history"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN {statement.sql}", [*statement_fill(statement.params, subject), 20, 40]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "subjects_be_subject_at_id" in plan, plan
    assert "Sort" not in plan, plan
