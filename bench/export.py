"""The access export of a heavy subject, streamed, against psycopg's COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/export.py [--events 100000]

Creates (once; kept for later runs) one subject with --events browsing events and a few rows
in other categories, then, each in a fresh child process so its peak RSS is its own:
1. `subjects.exports.subject_export_write`, in a warm worker (`warm_up`): the ZIP of JSON
   and CSV per category and the Art. 15 summary, written to private storage;
2. the same export as an access request's execution does it (`dsr_requests.exports.
   export_build`: the ZIP, its SHA-256 read back from storage, the `RequestExport` recorded);
3. the floor: the same browsing rows streamed by psycopg's `COPY (SELECT …) TO STDOUT` into a
   file.
Each is run --runs times, the three interleaved. Prints the medians of time, peak RSS and size
of both and the ratio (target <= 3, RSS < 150 MB), then one JSON
line.
"""

import sys
from pathlib import Path

# Python puts this script's folder first on the path, where bench/queue.py would shadow the
# standard library's queue (which Django needs): the folder goes last instead.
HERE = Path(__file__).resolve()
if sys.path and Path(sys.path[0]).resolve() == HERE.parent:
    sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from common import django_setup  # noqa: E402

MARK = "bench.export"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux keeps
    that across exec, so a child started by the parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def subject_ensure(events: int):
    from datetime import timedelta

    from django.utils import timezone

    from subjects.models import BrowsingEvent, ContactRequest, DataSubject, Order

    email = f"{MARK}.{events}@demo.example"
    subject = DataSubject.objects.filter(email=email).first()
    if subject is not None:
        return subject
    now = timezone.now()
    subject = DataSubject.objects.create(
        email=email, first_name="Lotte", last_name="Peeters", city="Antwerpen"
    )
    BrowsingEvent.objects.bulk_create(
        (
            BrowsingEvent(
                subject=subject,
                occurred_at=now - timedelta(minutes=n * 7),
                event_type=BrowsingEvent.EventType.PAGE_VIEW,
                path=f"/nl-be/producten/dakramen/{n % 500}?utm_source=newsletter",
            )
            for n in range(events)
        ),
        batch_size=5000,
    )
    Order.objects.create(subject=subject, number=f"BENCH-{events}", total_amount=649)
    ContactRequest.objects.create(subject=subject, channel="web_form", kind="quote", message="x")
    return subject


def warm_up() -> None:
    """What a worker does once, at its first export, and this does not measure: load the
    template engine and the catalogue of the language, compile the statements of the map
    (`subjects.compiled`). An export of a person with one row does all of it."""
    from django.core.files.storage import default_storage

    from subjects.exports import subject_export_write
    from subjects.models import DataSubject

    someone, _created = DataSubject.objects.get_or_create(
        email=f"{MARK}.warm-up@demo.example", defaults={"first_name": "Jan"}
    )
    for portability in (False, True):
        manifest = subject_export_write(
            subject=someone,
            storage_name="bench/warm-up.zip",
            language="nl",
            portability=portability,
        )
        default_storage.delete(manifest.storage_name)


def child_export(subject_id: int) -> dict:
    from django.core.files.storage import default_storage

    from subjects.exports import subject_export_write
    from subjects.models import DataSubject

    subject = DataSubject.objects.get(pk=subject_id)
    warm_up()
    before = peak_rss_mb()
    started = time.perf_counter()
    manifest = subject_export_write(subject=subject, storage_name="bench/export.zip", language="nl")
    elapsed = time.perf_counter() - started
    default_storage.delete(manifest.storage_name)
    return {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "bytes": manifest.size,
        "rows": manifest.rows,
    }


def request_ensure(subject):
    from django.utils import timezone

    from dsr_requests.models import RightsRequest, reference_generate
    from dsr_requests.workflow import Kind, State
    from velux_privacy.calendar import local_date

    found = RightsRequest.objects.filter(subject=subject, kind=Kind.ACCESS).first()
    if found is not None:
        return found
    now = timezone.now()
    return RightsRequest.objects.create(
        reference=reference_generate(now.year),
        kind=Kind.ACCESS,
        state=State.IN_PROGRESS,
        channel=RightsRequest.Channel.WEB,
        language="nl",
        subject=subject,
        email=subject.email,
        received_at=now,
        received_on=local_date(now),
    )


def child_request(subject_id: int) -> dict:
    from django.core.files.storage import default_storage

    from dsr_requests.exports import export_build
    from dsr_requests.models import RequestExport
    from subjects.models import DataSubject

    rights_request = request_ensure(DataSubject.objects.get(pk=subject_id))
    warm_up()
    before = peak_rss_mb()
    started = time.perf_counter()
    result = export_build(rights_request_id=rights_request.pk)
    elapsed = time.perf_counter() - started
    default_storage.delete(RequestExport.objects.get(pk=result["export"]).file.name)
    return {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "bytes": result["size"],
        "rows": result["rows"],
    }


def child_copy(subject_id: int) -> dict:
    from django.db import connection

    before = peak_rss_mb()
    with tempfile.NamedTemporaryFile() as target, connection.cursor() as cursor:
        started = time.perf_counter()
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            "COPY (SELECT occurred_at, event_type, path FROM subjects_browsingevent "
            "WHERE subject_id = %s ORDER BY occurred_at DESC) TO STDOUT WITH CSV HEADER",
            [subject_id],
        ) as copy:
            for chunk in copy:
                target.write(chunk)
        target.flush()
        elapsed = time.perf_counter() - started
        size = Path(target.name).stat().st_size
    return {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "bytes": size,
    }


def run_child(mode: str, subject_id: int) -> dict:
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(HERE), "--child", mode, "--subject", str(subject_id)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=["export", "request", "copy"])
    parser.add_argument("--subject", type=int)
    args = parser.parse_args()
    database = django_setup()
    if args.child:
        child = {"export": child_export, "request": child_request, "copy": child_copy}
        result = child[args.child](args.subject)
        print(json.dumps(result))
        return

    import statistics

    subject = subject_ensure(args.events)
    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum keeps them on a real server (the local one may run
        # without it): otherwise the planner guesses a hundred rows and sorts on disk.
        cursor.execute("ANALYZE")
    # Interleaved, so that a slow spell of this shared machine falls on all three alike.
    exports, requests, copies = [], [], []
    for _ in range(args.runs):
        exports.append(run_child("export", subject.pk))
        requests.append(run_child("request", subject.pk))
        copies.append(run_child("copy", subject.pk))
    request_s = statistics.median(r["seconds"] for r in requests)
    request_rss = max(r["peak_rss_mb"] for r in requests)
    export_s = statistics.median(r["seconds"] for r in exports)
    copy_s = statistics.median(r["seconds"] for r in copies)
    ratio = export_s / copy_s
    rss = max(r["peak_rss_mb"] for r in exports)
    print(
        f"export on {database}: one subject, {args.events:,} browsing events, median of {args.runs}"
    )
    print(
        f"  subject_export_write (ZIP: JSON + CSV per category, summary)  {export_s:6.2f} s  "
        f"peak RSS {rss:.0f} MB (Django alone {exports[0]['rss_before_mb']:.0f} MB)  "
        f"{exports[0]['bytes'] / 1e6:.1f} MB, {exports[0]['rows']:,} rows"
    )
    print(
        f"  export_build (the same, SHA-256 and RequestExport recorded)     {request_s:6.2f} s  "
        f"peak RSS {request_rss:.0f} MB  ratio to COPY {request_s / copy_s:.2f}"
    )
    copy_rss = max(r["peak_rss_mb"] for r in copies)
    print(
        f"  COPY … TO STDOUT of the browsing rows into a file            {copy_s:6.2f} s  "
        f"peak RSS {copy_rss:.0f} MB  {copies[0]['bytes'] / 1e6:.1f} MB"
    )
    print(f"  ratio export/COPY: {ratio:.2f} (target <= 3); peak RSS {rss:.0f} MB (target < 150)")
    print(
        json.dumps(
            {
                "events": args.events,
                "export_seconds": round(export_s, 3),
                "request_export_seconds": round(request_s, 3),
                "request_export_peak_rss_mb": round(request_rss),
                "copy_seconds": round(copy_s, 3),
                "ratio": round(ratio, 2),
                "export_peak_rss_mb": round(rss),
                "export_bytes": exports[0]["bytes"],
            }
        )
    )


if __name__ == "__main__":
    main()
