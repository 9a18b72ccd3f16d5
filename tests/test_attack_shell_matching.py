"""Attacks on dce625d: the shell of "my data" rendered once per language and layout and filled
per request (centre.selectors._body_shell, MyData.html), and the e-mail-matched rows found by
subjects.datamap._matching_rows (my data, exports, erasure)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import centre.selectors
from centre.selectors import PAGE_SIZE
from dsr_requests.models import RequestMessage, RightsRequest
from dsr_requests.workflow import State
from subjects.datamap import datamap
from subjects.models import DataSubject, Purpose
from subjects.selectors import registers, subject_data_collect
from subjects.services import ErasureCause, subject_erase, subjects_erase
from tests.centre.conftest import fresh_cache, verified_login  # noqa: F401 (autouse fixture)
from tests.centre.test_my_data import _events
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory

TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Helpers


def _main(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _person(email, *, events=0, prefix=None):
    login = verified_login(email)
    subject = DataSubjectFactory(email=email, user=login)
    if events:
        _events(subject, events, prefix=prefix or f"/p/{email.split('@')[0]}-")
    return subject


@pytest.fixture
def fixed_registers(db, monkeypatch):
    """Inside a test's transaction every call reads the registers afresh (velux_privacy.
    snapshots), so the shell would never be reused: one Registers object for the test, as a
    process serves between changes."""
    register = registers()
    monkeypatch.setattr(centre.selectors, "registers", lambda: register)
    monkeypatch.setattr(centre.selectors, "_bodies", {})
    return register


def _fresh_page(client, monkeypatch, url) -> str:
    """The page with no shell kept: what it is when this person's is the first."""
    monkeypatch.setattr(centre.selectors, "_bodies", {})
    return _main(client.get(url))


# 1. The shared shell: nobody else's address, rows or counts


@pytest.mark.django_db
def test_a_page_on_a_shell_another_person_primed_is_the_page_rendered_afresh(
    client, monkeypatch, fixed_registers
):
    anna = _person("anna@example.be", events=PAGE_SIZE + 3)
    bert = _person("bert@example.be", events=PAGE_SIZE + 8)
    url = "/en/my-data/?category=browsing_history&page=2"

    client.force_login(anna.user)
    anna_alone = _fresh_page(client, monkeypatch, url)
    client.force_login(bert.user)
    bert_alone = _fresh_page(client, monkeypatch, url)

    monkeypatch.setattr(centre.selectors, "_bodies", {})
    pages = {}
    for name, subject in (("bert", bert), ("anna", anna), ("bert2", bert)):
        client.force_login(subject.user)
        pages[name] = _main(client.get(url))

    assert len(centre.selectors._bodies) == 1  # the same layout: one shell, reused
    assert pages["anna"] == anna_alone
    assert pages["bert"] == bert_alone == pages["bert2"]
    assert "bert@example.be" not in pages["anna"]
    assert "/p/bert-" not in pages["anna"]
    assert f"{PAGE_SIZE + 3} items · showing 21 to 23" in pages["anna"]


@pytest.mark.django_db
def test_the_signed_in_address_and_row_values_are_escaped_on_the_shell(
    client, monkeypatch, fixed_registers
):
    email = "o'neil&co\"<b>@example.be"
    odd = _person(email)
    _events(odd, 2, prefix="/x/<script>alert('x')</script>&amp;\"-")
    other = _person("plain@example.be", events=2)

    client.force_login(other.user)
    _main(client.get("/en/my-data/"))  # primes the shell of the same layout
    client.force_login(odd.user)
    main = _main(client.get("/en/my-data/"))

    assert "<strong>o&#x27;neil&amp;co&quot;&lt;b&gt;@example.be</strong>" in main
    assert "<script>" not in main
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;amp;&quot;-00001" in main
    assert "plain@example.be" not in main


@pytest.mark.django_db
def test_a_nul_in_a_persons_value_breaks_neither_their_page_nor_the_next_persons(
    client, monkeypatch, fixed_registers
):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores no NUL in a text")
    anna = _person("anna@example.be")
    _events(anna, 2, prefix="/nul/\x00part-")
    bert = _person("bert@example.be", events=2)

    client.force_login(anna.user)
    anna_page = _main(client.get("/en/my-data/"))
    client.force_login(bert.user)
    bert_page = _main(client.get("/en/my-data/"))
    bert_alone = _fresh_page(client, monkeypatch, "/en/my-data/")

    assert "/nul/\x00part-00001" in anna_page
    assert "<strong>anna@example.be</strong>" in anna_page
    assert bert_page == bert_alone
    assert "\x00" not in bert_page


# 2. Languages


@pytest.mark.django_db
def test_pages_in_turn_in_dutch_french_and_dutch_each_speak_their_own_language(
    client, monkeypatch, fixed_registers
):
    anna = _person("anna@example.be", events=PAGE_SIZE + 3)
    client.force_login(anna.user)
    url = "?category=browsing_history&page=2"
    expected = {}
    for language in ("nl", "fr"):
        expected[language] = _fresh_page(client, monkeypatch, f"/{language}/my-data/{url}")

    monkeypatch.setattr(centre.selectors, "_bodies", {})
    seen = [
        (language, _main(client.get(f"/{language}/my-data/{url}")))
        for language in ("nl", "fr", "nl", "fr")
    ]

    for language, page in seen:
        assert page == expected[language], language
    assert "Waarom we het gebruiken" in expected["nl"]
    assert "Pourquoi nous les utilisons" not in expected["nl"]
    assert "Pourquoi nous les utilisons" in expected["fr"]
    assert "Waarom we het gebruiken" not in expected["fr"]
    assert 'href="/fr/' in expected["fr"]
    assert 'href="/nl/' not in expected["fr"]


# 3. The registers: a change shows on the next page


@TRANSACTIONAL
def test_a_purpose_renamed_shows_on_the_next_page_of_the_same_layout(client, monkeypatch):
    monkeypatch.setattr(centre.selectors, "_bodies", {})
    anna = _person("anna@example.be", events=2)
    client.force_login(anna.user)
    first = _main(client.get("/en/my-data/"))
    again = _main(client.get("/en/my-data/"))
    assert first == again
    assert len(centre.selectors._bodies) == 1

    purpose = Purpose.objects.get(code="commercial_communication")
    old_name = purpose.name_en
    purpose.name_en = "Renamed & <new> purpose"
    purpose.description_en = "A new description of why."
    purpose.save()

    after = _main(client.get("/en/my-data/"))
    assert "Renamed &amp; &lt;new&gt; purpose" in after
    assert "A new description of why." in after
    assert old_name not in after.split('id="purpose-commercial_communication"')[1][:400]


@TRANSACTIONAL
def test_the_shell_is_reused_between_requests_outside_a_transaction(client, monkeypatch):
    """Without a change of the registers, the second page of the same layout renders no
    shell: the cached one is the same object."""
    monkeypatch.setattr(centre.selectors, "_bodies", {})
    anna = _person("anna@example.be", events=2)
    bert = _person("bert@example.be", events=3)
    client.force_login(anna.user)
    _main(client.get("/en/my-data/"))
    (kept,) = centre.selectors._bodies.values()
    client.force_login(bert.user)
    bert_page = _main(client.get("/en/my-data/"))
    (kept_after,) = centre.selectors._bodies.values()

    assert kept_after[2] is kept[2]
    assert "<strong>bert@example.be</strong>" in bert_page
    assert "anna@example.be" not in bert_page
    assert "3 items" in bert_page


# 4. Page links


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "current", "numbers", "previous", "following"),
    [
        ("5", 5, ["1", "…", "3", "4", "5", "6", "7", "…", "10"], 4, 6),
        ("1", 1, ["1", "2", "3", "…", "10"], None, 2),
        ("999", 10, ["1", "…", "8", "9", "10"], 9, None),
        ("-3", 1, ["1", "2", "3", "…", "10"], None, 2),
        ("abc", 1, ["1", "2", "3", "…", "10"], None, 2),
    ],
)
def test_page_links_of_a_long_category(
    client, monkeypatch, fixed_registers, page, current, numbers, previous, following
):
    anna = _person("anna@example.be", events=PAGE_SIZE * 9 + 1)
    client.force_login(anna.user)
    main = _main(client.get(f"/en/my-data/?category=browsing_history&page={page}"))
    nav = main[main.index('<nav class="pagination"') :]
    nav = nav[: nav.index("</nav>")]

    items = re.findall(r"<li>(?:<a [^>]*>|<span[^>]*>)([^<]*)</(?:a|span)></li>", nav)
    assert items == numbers
    assert f'<span aria-current="page">{current}</span>' in nav
    link = 'href="?category=browsing_history&amp;page={}#category-browsing_history"'
    if previous:
        assert f'<a {link.format(previous)} rel="prev">Previous</a>' in nav
    else:
        assert 'rel="prev"' not in nav
    if following:
        assert f'<a {link.format(following)} rel="next">Next</a>' in nav
    else:
        assert 'rel="next"' not in nav
    first = (current - 1) * PAGE_SIZE + 1
    last = min(current * PAGE_SIZE, PAGE_SIZE * 9 + 1)
    assert f"{PAGE_SIZE * 9 + 1} items · showing {first} to {last}" in main
    assert 'aria-label="Pages of Browsing history"' in nav


# 5. Table or blocks, flipping between people of one language


@pytest.mark.django_db
def test_table_and_blocks_alternate_with_the_persons_rows_not_the_shell_kept(
    client, monkeypatch, fixed_registers
):
    one = _person("one@example.be", events=1)
    two = _person("two@example.be", events=2)
    for subject in (one, two, one, two):
        client.force_login(subject.user)
        main = _main(client.get("/en/my-data/"))
        section = main[main.index('id="category-browsing_history"') :]
        section = section[: section.index("</section>")]
        if subject is one:
            assert '<table class="reflow">' not in section
            assert '<dl class="summary-list record">' in section
            assert "<tr>" not in section
        else:
            assert '<table class="reflow">' in section
            assert section.count("<tr>") == 3  # the heading, and two rows
            assert '<dl class="summary-list record">' not in section
    assert len(centre.selectors._bodies) == 2


# 6. The branches without a shell


@pytest.mark.django_db
def test_staff_and_a_person_without_data_get_no_shell_and_nobody_elses_data(
    client, monkeypatch, fixed_registers
):
    from tests.staff import staff_second_factor

    anna = _person("anna@example.be", events=2)
    client.force_login(anna.user)
    _main(client.get("/en/my-data/"))

    nobody = verified_login("nobody@example.be")
    client.force_login(nobody)
    main = _main(client.get("/en/my-data/"))
    assert "We hold no personal data linked to your account (nobody@example.be) yet." in main
    assert "anna@example.be" not in main
    assert "/p/anna-" not in main

    staff = verified_login("staff@velux.example", is_staff=True)
    client.force_login(staff)
    staff_second_factor(client, staff)
    main = _main(client.get("/en/my-data/"))
    assert "Staff logins are not linked to anyone's personal data." in main
    assert "anna@example.be" not in main
    assert "/p/anna-" not in main


# 7. Queries


@pytest.mark.django_db
def test_a_page_on_a_kept_shell_takes_no_more_queries_than_the_first(
    client, monkeypatch, fixed_registers
):
    anna = _person("anna@example.be", events=3)
    bert = _person("bert@example.be", events=4)

    def queries(subject):
        client.force_login(subject.user)
        with CaptureQueriesContext(connection) as captured:
            _main(client.get("/en/my-data/"))
        return len(captured)

    first = queries(anna)
    second = queries(bert)
    assert second <= first


# 8. E-mail-matched rows: another subject's request carrying this person's address


@pytest.fixture
def requests_by_address(db):
    anna = _person("anna@example.be")
    carla = _person("carla@example.be")
    own = RightsRequestFactory(subject=anna, email="anna@example.be", details="anna own")
    unlinked = RightsRequestFactory(subject=None, email="anna@example.be", details="anna nobody")
    carlas = RightsRequestFactory(subject=carla, email="anna@example.be", details="carla's")
    other = RightsRequestFactory(subject=None, email="zed@example.be", details="zed nobody")
    for request in (own, unlinked, carlas, other):
        RequestMessage.objects.create(
            rights_request=request, kind=RequestMessage.Kind.FROM_PERSON, body=request.details
        )
    return anna, carla, {"own": own, "unlinked": unlinked, "carlas": carlas, "other": other}


def test_my_data_shows_the_persons_requests_and_nobodys_under_their_address_only(
    client, monkeypatch, fixed_registers, requests_by_address
):
    anna, carla, requests = requests_by_address
    client.force_login(anna.user)
    anna_page = _main(client.get("/en/my-data/"))
    client.force_login(carla.user)
    carla_page = _main(client.get("/en/my-data/"))

    assert requests["own"].reference in anna_page
    assert requests["unlinked"].reference in anna_page
    assert requests["carlas"].reference not in anna_page
    assert requests["other"].reference not in anna_page
    assert "carla&#x27;s" not in anna_page
    assert requests["carlas"].reference in carla_page
    assert requests["own"].reference not in carla_page
    assert requests["unlinked"].reference not in carla_page


def test_the_access_export_holds_the_same_rows(requests_by_address):
    anna, _carla, requests = requests_by_address
    data = {c.key: c for c in subject_data_collect(subject=anna).categories}

    references = {row["reference"] for row in data["rights_requests"].rows}
    assert references == {requests["own"].reference, requests["unlinked"].reference}
    bodies = {row["body"] for row in data["rights_request_messages"].rows}
    assert bodies == {"anna own", "anna nobody"}


def test_a_batch_with_a_subject_without_address_matches_nobodys_rows_of_the_others_only(
    requests_by_address,
):
    anna, carla, requests = requests_by_address
    # A subject's address is never empty in the table; a batch may still pass None for one.
    silent = DataSubjectFactory(email="silent@example.be")
    RightsRequestFactory(subject=silent, email="silent@example.be")
    RightsRequestFactory(subject=None, email="silent@example.be", details="silent nobody")
    category = datamap._categories["rights_requests"]
    trail = datamap._categories["rights_request_messages"]

    found = set(category.rows_for_batch([silent.pk, anna.pk], [None, anna.email]))
    assert requests["unlinked"] in found
    assert requests["own"] in found
    assert requests["carlas"] not in found
    assert requests["other"] not in found
    assert len(found) == 3
    assert set(category.rows_for_batch([silent.pk], [None])) == set(
        RightsRequest.objects.filter(subject=silent)
    )
    bodies = set(
        trail.rows_for_batch([silent.pk, carla.pk], [None, carla.email]).values_list(
            "body", flat=True
        )
    )
    assert bodies == {"carla's"}
    silent.email = None
    assert set(category.rows_for(silent)) == set(RightsRequest.objects.filter(subject=silent))
    assert list(trail.rows_for(silent)) == []


def test_erasing_a_person_takes_their_requests_trail_not_anothers_under_their_address(
    requests_by_address,
):
    anna, carla, requests = requests_by_address
    for request in requests.values():
        RightsRequest.objects.filter(pk=request.pk).update(state=State.COMPLETED)
    RightsRequest.objects.filter(pk=requests["unlinked"].pk).update(state=State.UNCONFIRMED)

    subject_erase(subject=anna, cause=ErasureCause(kind="rights_request", reference="T"))

    remaining = set(RequestMessage.objects.values_list("body", flat=True))
    assert "carla's" in remaining
    assert "zed nobody" in remaining
    assert "anna own" not in remaining
    assert "anna nobody" not in remaining
    assert (
        RightsRequest.objects.filter(email="anna@example.be")
        .exclude(pk=requests["carlas"].pk)
        .count()
        == 0
    )
    assert RightsRequest.objects.get(pk=requests["carlas"].pk).email == "anna@example.be"
    assert RightsRequest.objects.get(pk=requests["carlas"].pk).subject_id == carla.pk


def test_a_batch_erasure_leaves_the_request_of_someone_outside_it_under_an_address_inside_it(
    requests_by_address,
):
    anna, carla, requests = requests_by_address
    bert = _person("bert@example.be")
    RightsRequestFactory(subject=None, email="bert@example.be", state=State.COMPLETED)
    RightsRequest.objects.update(state=State.COMPLETED)

    summaries = subjects_erase(
        subject_ids=[anna.pk, bert.pk], cause=ErasureCause(kind="rights_request", reference="B")
    )

    carlas = RightsRequest.objects.get(pk=requests["carlas"].pk)
    assert carlas.subject_id == carla.pk
    assert carlas.email == "anna@example.be"
    assert carlas.details == "carla's"
    assert RequestMessage.objects.filter(rights_request=carlas).exists()
    assert DataSubject.objects.filter(pk=carla.pk).exists()
    assert not RightsRequest.objects.filter(email="bert@example.be").exists()
    counted = summaries[anna.pk].categories.get("rights_requests")
    assert counted is not None
    assert counted.anonymised + counted.deleted + counted.kept_total == 2


@pytest.mark.django_db
def test_a_nul_in_a_purposes_description_does_not_take_my_data_down_for_everyone(client):
    """On SQLite a text may hold NUL (data loaded by a fixture, a script, the shell; the
    admin's forms refuse it). The shell holds the registers' texts and was cut at a bare NUL:
    one in a purpose's description made every page of that purpose fail. Its slots are now a
    marker random per process, which no stored text holds."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores no NUL in a text")
    Purpose.objects.filter(code="commercial_communication").update(
        description_en="Why we use it:\x00 to send you news."
    )
    anna = _person("anna@example.be", events=2)
    client.force_login(anna.user)

    response = client.get("/en/my-data/")

    assert response.status_code == 200
    assert "<strong>anna@example.be</strong>" in _main(response)


def test_erasing_a_person_keeps_an_open_request_under_their_address_and_its_trail(
    requests_by_address,
):
    anna, carla, requests = requests_by_address
    RightsRequest.objects.exclude(pk=requests["unlinked"].pk).update(state=State.COMPLETED)
    RightsRequest.objects.filter(pk=requests["unlinked"].pk).update(state=State.IN_PROGRESS)

    summary = subject_erase(subject=anna, cause=ErasureCause(kind="rights_request", reference="O"))

    unlinked = RightsRequest.objects.get(pk=requests["unlinked"].pk)
    assert unlinked.email == "anna@example.be"
    assert unlinked.details == "anna nobody"
    assert RequestMessage.objects.filter(rights_request=unlinked, body="anna nobody").exists()
    carlas = RightsRequest.objects.get(pk=requests["carlas"].pk)
    assert carlas.details == "carla's"
    assert carlas.subject_id == carla.pk
    kept = summary.categories.get("rights_request_messages")
    if not summary.held_by:
        assert kept is not None
        assert kept.kept_total >= 1


@pytest.mark.django_db
def test_page_links_speak_the_pages_language(client, monkeypatch, fixed_registers):
    anna = _person("anna@example.be", events=PAGE_SIZE * 2 + 1)
    client.force_login(anna.user)
    english = _main(client.get("/en/my-data/?category=browsing_history&page=2"))
    dutch = _main(client.get("/nl/my-data/?category=browsing_history&page=2"))

    assert 'rel="prev">Vorige</a>' in dutch
    assert 'rel="next">Volgende</a>' in dutch
    assert 'aria-label="Pagina 1"' in dutch
    assert "Previous" not in dutch
    assert 'rel="prev">Previous</a>' in english
