"""The registers kept in each process between requests (velux_privacy.snapshots): served
without a query while unchanged, and changed on the next page after any change."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.models import PolicyVersion
from subjects.models import Purpose, Recipient
from subjects.selectors import registers
from velux_privacy.snapshots import Snapshot

# Outside a test's transaction, as pages are served: commits happen, signals follow them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _register_queries(client, path="/en/") -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    tables = ('"subjects_purpose"', '"subjects_recipient"', '"consent_policyversion"')
    return [
        q["sql"] for q in captured if any(t in q["sql"] for t in tables)
    ], response.content.decode()


def test_the_registers_are_read_once_and_the_next_page_shows_a_change(client):
    first, _page = _register_queries(client)
    again, page = _register_queries(client)
    assert first  # the first page of the process reads them
    assert again == []  # the next ones do not
    purpose = Purpose.objects.order_by("section").first()
    assert purpose.name in page

    purpose.name_en = "Answering what you ask us, renamed"
    purpose.save()

    reads, page = _register_queries(client)
    assert reads  # read again after the change
    assert "Answering what you ask us, renamed" in page
    assert _register_queries(client)[0] == []


def test_a_recipient_added_removed_or_given_a_purpose_shows_on_the_policy_page(client):
    client.get("/en/privacy-policy/")
    outside = Recipient.objects.create(
        name="Cloud Analytics Inc.",
        category=Recipient.objects.values_list("category", flat=True).first(),
        country="US",
        transfer_safeguard=Recipient.TransferSafeguard.STANDARD_CONTRACTUAL_CLAUSES,
        is_active=True,
    )
    assert outside in registers().outside_eea
    purpose = Purpose.objects.order_by("section").first()
    outside.purposes.add(purpose)  # a many-to-many change, no save of either
    listed = next(p for p in registers().purposes if p.pk == purpose.pk)
    assert outside in listed.active_recipients

    outside.delete()

    assert outside.pk not in {r.pk for r in registers().outside_eea}
    assert "Cloud Analytics Inc." not in client.get("/en/privacy-policy/").content.decode()


def test_a_change_committed_by_another_process_is_seen_through_the_shared_version():
    purpose = Purpose.objects.order_by("section").first()
    registers()
    # Another process's change: the row changes without a signal here, the version moves.
    Purpose.objects.filter(pk=purpose.pk).update(name_en="Changed elsewhere")
    assert next(p for p in registers().purposes if p.pk == purpose.pk).name_en != (
        "Changed elsewhere"
    )
    cache.set("snapshot:registers:version", "another process's version", timeout=None)

    assert next(p for p in registers().purposes if p.pk == purpose.pk).name_en == (
        "Changed elsewhere"
    )


def test_a_change_without_a_signal_shows_after_max_age(monkeypatch):
    from velux_privacy import snapshots

    purpose = Purpose.objects.order_by("section").first()
    registers()
    Purpose.objects.filter(pk=purpose.pk).update(name_en="Updated by SQL")
    clock = snapshots.time.monotonic()
    monkeypatch.setattr(snapshots.time, "monotonic", lambda: clock + 61)

    assert next(p for p in registers().purposes if p.pk == purpose.pk).name_en == "Updated by SQL"


def test_inside_a_transaction_the_register_is_read_afresh_and_a_rollback_leaves_nothing():
    purpose = Purpose.objects.order_by("section").first()
    before = purpose.name_en
    registers()

    seen = []

    def change_then_fail():
        with transaction.atomic():
            Purpose.objects.filter(pk=purpose.pk).update(name_en="Never committed")
            seen.append(next(p for p in registers().purposes if p.pk == purpose.pk).name_en)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert seen == ["Never committed"]  # the transaction saw its own change

    assert next(p for p in registers().purposes if p.pk == purpose.pk).name_en == before


def test_an_unreachable_cache_reads_the_register_afresh(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is down")

    registers()
    purpose = Purpose.objects.order_by("section").first()
    Purpose.objects.filter(pk=purpose.pk).update(name_en="Read while the cache is down")
    monkeypatch.setattr(cache, "get", unreachable)

    fresh = next(p for p in registers().purposes if p.pk == purpose.pk)

    assert fresh.name_en == "Read while the cache is down"
    assert "the cache did not answer" in caplog.text


def test_a_policy_version_published_is_in_force_on_the_next_page(client):
    from consent.selectors import policy_version_in_force

    client.get("/en/")
    version = PolicyVersion.objects.create(
        number="2027-01",
        effective_on=timezone.localdate(),
        summary="Nieuwe ontvangers.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
    )
    assert policy_version_in_force() != version  # a draft is not in force
    version.published_at = timezone.now()
    version.save(update_fields=["published_at"])

    assert policy_version_in_force() == version
    assert "2027-01" in client.get("/en/privacy-policy/").content.decode()


def test_a_snapshot_loads_once_per_version():
    loads = []
    snapshot = Snapshot("test-counter", lambda: loads.append(1) or len(loads), [])
    try:
        assert snapshot.get() == 1
        assert snapshot.get() == 1
        snapshot._new_version()  # what a committed change does
        assert snapshot.get() == 2
        assert len(loads) == 2
    finally:
        Snapshot.every.remove(snapshot)
