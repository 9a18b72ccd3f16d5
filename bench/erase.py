"""Set-based erasure at scale: the data map's batch erasure against hand-written SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/erase.py [--subjects 100000] [--erase 10000] [--batch 1000]

Seeds the database with seed_demo up to --subjects people if it holds fewer, then:
1. finds, once and untimed, exactly which rows erasing --erase of them changes (each in its
   own transaction, rolled back): the rows deleted and the rows anonymised, per table;
2. in a child process, erases them through the map (`subjects_erase`, --batch subjects per
   call) in a transaction it rolls back: time per subject, statements per batch, peak RSS;
3. in another child process, deletes and anonymises exactly the same rows with hand-written
   SQL (one DELETE or UPDATE per table and batch, by primary key), likewise rolled back, and
   then also inserts the same deletion receipts (one INSERT per batch): an erasure must leave
   its receipt (DESIGN.md), so the floor of the whole job includes them;
and prints both, the ratios map/SQL (target <= 3) against the deletions alone and against
deletions and receipts, and one subject with 10,000 browsing events erased through the map
(time, statements). Last, one JSON line of the figures.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import django_setup

HERE = Path(__file__).resolve()
NOW_ISO = "2026-12-01T10:00:00+00:00"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux keeps
    that across exec, so a child started by the parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def chosen_subjects(count: int) -> list[int]:
    """Every n-th subject by id: people of every kind, spread over the table."""
    from subjects.models import DataSubject

    total = DataSubject.objects.count()
    step = max(total // count, 1)
    ids = list(DataSubject.objects.order_by("pk").values_list("pk", flat=True)[::step][:count])
    return ids


def batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _tables():
    """(table, primary key column) of every model the map erases, children first."""
    from subjects.datamap import datamap

    return [
        (c.model._meta.db_table, c.model._meta.pk.column, c.model) for c in datamap.erasure_order()
    ]


def capture(ids: list[int], batch: int) -> dict:
    """The rows the map erasure changes, by table: {"delete": {table: [pk]}, "update": …}."""
    from datetime import datetime

    from django.db import transaction

    from subjects.models import DataSubject
    from subjects.services import ErasureCause, subjects_erase

    now = datetime.fromisoformat(NOW_ISO)
    emails = dict(DataSubject.objects.filter(pk__in=ids).values_list("pk", "email"))
    from subjects.datamap import datamap

    before: dict[str, set] = {}
    for category in datamap.erasure_order():
        rows = category.rows_for_batch(ids, [emails[pk] for pk in ids if pk in emails])
        before[category.model._meta.db_table] = set(rows.values_list("pk", flat=True))
    changed = {"delete": {}, "update": {}, "receipts": []}
    with transaction.atomic():
        for chunk in batches(ids, batch):
            subjects_erase(subject_ids=chunk, cause=ErasureCause("inactivity", "bench"), now=now)
        for category in datamap.erasure_order():
            table = category.model._meta.db_table
            left = set(
                category.model._base_manager.filter(pk__in=before[table]).values_list(
                    "pk", flat=True
                )
            )
            gone = sorted(before[table] - left)
            if gone:
                changed["delete"][table] = gone
            anonymiser = category.anonymiser
            if anonymiser is not None and "anonymised_at" in anonymiser.values:
                done = list(
                    category.model._base_manager.filter(pk__in=left, anonymised_at=now).values_list(
                        "pk", flat=True
                    )
                )
                if done:
                    changed["update"][table] = sorted(done)
        from subjects.models import DeletionReceipt

        changed["receipts"] = list(
            DeletionReceipt.objects.filter(cause_reference="bench").values(
                "subject_hash", "summary", "subject_deleted", "rows_kept"
            )
        )
        transaction.set_rollback(True)
    return changed


def child_map(ids: list[int], batch: int) -> dict:
    from datetime import datetime

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from subjects.services import ErasureCause, subjects_erase

    now = datetime.fromisoformat(NOW_ISO)
    statements = []
    deleted = anonymised = 0
    rss_before = peak_rss_mb()
    with transaction.atomic():
        started = time.perf_counter()
        for chunk in batches(ids, batch):
            with CaptureQueriesContext(connection) as queries:
                summaries = subjects_erase(
                    subject_ids=chunk, cause=ErasureCause("inactivity", "bench"), now=now
                )
            statements.append(len(queries))
            deleted += sum(s.rows_deleted for s in summaries.values())
            anonymised += sum(s.rows_anonymised for s in summaries.values())
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "seconds": elapsed,
        "statements_per_batch": max(statements),
        "rows_deleted": deleted,
        "rows_anonymised": anonymised,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
    }


def child_sql(changed: dict, ids: list[int], batch: int) -> dict:
    """The same rows, by hand: per batch of subjects, one statement per table."""
    from django.db import connection, transaction

    # Which rows belong to which batch does not matter for the cost of a DELETE by key;
    # split each table's keys into as many chunks as the map had batches.
    n_batches = len(batches(ids, batch))
    order = [table for table, _pk, _model in _tables()]
    pk_column = {table: pk for table, pk, _model in _tables()}
    statements = 0
    rss_before = peak_rss_mb()
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        for index in range(n_batches):
            for table in order:
                for kind in ("update", "delete"):
                    keys = changed[kind].get(table, [])
                    part = keys[index::n_batches]
                    if not part:
                        continue
                    column = pk_column[table]
                    if kind == "update":
                        # The anonymising UPDATE of orders in the books (subjects/privacy.py).
                        cursor.execute(
                            f"UPDATE \"{table}\" SET subject_id = NULL, delivery_street = '', "  # noqa: S608
                            f"delivery_postal_code = '', delivery_city = '', "
                            f"payment_card_last4 = '', anonymised_at = %s "
                            f'WHERE "{column}" = ANY(%s)',
                            [NOW_ISO, part],
                        )
                    else:
                        cursor.execute(
                            f'DELETE FROM "{table}" WHERE "{column}" = ANY(%s)',  # noqa: S608
                            [part],
                        )
                    statements += 1
        deletions = time.perf_counter() - started
        receipts = changed["receipts"]
        for index in range(n_batches):
            part = receipts[index::n_batches]
            cursor.execute(
                "INSERT INTO subjects_deletionreceipt (subject_hash, summary, subject_deleted, "
                "rows_kept, cause, cause_reference, purposes, erased_at) "
                "SELECT r.subject_hash, r.summary, r.subject_deleted, r.rows_kept, "
                "'inactivity', 'bench', NULL, %s FROM jsonb_to_recordset(%s::jsonb) AS r("
                "subject_hash varchar, summary jsonb, subject_deleted boolean, rows_kept integer)",
                [NOW_ISO, json.dumps(part)],
            )
            statements += 1
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "seconds": elapsed,
        "deletions_seconds": deletions,
        "statements_per_batch": -(-statements // n_batches),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
    }


def one_heavy_subject(events: int) -> dict:
    from datamap import subject_create
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from subjects.services import ErasureCause, subject_erase

    with transaction.atomic():
        subject = subject_create(events)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            summary = subject_erase(subject=subject, cause=ErasureCause("rights_request", "bench"))
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": elapsed, "statements": len(queries), "rows_deleted": summary.rows_deleted}


def run_child(mode: str, payload: Path) -> dict:
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(HERE), "--child", mode, "--payload", str(payload)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--erase", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--child", choices=["map", "sql"])
    parser.add_argument("--payload", type=Path)
    args = parser.parse_args()
    database = django_setup()

    if args.child:
        payload = json.loads(args.payload.read_text())
        if args.child == "map":
            result = child_map(payload["ids"], payload["batch"])
        else:
            result = child_sql(payload["changed"], payload["ids"], payload["batch"])
        print(json.dumps(result))
        return

    from django.core.management import call_command
    from django.db import connection

    from subjects.models import DataSubject

    held = DataSubject.objects.count()
    if held < args.subjects:
        print(f"seeding {args.subjects - held:,} subjects (seed_demo)…", flush=True)
        call_command("seed_demo", subjects=args.subjects - held, allow_non_demo_data=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ids = chosen_subjects(args.erase)
    changed = capture(ids, args.batch)
    payload = HERE.parent / ".erase-payload.json"
    payload.write_text(json.dumps({"ids": ids, "batch": args.batch, "changed": changed}))
    try:
        by_map = run_child("map", payload)
        by_sql = run_child("sql", payload)
    finally:
        payload.unlink()
    heavy = one_heavy_subject(args.events)

    same_rows = sum(len(v) for v in changed["delete"].values())
    ratio = by_map["seconds"] / by_sql["seconds"]
    ratio_deletions = by_map["seconds"] / by_sql["deletions_seconds"]
    print(f"erase on {database}: {DataSubject.objects.count():,} subjects held")
    print(
        f"  {len(ids):,} subjects erased in batches of {args.batch:,}: "
        f"{by_map['rows_deleted']:,} rows deleted, {by_map['rows_anonymised']:,} anonymised "
        f"(the same {same_rows:,} deletions and {len(changed['receipts']):,} receipts "
        "for the SQL floor)"
    )
    for name, figures in (("data map (subjects_erase)", by_map), ("hand-written SQL", by_sql)):
        print(
            f"  {name:<28} {figures['seconds']:>7.2f} s  "
            f"{figures['seconds'] / len(ids) * 1000:>6.3f} ms/subject  "
            f"{figures['statements_per_batch']:>4} statements/batch  "
            f"peak RSS {figures['peak_rss_mb']:.0f} MB"
        )
    print(
        f"  hand-written SQL, deletions and anonymising only: {by_sql['deletions_seconds']:.2f} s"
    )
    print(
        f"  ratio map/SQL: {ratio:.2f} against deletions and receipts (target <= 3), "
        f"{ratio_deletions:.2f} against the deletions alone"
    )
    print(
        f"  one subject with {args.events:,} browsing events: "
        f"{heavy['seconds'] * 1000:.1f} ms, {heavy['statements']} statements, "
        f"{heavy['rows_deleted']:,} rows deleted"
    )
    print(
        json.dumps(
            {
                "subjects_held": DataSubject.objects.count(),
                "subjects_erased": len(ids),
                "batch": args.batch,
                "map_seconds": round(by_map["seconds"], 3),
                "sql_seconds": round(by_sql["seconds"], 3),
                "ratio": round(ratio, 2),
                "ratio_deletions_only": round(ratio_deletions, 2),
                "sql_deletions_seconds": round(by_sql["deletions_seconds"], 3),
                "map_ms_per_subject": round(by_map["seconds"] / len(ids) * 1000, 3),
                "map_statements_per_batch": by_map["statements_per_batch"],
                "sql_statements_per_batch": by_sql["statements_per_batch"],
                "map_peak_rss_mb": round(by_map["peak_rss_mb"]),
                "heavy_subject_ms": round(heavy["seconds"] * 1000, 1),
                "heavy_subject_statements": heavy["statements"],
            }
        )
    )


if __name__ == "__main__":
    main()
