"""The access and portability exports, written from the data map and read back here."""

import csv
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.utils import translation

from subjects.datamap import datamap
from subjects.exports import Withheld, portable_categories, subject_export_write
from subjects.models import BrowsingEvent, ContactRequest, Order
from tests.subjects.factories import (
    ApplicationFactory,
    BrowsingEventFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    OrderFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }


def _open(name: str) -> zipfile.ZipFile:
    with default_storage.open(name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def _person():
    subject = DataSubjectFactory(
        email="lotte@example.be", first_name="Lotte", preferred_language="fr"
    )
    OrderFactory(subject=subject, number="BE-00000042", delivery_city="Antwerpen")
    ContactRequestFactory(subject=subject, message="Une offre pour deux fenêtres, svp.")
    BrowsingEventFactory.create_batch(3, subject=subject, path="/fr-be/produits")
    SurveyResponseFactory(subject=subject, comment="Très bien")
    ApplicationFactory(subject=subject, experience="Dix ans de menuiserie")
    other = DataSubjectFactory(email="someone.else@example.be", first_name="Other")
    OrderFactory(subject=other, number="BE-OTHER-1")
    BrowsingEventFactory(subject=other, path="/another-persons-page")
    return subject


def test_the_access_export_holds_every_category_as_json_and_csv_and_nobody_elses():
    subject = _person()

    manifest = subject_export_write(subject=subject, storage_name="exports/a.zip", language="fr")

    archive = _open("exports/a.zip")
    names = set(archive.namelist())
    held = {c.key for c in manifest.categories}
    assert held == {
        "identity", "contact_requests", "orders", "browsing_history", "survey_responses",
        "applications",
    }  # fmt: skip
    for key in held:
        assert {f"data/{key}.json", f"data/{key}.csv"} <= names
    browsing = json.loads(archive.read("data/browsing_history.json"))
    assert [row["path"] for row in browsing] == ["/fr-be/produits"] * 3
    orders = list(csv.reader(io.StringIO(archive.read("data/orders.csv").decode("utf-8-sig"))))
    assert orders[0][0] == "numéro de commande"  # labels in the person's language
    assert orders[1][0] == "BE-00000042"
    everything = b"".join(archive.read(name) for name in names)
    assert b"BE-OTHER-1" not in everything
    assert b"/another-persons-page" not in everything
    assert b"someone.else@example.be" not in everything


def test_the_summary_states_the_article_15_information_in_the_persons_language():
    subject = _person()

    subject_export_write(subject=subject, storage_name="exports/a.zip", language="fr")

    summary = _open("exports/a.zip").read("index.html").decode()
    assert '<html lang="fr">' in summary
    assert "Vos données à caractère personnel chez VELUX Belgium" in summary
    for words in [
        "Base juridique",  # the legal basis of each purpose
        "Combien de temps nous les conservons",  # retention
        "Autorité de protection des données",  # the right to complain
        "Drukpersstraat 35",
        "décision",  # automated decision-making
    ]:
        assert words in summary, words
    assert 'href="data/orders.csv"' in summary


def test_a_portability_export_holds_only_provided_fields_of_consent_or_contract_data():
    subject = _person()

    manifest = subject_export_write(
        subject=subject, storage_name="exports/p.zip", language="nl", portability=True
    )

    archive = _open("exports/p.zip")
    keys = {c.key for c in manifest.categories}
    portable = {c.key for c in portable_categories()}
    assert keys <= portable
    # Surveys (§2.6) rest on legitimate interest, applications (§2.7) on steps before a
    # contract: surveys are not portable; browsing history was not provided by the person.
    assert "survey_responses" not in keys
    assert "browsing_history" not in keys
    orders = json.loads(archive.read("data/orders.json"))
    provided = datamap._categories["orders"].provided
    assert set(orders[0]) == set(provided)
    assert "number" not in orders[0]  # made by VELUX, not provided


def test_rows_withheld_to_protect_others_are_left_out_and_counted_with_the_reason():
    subject = _person()
    note = ContactRequest.objects.get(subject=subject)

    manifest = subject_export_write(
        subject=subject,
        storage_name="exports/w.zip",
        language="en",
        withheld={"contact_requests": Withheld(frozenset({note.pk}), "it names a neighbour")},
    )

    archive = _open("exports/w.zip")
    assert json.loads(archive.read("data/contact_requests.json")) == []
    contact = next(c for c in manifest.categories if c.key == "contact_requests")
    assert (contact.rows, contact.withheld) == (0, 1)
    summary = archive.read("index.html").decode()
    assert "1 record is not included, to protect other people: it names a neighbour" in summary
    assert json.loads(archive.read("manifest.json"))["categories"][1]["withheld"] in (0, 1)


def test_an_export_of_many_rows_is_written_in_chunks(monkeypatch):
    from subjects import exports

    subject = DataSubjectFactory()
    BrowsingEvent.objects.bulk_create(
        BrowsingEvent(subject=subject, event_type="page_view", path=f"/p/{n}") for n in range(25)
    )
    monkeypatch.setattr(exports, "CHUNK_ROWS", 10)

    subject_export_write(subject=subject, storage_name="exports/big.zip", language="en")

    archive = _open("exports/big.zip")
    rows = list(
        csv.reader(io.StringIO(archive.read("data/browsing_history.csv").decode("utf-8-sig")))
    )
    assert len(rows) == 26  # the header and every row, across three chunks
    assert len(json.loads(archive.read("data/browsing_history.json"))) == 25
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "text",
    [
        'Zei "ja", toen\nnee',
        "back\\slash, and a tab\there",
        "control \x01 and \x02 characters",
        "Æøå — ‘quotes’ € 🙂",
        "",
    ],
)
def test_any_text_comes_back_exactly_from_both_files(text):
    subject = DataSubjectFactory()
    ContactRequestFactory(subject=subject, message=text, product_interest="x,y")

    subject_export_write(subject=subject, storage_name="exports/t.zip", language="en")

    archive = _open("exports/t.zip")
    [from_json] = json.loads(archive.read("data/contact_requests.json"))
    table = list(
        csv.DictReader(io.StringIO(archive.read("data/contact_requests.csv").decode("utf-8-sig")))
    )
    assert from_json["message"] == text
    assert from_json["product_interest"] == "x,y"
    assert [row["message"] for row in table] == [text]
    assert table[0]["channel"] == "web form"  # a choice by its label


def test_both_files_keep_the_category_order_across_blocks_and_agree_row_for_row(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from subjects import exports

    subject = DataSubjectFactory()
    start = timezone.now() - timedelta(days=1)
    # Inserted oldest first, in shuffled paths: the export must order them newest first.
    BrowsingEvent.objects.bulk_create(
        BrowsingEvent(
            subject=subject,
            occurred_at=start + timedelta(minutes=n),
            event_type="search" if n % 2 else "page_view",
            path=f'/p/{(n * 7) % 25}?q="ja, nee"',
        )
        for n in range(25)
    )
    monkeypatch.setattr(exports, "ROWS_PER_BLOCK", 10)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 10)

    subject_export_write(subject=subject, storage_name="exports/order.zip", language="en")

    archive = _open("exports/order.zip")
    objects = json.loads(archive.read("data/browsing_history.json"))
    table = list(
        csv.reader(io.StringIO(archive.read("data/browsing_history.csv").decode("utf-8-sig")))
    )
    header, lines = table[0], table[1:]
    assert header == ["when", "event", "page"]
    assert len(objects) == len(lines) == 25
    expected = [25 - 1 - k for k in range(25)]  # newest first
    assert [o["path"] for o in objects] == [f'/p/{(n * 7) % 25}?q="ja, nee"' for n in expected]
    assert [line[2] for line in lines] == [o["path"] for o in objects]
    # The JSON keeps the stored code, the CSV shows the label; both say the same event.
    assert [o["event_type"] for o in objects[:2]] == ["page_view", "search"]
    assert [line[1] for line in lines[:2]] == ["page view", "search"]
    # Times in ISO 8601 in both, the same instant (in UTC where no offset is written).
    from datetime import UTC, datetime

    def instant(text):
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    assert [instant(o["occurred_at"]) for o in objects] == [instant(line[0]) for line in lines]
    assert instant(lines[0][0]) > instant(lines[-1][0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_workers_export_reads_everything_in_one_repeatable_read_snapshot(monkeypatch):
    from django.db import connection

    from subjects import exports

    subject = DataSubjectFactory()
    BrowsingEventFactory.create_batch(2, subject=subject)
    seen = []
    summary = exports._summary_html

    def spying_summary(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            seen.append(cursor.fetchone()[0])
            cursor.execute("SHOW transaction_read_only")
            seen.append(cursor.fetchone()[0])
        return summary(*args, **kwargs)

    monkeypatch.setattr(exports, "_summary_html", spying_summary)
    assert not connection.in_atomic_block

    manifest = subject_export_write(subject=subject, storage_name="exports/s.zip", language="en")

    assert seen == ["repeatable read", "on"]
    assert not connection.in_atomic_block
    assert {c.key: c.rows for c in manifest.categories}["browsing_history"] == 2


def test_empty_values_booleans_and_numbers_make_plain_csv_cells():
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, number="BE-1", total_amount="1234.50", delivered_at=None)

    subject_export_write(subject=subject, storage_name="exports/cells.zip", language="en")

    archive = _open("exports/cells.zip")
    [row] = csv.DictReader(io.StringIO(archive.read("data/orders.csv").decode("utf-8-sig")))
    [obj] = json.loads(archive.read("data/orders.json"))
    with translation.override("en"):
        labels = {f.name: str(f.label) for f in datamap.category("orders").fields}
    assert row[labels["total_amount"]] == "1234.50"
    assert row[labels["delivered_at"]] == ""
    assert obj["delivered_at"] is None
    assert obj["number"] == row[labels["number"]] == "BE-1"


@pytest.mark.postgres
@pytest.mark.django_db
def test_copys_binary_rows_come_whole_and_a_copy_failing_midway_raises_the_servers_error():
    from django.db import connection, transaction
    from psycopg import errors

    from subjects.exports import _copy_binary_rows

    def copied(select):
        statement = f"COPY ({select}) TO STDOUT (FORMAT binary)"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            return list(_copy_binary_rows(copy))

    # Each row: its field count (2), then each field's length (4 bytes) and its bytes.
    rows = copied("SELECT x::text::bytea, repeat('é', x)::bytea FROM generate_series(1, 3) x")
    assert rows[0] == b"\x00\x02" + b"\x00\x00\x00\x011" + b"\x00\x00\x00\x02" + "é".encode()
    assert [row[6:7] for row in rows] == [b"1", b"2", b"3"]
    assert copied("SELECT x FROM generate_series(1, 0) x") == []  # header and trailer only

    failing = "SELECT (1 / (x - 3000))::text::bytea FROM generate_series(1, 10000) x"
    with pytest.raises(errors.DivisionByZero, match="division by zero"), transaction.atomic():
        copied(failing)
    # The connection is at rest again, ready for the next query.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)
