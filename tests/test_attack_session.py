"""Attacks on the registers' snapshots, the cached purpose facts, the viewer's subject memo,
the choice labels, the export link and the binary COPY reader (review of 9ba1216..HEAD)."""

from __future__ import annotations

import re
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection, transaction
from django.db.models import Model
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from consent.models import PolicyVersion
from consent.selectors import policy_version_in_force, subject_of_viewer
from dsr_requests.models import RequestExport
from subjects.models import Purpose, Recipient
from subjects.selectors import registers
from tests.centre.conftest import verified_login
from tests.consent.test_viewer_subject import _reconsent_open
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory
from velux_privacy.snapshots import Snapshot

TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WHY = {"nl": "Waarom we het gebruiken", "fr": "Pourquoi nous les utilisons", "en": "Why we use it"}


# Helpers


def _admin_data(client: Client, url: str, **changes) -> dict:
    """The admin change form's current values as POST data, with `changes` applied."""
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["adminform"].form
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool) or value is None:
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _admin_save(client: Client, url: str, **changes) -> None:
    response = client.post(url, _admin_data(client, url, **changes))
    assert response.status_code == 302, getattr(response, "context", None) and [
        f.errors for f in [response.context["adminform"].form]
    ]


def _named_recipient(name: str, purposes, **fields) -> Recipient:
    recipient = Recipient.objects.create(
        name=name,
        category=Recipient.Category.WEB_CHAT,  # a named category: its name is on the pages
        role=Recipient.Role.choices[0][0],
        country=fields.pop("country", "US"),
        transfer_safeguard=Recipient.TransferSafeguard.STANDARD_CONTRACTUAL_CLAUSES,
        is_active=True,
        **fields,
    )
    recipient.purposes.set(purposes)
    return recipient


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def _signed_in(email: str):
    user = verified_login(email)
    subject = DataSubjectFactory(email=email, user=user)
    client = Client()
    client.force_login(user)
    return client, subject


# Stale registers after a staff edit in the admin


@TRANSACTIONAL
def test_admin_edit_of_a_purpose_shows_on_the_next_policy_page_in_every_language(admin_client):
    purpose = Purpose.objects.order_by("section").first()
    client = Client()
    assert purpose.name_en in _page(client, "/en/privacy-policy/")  # snapshot loaded
    _page(client, "/nl/privacy-policy/")

    url = reverse("admin:subjects_purpose_change", args=[purpose.pk])
    _admin_save(
        admin_client,
        url,
        description_en="Edited in the admin, English",
        description_nl="In de admin aangepast, Nederlands",
    )

    assert "Edited in the admin, English" in _page(client, "/en/privacy-policy/")
    nl = _page(client, "/nl/privacy-policy/")
    assert "In de admin aangepast, Nederlands" in nl
    assert "Edited in the admin, English" not in nl


@TRANSACTIONAL
def test_a_recipient_deactivated_in_the_admin_leaves_the_policy_page_and_my_data(admin_client):
    client, _subject = _signed_in("ines.janssens@example.be")
    recipient = _named_recipient(
        "Chatty Widgets LLC", Purpose.objects.all(), description_en="Chat outside the EEA."
    )
    assert "Chatty Widgets LLC" in _page(client, "/en/privacy-policy/")
    assert "Chatty Widgets LLC" in _page(client, "/en/my-data/")  # facts rendered and kept

    url = reverse("admin:subjects_recipient_change", args=[recipient.pk])
    _admin_save(admin_client, url, is_active=False)
    recipient.refresh_from_db()
    assert recipient.is_active is False

    assert "Chatty Widgets LLC" not in _page(client, "/en/privacy-policy/")
    assert "Chatty Widgets LLC" not in _page(client, "/en/my-data/")
    assert recipient.pk not in {r.pk for r in registers().outside_eea}
    assert all(
        recipient.pk not in {r.pk for r in p.active_recipients} for p in registers().purposes
    )


@TRANSACTIONAL
def test_purposes_taken_off_a_recipient_in_the_admin_leave_the_cached_facts(admin_client):
    client, _subject = _signed_in("ward.maes@example.be")
    recipient = _named_recipient("Facts Cache Probe BV", Purpose.objects.all(), country="BE")
    assert "Facts Cache Probe BV" in _page(client, "/nl/my-data/")
    assert "Facts Cache Probe BV" in _page(client, "/fr/my-data/")

    url = reverse("admin:subjects_recipient_change", args=[recipient.pk])
    _admin_save(admin_client, url, purposes=[])
    assert not recipient.purposes.exists()

    assert "Facts Cache Probe BV" not in _page(client, "/nl/my-data/")
    assert "Facts Cache Probe BV" not in _page(client, "/fr/my-data/")
    assert "Facts Cache Probe BV" not in _page(client, "/nl/privacy-policy/")


@TRANSACTIONAL
def test_a_policy_version_published_through_the_admin_action_is_in_force_next_page(
    admin_client,
):
    client = Client()
    _page(client, "/en/privacy-policy/")
    version = PolicyVersion.objects.create(
        number="2031-02",
        effective_on=timezone.localdate(),
        summary="Admin publish.",
        url="https://www.velux.be/nl-be/privacybeleid-2031",
    )
    assert "2031-02" not in _page(client, "/en/privacy-policy/")
    response = admin_client.post(
        reverse("admin:consent_policyversion_changelist"),
        {"action": "publish", "_selected_action": [version.pk]},
    )
    assert response.status_code == 302
    assert policy_version_in_force() == version
    assert "2031-02" in _page(client, "/en/privacy-policy/")


# Language mix-ups of the cached purpose facts


@TRANSACTIONAL
def test_purpose_facts_follow_the_language_asked_nl_then_fr_then_nl_again():
    client, subject = _signed_in("eva.claes@example.be")
    pages = {lang: _page(client, f"/{lang}/my-data/") for lang in ("nl", "fr", "nl", "en")}
    assert WHY["nl"] in pages["nl"]
    assert WHY["fr"] not in pages["nl"]
    assert WHY["fr"] in pages["fr"]
    assert WHY["nl"] not in pages["fr"]
    assert WHY["en"] in pages["en"]
    assert WHY["fr"] not in pages["en"]

    # And each section's facts are exactly what rendering them afresh gives.
    from centre.selectors import my_data_collect

    for language in ("fr", "nl", "de", "fr"):
        with translation.override(language):
            data = my_data_collect(viewer=subject.user, subject=subject, category=None, page=1)
            assert data.sections
            for section in data.sections:
                fresh = render_to_string(
                    "centre/includes/purpose_facts.html",
                    {"purpose": section.purpose, "recipients": section.purpose.active_recipients},
                )
                assert section.facts_html == fresh, (language, section.purpose.code)
                assert escape(section.purpose.description) in section.facts_html


@TRANSACTIONAL
def test_a_purpose_description_edited_shows_in_the_my_data_facts_on_the_next_page():
    client, _subject = _signed_in("lars.wouters@example.be")
    _page(client, "/fr/my-data/")
    for purpose in Purpose.objects.all():
        purpose.description_fr = f"Description changée {purpose.code}"
        purpose.save()
    page = _page(client, "/fr/my-data/")
    assert "Description changée" in page


# The policy version in force


@TRANSACTIONAL
def test_a_version_published_with_a_future_date_is_not_in_force_until_then(client):
    before = policy_version_in_force()
    _page(client, "/en/privacy-policy/")
    future = timezone.now() + timedelta(days=3)
    version = PolicyVersion.objects.create(
        number="2030-09",
        effective_on=timezone.localdate() + timedelta(days=3),
        summary="Later.",
        url="https://www.velux.be/nl-be/privacybeleid-2030",
        published_at=future,
    )
    assert policy_version_in_force() == before
    assert "2030-09" not in _page(client, "/en/privacy-policy/")
    assert policy_version_in_force(now=future - timedelta(seconds=1)) == before
    assert policy_version_in_force(now=future) == version
    assert policy_version_in_force(now=future + timedelta(days=1)) == version


# Concurrency: two threads in one process


def test_a_version_change_in_another_thread_never_makes_get_return_the_unset_marker():
    """`Snapshot.get` checks its copy, then reads `self._value` again to return it; a commit
    in another thread (`_new_version` → `forget()`) in between makes it return `_UNSET`."""
    marker = object()
    snapshot = Snapshot("attack-race", lambda: marker, [])
    wrong: list = []
    stop = threading.Event()

    def reader():
        while not stop.is_set() and not wrong:
            value = snapshot.get()
            if value is not marker:
                wrong.append(value)

    def committer():
        while not stop.is_set() and not wrong:
            snapshot.forget()  # what _new_version does first, after a commit elsewhere

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    threads = [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=committer))
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not wrong:
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        sys.setswitchinterval(interval)
        Snapshot.every.remove(snapshot)
    assert wrong == [], f"get() returned {wrong[0]!r} instead of the loaded value"


def test_get_returns_the_value_it_checked_even_when_forgotten_right_after_the_check():
    """Deterministic form of the race above: the copy is forgotten (another thread's commit)
    once get() has decided its copy is current, before it returns it."""
    snapshot = Snapshot("attack-race-2", lambda: "loaded", [])

    class ForgetWhenCompared:
        """`max_age`, compared last in get()'s check: the other thread's commit lands here."""

        def __lt__(self, other):
            snapshot.forget()
            return False

        def __gt__(self, other):
            snapshot.forget()
            return True

    try:
        assert snapshot.get() == "loaded"
        snapshot.max_age = ForgetWhenCompared()
        assert snapshot.get() == "loaded"
    finally:
        Snapshot.every.remove(snapshot)


@TRANSACTIONAL
def test_a_recipient_deactivated_in_another_thread_is_gone_on_the_next_read():
    recipient = _named_recipient("Threaded Recipient NV", Purpose.objects.all())
    assert recipient.pk in {r.pk for r in registers().outside_eea}
    errors: list = []

    def deactivate():
        try:
            with transaction.atomic():
                changed = Recipient.objects.get(pk=recipient.pk)
                changed.is_active = False
                changed.save()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=deactivate)
    thread.start()
    thread.join()
    assert errors == []
    assert recipient.pk not in {r.pk for r in registers().outside_eea}
    assert all(
        recipient.pk not in {r.pk for r in p.active_recipients} for p in registers().purposes
    )


# The viewer's subject, kept on the login


@TRANSACTIONAL
def test_two_people_in_turn_each_see_only_their_own_data_and_banner():
    lotte_client, lotte = _signed_in("lotte.mertens@example.be")
    jan_client, jan = _signed_in("jan.peeters@example.be")
    _reconsent_open(lotte)
    for _ in range(2):
        for client, own, other, banner in (
            (lotte_client, lotte, jan, True),
            (jan_client, jan, lotte, False),
        ):
            page = _page(client, "/en/my-data/")
            assert own.email in page
            assert other.email not in page
            assert ("Please confirm your choices" in page) is banner


@pytest.mark.django_db
def test_the_memo_belongs_to_the_login_it_was_read_for():
    lotte = DataSubjectFactory(user=verified_login("a.one@example.be"))
    jan = DataSubjectFactory(user=verified_login("b.two@example.be"))
    lotte_user = type(lotte.user).objects.get(pk=lotte.user.pk)
    jan_user = type(jan.user).objects.get(pk=jan.user.pk)
    assert subject_of_viewer(lotte_user).pk == lotte.pk
    assert subject_of_viewer(jan_user).pk == jan.pk
    assert subject_of_viewer(lotte_user).pk == lotte.pk


# The export link


@pytest.mark.django_db
def test_the_export_link_is_the_persons_own_and_someone_elses_request_is_a_404():
    client, subject = _signed_in("noor.dubois@example.be")
    own = RightsRequestFactory(subject=subject)
    other = RightsRequestFactory(subject=DataSubjectFactory(email="other@example.be"))
    now = timezone.now()
    for rights_request, nonce in ((own, "a" * 32), (other, "b" * 32)):
        RequestExport.objects.create(
            rights_request=rights_request,
            language="en",
            file=f"exports/{rights_request.reference}.zip",
            released_at=now,
            expires_at=now + timedelta(days=7),
            download_nonce=nonce,
        )

    page = _page(client, f"/en/requests/{own.reference}/")
    with translation.override("en"):
        prefix = reverse("dsr_requests:export_download", kwargs={"token": "TOKEN"})
    pattern = re.escape(prefix).replace("TOKEN", r"([^/\"?]+)")
    tokens = re.findall(pattern, page)
    assert tokens, "the released export's link is on the page"
    for token in tokens:
        opened = signing.loads(token, salt="dsr_requests.export.download")
        assert opened == {"r": own.pk, "n": "a" * 32}
    assert client.get(f"/en/requests/{other.reference}/").status_code == 404


@pytest.mark.django_db
def test_a_request_without_an_export_offers_no_link_even_when_read_with_select_related():
    from dsr_requests.exports import export_download_url
    from dsr_requests.selectors import rights_request_for_person

    subject = DataSubjectFactory()
    mine = RightsRequestFactory(subject=subject)
    other = RightsRequestFactory(subject=DataSubjectFactory())
    now = timezone.now()
    RequestExport.objects.create(
        rights_request=other,
        language="en",
        file="exports/other.zip",
        released_at=now,
        expires_at=now + timedelta(days=7),
        download_nonce="c" * 32,
    )
    found = rights_request_for_person(reference=mine.reference, subject_id=subject.pk, followed=[])
    assert found.pk == mine.pk
    assert export_download_url(rights_request=found) is None
    assert (
        rights_request_for_person(reference=other.reference, subject_id=subject.pk, followed=[])
        is None
    )


# Choice labels


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_choice_labels_of_saved_rows_are_djangos_own(language):
    recipients = list(Recipient.objects.all())
    purposes = list(Purpose.objects.all())
    assert recipients
    assert purposes
    with translation.override(language):
        for recipient in recipients:
            for name in ("category", "role", "transfer_safeguard"):
                field = Recipient._meta.get_field(name)
                assert getattr(recipient, f"get_{name}_display")() == (
                    Model._get_FIELD_display(recipient, field)
                )
        for purpose in purposes:
            for name in ("code", "legal_basis"):
                field = Purpose._meta.get_field(name)
                assert getattr(purpose, f"get_{name}_display")() == (
                    Model._get_FIELD_display(purpose, field)
                )
        recipient = Recipient(category=["not", "hashable"])
        field = Recipient._meta.get_field("category")
        assert recipient.get_category_display() == Model._get_FIELD_display(recipient, field)


# The binary COPY reader


def _copied(select: str, params=None) -> list[bytes]:
    from subjects.exports import _copy_binary_rows

    statement = f"COPY ({select}) TO STDOUT (FORMAT binary)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        return list(_copy_binary_rows(copy))


def _usable() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)


_FAIL_AT = """
CREATE OR REPLACE FUNCTION pg_temp.attack_fail_at(x int, code text) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
  IF x = 3000 THEN RAISE EXCEPTION 'custom failure at %', x USING ERRCODE = code; END IF;
  RETURN x;
END $$
"""


@pytest.mark.postgres
@TRANSACTIONAL
def test_a_copy_failing_midway_with_an_sqlstate_psycopg_does_not_know_raises_a_db_error():
    """A trigger or function may raise with its own SQLSTATE (here 'VX001'): psycopg's
    `errors.lookup` raises KeyError for it, in the middle of `_copy_failed`'s loop."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute(_FAIL_AT)
    failing = (
        "SELECT pg_temp.attack_fail_at(x, 'VX001')::text::bytea FROM generate_series(1, 10000) x"
    )
    try:
        with pytest.raises(psycopg.DatabaseError, match="custom failure"), transaction.atomic():
            _copied(failing)
        _usable()
    finally:
        connection.close()  # a broken connection must not spoil the tests after this one


@pytest.mark.postgres
@TRANSACTIONAL
def test_a_copy_failing_midway_outside_a_transaction_leaves_the_connection_usable():
    import psycopg

    failing = "SELECT (1 / (x - 5000))::text::bytea FROM generate_series(1, 20000) x"
    with pytest.raises(psycopg.errors.DivisionByZero):
        _copied(failing)
    assert not connection.in_atomic_block
    _usable()
    rows = _copied("SELECT x::text::bytea FROM generate_series(1, 3) x")
    assert [row[6:] for row in rows] == [b"1", b"2", b"3"]


@pytest.mark.postgres
@TRANSACTIONAL
def test_a_copy_failing_on_its_first_row_raises_and_leaves_the_connection_usable():
    import psycopg

    with pytest.raises(psycopg.errors.DivisionByZero):
        _copied("SELECT (1 / (x - 1))::text::bytea FROM generate_series(1, 3) x")
    _usable()


@pytest.mark.postgres
@TRANSACTIONAL
def test_a_copy_abandoned_midway_by_its_reader_leaves_the_connection_usable():
    from subjects.exports import _copy_binary_rows

    statement = (
        "COPY (SELECT x::text::bytea FROM generate_series(1, 200000) x) TO STDOUT (FORMAT binary)"
    )

    def abandon() -> None:
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for number, _row in enumerate(_copy_binary_rows(copy)):
                if number == 10:
                    raise RuntimeError("the archive could not be written")

    with pytest.raises(RuntimeError):
        abandon()
    _usable()


@pytest.mark.postgres
@TRANSACTIONAL
def test_binary_rows_with_empty_and_large_fields_come_whole():
    rows = _copied(
        "SELECT convert_to(repeat('x', 70000), 'UTF8'), ''::bytea "
        "UNION ALL SELECT ''::bytea, convert_to('é,\"q\"', 'UTF8')"
    )
    assert len(rows) == 2
    size = int.from_bytes(rows[0][2:6])
    assert size == 70000
    assert rows[0][6 : 6 + size] == b"x" * 70000
    assert rows[0][6 + size :] == b"\x00\x00\x00\x00"
    assert rows[1][2:6] == b"\x00\x00\x00\x00"
    assert rows[1][10:] == 'é,"q"'.encode()


@pytest.mark.postgres
@TRANSACTIONAL
def test_after_a_copy_failing_with_an_unknown_sqlstate_the_connection_is_usable():
    """Whatever `_copy_failed` raises, libpq's results are drained: the next query runs."""
    with connection.cursor() as cursor:
        cursor.execute(_FAIL_AT)
    failing = (
        "SELECT pg_temp.attack_fail_at(x, 'VX001')::text::bytea FROM generate_series(1, 10000) x"
    )
    try:
        with pytest.raises(Exception, match=r"custom failure|VX001"):
            _copied(failing)
        _usable()
    finally:
        connection.close()  # a broken connection must not spoil the tests after this one
