""" "My data": the live GDPR Art. 15 view of everything the data map holds on the signed-in
person, by purpose, with recipients, retention and source, paged, in bounded queries."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centre.exceptions import NotYourData
from centre.selectors import PAGE_SIZE, my_data_collect
from subjects.datamap import datamap
from subjects.models import BrowsingEvent, Recipient
from tests.centre.conftest import verified_login
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_second_factor
from tests.subjects.factories import (
    ApplicationFactory,
    BrowsingEventFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    DeviceIdentifierFactory,
    OrderFactory,
    OrderLineFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _events(
    subject, count, start=dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC), prefix="/nl-be/pagina-"
):
    BrowsingEvent.objects.bulk_create(
        BrowsingEvent(
            subject=subject,
            occurred_at=start + dt.timedelta(minutes=number),
            event_type=BrowsingEvent.EventType.PAGE_VIEW,
            path=f"{prefix}{number:05d}",
        )
        for number in range(count)
    )


def _rich(subject, events: int):
    """A person with data in most categories of the map."""
    order = OrderFactory(subject=subject, number=f"BE-{subject.pk:08d}")
    OrderLineFactory(order=order)
    ContactRequestFactory(subject=subject)
    SurveyResponseFactory(subject=subject, answers={"Hoe tevreden?": "zeer"})
    ApplicationFactory(subject=subject)
    DeviceIdentifierFactory(subject=subject)
    _events(subject, events)


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    response = client.get("/nl/my-data/")

    assert response.status_code == 302
    assert response["Location"] == "/nl/accounts/login/?next=/nl/my-data/"


def test_a_customer_without_a_linked_subject_is_told_why(client):
    client.force_login(verified_login("nobody.known@example.be"))

    main = _main(client.get("/en/my-data/"))

    assert "We hold no personal data linked to your account (nobody.known@example.be) yet." in main
    assert "info-be@velux.com" in main


def test_staff_are_told_their_login_holds_no_ones_data(client):
    staff = verified_login("staff@velux.example", is_staff=True)
    client.force_login(staff)
    staff_second_factor(client, staff)

    main = _main(client.get("/en/my-data/"))

    assert "Staff logins are not linked to anyone's personal data." in main


def test_my_data_shows_everything_held_grouped_by_purpose(client, customer):
    _rich(customer, events=3)
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))

    assert "Lotte" in main
    assert "Kerkstraat 1" in main
    assert f"BE-{customer.pk:08d}" in main  # orders, §2.3
    assert "Graag een offerte voor twee dakramen." in main  # contact request, §2.2
    assert "Hoe tevreden?: zeer" in main  # survey answers, §2.6
    assert "Technisch adviseur" in main  # application, §2.7
    assert "/nl-be/pagina-00002" in main  # browsing history, §2.5 and §2.4
    sections = re.findall(r'<section class="purpose" id="purpose-([a-z_]+)"', main)
    assert sections == [
        "answering_requests",
        "customers",
        "business_development",
        "commercial_communication",
        "surveys",
        "candidates",
    ]


def test_a_category_serving_two_purposes_is_shown_once_and_referred_to_after(client, customer):
    _events(customer, 2)
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))

    assert main.count('id="category-browsing_history"') == 1
    assert main.count('href="#category-browsing_history"') == 1


def test_each_purpose_says_its_legal_basis_and_recipients_with_transfer_safeguards(
    client, customer
):
    ContactRequestFactory(subject=customer)
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))
    section = main[main.index('id="purpose-answering_requests"') :]
    section = section.split('<section class="purpose"')[0]

    assert "Contract, or steps before a contract" in section
    assert "SnapEngage (web chat)" in section
    assert "outside the EEA (US)" in section
    assert "safeguard: standard contractual clauses (GDPR Art. 46)" in section


def test_an_inactive_recipient_is_not_shown(client, customer):
    ContactRequestFactory(subject=customer)
    Recipient.objects.filter(name="SnapEngage").update(is_active=False)
    client.force_login(customer.user)

    assert "SnapEngage" not in _main(client.get("/en/my-data/"))


def test_each_category_says_where_it_comes_from_and_how_long_it_is_kept(client, customer):
    OrderFactory(subject=customer)
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))
    orders = main[main.index('id="category-orders"') :]

    assert "From you when you ordered" in orders
    assert "7 years from 1 January after the year of delivery" in orders
    assert "10 years from 1 January after the year of the invoice" in orders


def test_every_category_of_the_data_map_has_its_retention_and_source_written():
    missing = [c.key for c in datamap.categories() if not (c.retention and c.source)]

    assert missing == []


def test_no_one_elses_data_is_shown(client, customer):
    stranger = DataSubjectFactory(email="stranger@example.be", first_name="Ingrid")
    BrowsingEventFactory(subject=stranger, path="/de-be/fremde-seite")
    OrderFactory(subject=stranger, number="BE-99999999")
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))

    assert "/de-be/fremde-seite" not in main
    assert "BE-99999999" not in main
    assert "Ingrid" not in main


def test_the_counts_are_each_persons_own_with_the_statement_compiled_once(customer):
    """The totals statement is compiled once for a stand-in and filled in per person: two
    people in a row each get their own counts, their own e-mail matches included."""
    other = DataSubjectFactory(email="other@example.be", user=verified_login("other@example.be"))
    _events(customer, 3)
    _events(other, 5)
    # A request linked to nobody yet, found by the other person's address only.
    RightsRequestFactory(subject=None, email="other@example.be")

    mine = _counts(my_data_collect(viewer=customer.user, subject=customer))
    theirs = _counts(my_data_collect(viewer=other.user, subject=other))
    mine_again = _counts(my_data_collect(viewer=customer.user, subject=customer))

    assert mine["browsing_history"] == 3
    assert theirs["browsing_history"] == 5
    assert "rights_requests" not in mine
    assert theirs["rights_requests"] == 1
    assert mine_again == mine


def test_the_pages_are_each_persons_own_with_their_statements_compiled_once(customer):
    """Each category's page statement is compiled once per process for a stand-in and filled
    in per person: two people in a row each see only their own rows, their own e-mail
    matches included, and a later page of one is still theirs."""
    other = DataSubjectFactory(email="other@example.be", user=verified_login("other@example.be"))
    _events(customer, PAGE_SIZE + 3)
    BrowsingEvent.objects.bulk_create(
        BrowsingEvent(
            subject=other,
            occurred_at=dt.datetime(2026, 2, 1, 9, number, tzinfo=dt.UTC),
            event_type=BrowsingEvent.EventType.PAGE_VIEW,
            path=f"/fr-be/autre-{number}",
        )
        for number in range(2)
    )
    RightsRequestFactory(subject=None, email="other@example.be", details="Nur meine Anfrage.")

    mine = _rows(my_data_collect(viewer=customer.user, subject=customer))
    theirs = _rows(my_data_collect(viewer=other.user, subject=other))
    mine_later = _rows(
        my_data_collect(viewer=customer.user, subject=customer, category="browsing_history", page=2)
    )

    assert {row["path"] for row in mine["browsing_history"]} == {
        f"/nl-be/pagina-{number:05d}" for number in range(3, PAGE_SIZE + 3)
    }
    assert [row["path"] for row in theirs["browsing_history"]] == [
        "/fr-be/autre-1",
        "/fr-be/autre-0",
    ]
    assert [row["path"] for row in mine_later["browsing_history"]] == [
        f"/nl-be/pagina-{number:05d}" for number in (2, 1, 0)
    ]
    assert [row["email"] for row in mine["identity"]] == ["lotte.peeters@example.be"]
    assert [row["email"] for row in theirs["identity"]] == ["other@example.be"]
    assert "rights_requests" not in mine
    assert [row["details"] for row in theirs["rights_requests"]] == ["Nur meine Anfrage."]
    # The values are converted as the ORM converts them: aware datetimes, not text.
    assert theirs["browsing_history"][0]["occurred_at"] == dt.datetime(
        2026, 2, 1, 9, 1, tzinfo=dt.UTC
    )


def _rows(data) -> dict[str, list[dict]]:
    return {view.key: view.data.rows for section in data.sections for view in section.categories}


def test_the_persons_data_is_escaped_on_the_page(client, customer):
    BrowsingEventFactory(subject=customer, path='/nl-be/<script>alert("x")</script>')
    BrowsingEventFactory(subject=customer, path="/nl-be/a&b")
    client.force_login(customer.user)

    main = _main(client.get("/en/my-data/"))

    assert "<script>" not in main
    assert "/nl-be/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in main
    assert "/nl-be/a&amp;b" in main


def _counts(data) -> dict[str, int]:
    return {view.key: view.total for section in data.sections for view in section.categories}


def test_the_selector_refuses_another_persons_subject(customer):
    stranger = DataSubjectFactory(email="stranger@example.be")

    with pytest.raises(NotYourData):
        my_data_collect(viewer=customer.user, subject=stranger)


def test_a_large_category_is_shown_a_page_at_a_time(client, customer):
    _events(customer, 2 * PAGE_SIZE + 5)
    client.force_login(customer.user)

    first = _main(client.get("/en/my-data/"))
    second = _main(client.get("/en/my-data/?category=browsing_history&page=2"))
    last = _main(client.get("/en/my-data/?category=browsing_history&page=3"))

    paths = [re.findall(r"/nl-be/pagina-(\d{5})", page) for page in (first, second, last)]
    assert [len(p) for p in paths] == [PAGE_SIZE, PAGE_SIZE, 5]
    assert paths[0][0] == f"{2 * PAGE_SIZE + 4:05d}"  # newest first
    assert not set(paths[0]) & set(paths[1])
    assert len(set(paths[0]) | set(paths[1]) | set(paths[2])) == 2 * PAGE_SIZE + 5
    assert "45 items" in first
    assert "showing 1 to 20" in first
    assert "showing 21 to 40" in second
    dutch = _main(client.get("/nl/my-data/?category=browsing_history&page=3"))
    assert "45 items · 41 tot 45 getoond" in dutch
    assert 'href="?category=browsing_history&amp;page=3#category-browsing_history"' in first
    assert 'aria-current="page">2<' in second


@pytest.mark.parametrize("page", ["0", "-3", "abc", "999"])
def test_a_page_out_of_range_shows_the_nearest_page(client, customer, page):
    _events(customer, PAGE_SIZE + 1)
    client.force_login(customer.user)

    response = client.get(f"/en/my-data/?category=browsing_history&page={page}")

    assert response.status_code == 200
    assert len(re.findall(r"/nl-be/pagina-\d{5}", _main(response))) in (1, PAGE_SIZE)


def test_my_data_is_never_cached(client, customer):
    client.force_login(customer.user)

    response = client.get("/en/my-data/")

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def _queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_my_data_takes_the_same_bounded_number_of_queries_whatever_the_amount_of_data(
    client, django_assert_max_num_queries
):
    small = DataSubjectFactory(email="small@example.be", user=verified_login("small@example.be"))
    large = DataSubjectFactory(email="large@example.be", user=verified_login("large@example.be"))
    _rich(small, events=1)
    _rich(large, events=2000)
    bound = 2 * len(datamap.categories()) + 8

    client.force_login(small.user)
    with django_assert_max_num_queries(bound):
        client.get("/en/my-data/")
    small_count = _queries_for(client, "/en/my-data/")
    client.force_login(large.user)
    with django_assert_max_num_queries(bound):
        client.get("/en/my-data/?category=browsing_history&page=50")
    large_count = _queries_for(client, "/en/my-data/?category=browsing_history&page=50")

    assert large_count == small_count


# The page's shell (centre.selectors._body_shell): rendered once per language and layout,
# filled with each person's own address, counts, rows and page links.


def test_two_people_with_the_same_layout_each_see_only_their_own_on_the_shared_shell(client):
    people = []
    for name in ("anna", "bert"):
        login = verified_login(f"{name}@example.be")
        subject = DataSubjectFactory(email=login.email, user=login)
        _events(subject, PAGE_SIZE + (3 if name == "anna" else 8), prefix=f"/nl-be/{name}-")
        people.append((name, subject))
    pages = {}
    for name, subject in people + people[:1]:
        client.force_login(subject.user)
        pages[name] = _main(client.get("/en/my-data/?category=browsing_history&page=2"))

    for name, other in (("anna", "bert"), ("bert", "anna")):
        page = pages[name]
        assert f"<strong>{name}@example.be</strong>" in page
        assert f"{other}@example.be" not in page
        assert f"/nl-be/{name}-" in page
        assert f"/nl-be/{other}-" not in page
    assert f"{PAGE_SIZE + 3} items · showing 21 to 23" in pages["anna"]
    assert f"{PAGE_SIZE + 8} items · showing 21 to 28" in pages["bert"]
    assert 'href="?category=browsing_history&amp;page=1#category-browsing_history"' in pages["bert"]


def test_a_new_layout_gets_its_own_shell_and_the_oldest_is_dropped(client, customer, monkeypatch):
    from centre import selectors

    monkeypatch.setattr(selectors, "BODY_SHELLS_KEPT", 1)
    monkeypatch.setattr(selectors, "_bodies", {})
    client.force_login(customer.user)
    BrowsingEventFactory(subject=customer, path="/nl-be/een")
    alone = _main(client.get("/en/my-data/"))  # one event: shown as a block
    BrowsingEventFactory(subject=customer, path="/nl-be/twee")
    table = _main(client.get("/en/my-data/"))  # two: as a table

    assert len(selectors._bodies) == 1
    assert "/nl-be/een" in alone
    assert '<table class="reflow">' not in alone
    assert '<td data-label="Page">/nl-be/twee</td>' in table


def test_a_shell_template_that_misplaces_a_slot_is_refused(customer, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from centre import selectors

    BrowsingEventFactory(subject=customer)
    data = my_data_collect(viewer=customer.user, subject=customer)
    monkeypatch.setattr(selectors, "_bodies", {})
    # A template that places the slots once only, not once per category.
    monkeypatch.setattr(selectors, "_BODY_TEMPLATE", "centre/includes/category.html")

    with pytest.raises(ImproperlyConfigured, match="must place the address once"):
        data.html(email=customer.email)
