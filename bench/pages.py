"""How fast the privacy centre's pages answer under load, against a bare Django view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/pages.py [--clients 20] [--requests 600] [--events 10000]

Starts gunicorn (production settings: DEBUG off, static files collected, persistent database
connections) on PostgreSQL, with one signed-in customer whose data subject has 10,000
browsing events and a few rows in every other category, among --population other people
(seed_demo adds them once if the database holds fewer: 10,000 by default), one in ten of whom
has filed two requests of their own (seed_demo files none). On a database of one person
PostgreSQL plans every query for tables of one person: that hid plans that read whole tables
once others are there, and makes others that serve a live database look slow. 20 concurrent
clients (an asyncio
client on httpx, each sending its next request as soon as the last one is answered) then ask
for, in turns:

- the bare view: a view that returns a word, through the same gunicorn and the same
  middleware (session, login, locale, CSRF, CSP), the floor each page is measured against;
- the home page (/nl/);
- "my data" (/nl/my-data/) of that customer, signed in;
- "my requests" (/nl/requests/) of that customer, who has --rights-requests requests (every
  kind, open and closed, each with its trail and e-mails), and the page of one of them
  (/nl/requests/<reference>/: its timeline and the messages both ways).

Printed: p50, p95 and p99 latency and throughput of each, the ratio of each page's p95 to the
bare view's p95 in the same run, the targets (p95 < 150 ms, within 3x the bare view), and
last one JSON line. The client runs on the same machine as gunicorn and takes part of its
processors: the ratio, measured the same way for all, is the robust figure. The CPU time each
request cost the client, gunicorn's workers and PostgreSQL (read from /proc) is printed too:
the page's own cost, without the queueing that 20 closed-loop clients add to its latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, django_setup  # bench/ after the standard library (bench/common.py)

TARGET_P95_MS = 150
TARGET_RATIO = 3.0


def _session_for(user) -> str:
    """A signed-in session for `user` (what a sign-in leaves), without going through the
    sign-in form and its rate limits."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _rights_requests_create(subject, count: int):
    """`count` requests of `subject`, of every kind, most closed, each with the audit trail,
    messages and e-mails a handled request has; the newest one awaits the person's answer.
    Written directly (a benchmark's seed), with the clock's facts the services would store."""
    from datetime import timedelta

    from django.utils import timezone

    from dsr_requests.models import (
        AuditAction,
        AuditEvent,
        NotificationSend,
        RequestMessage,
        RequestPause,
        RightsRequest,
        due_on_compute,
        reference_generate,
    )
    from dsr_requests.workflow import Kind, State
    from velux_privacy.calendar import local_date

    kinds = [k for k in Kind.values if k != Kind.COMPLAINT] + [Kind.COMPLAINT]
    now = timezone.now()
    made = []
    for index in range(count):
        received_at = now - timedelta(days=30 * (count - index))
        newest = index == count - 1
        state = State.AWAITING_SUBJECT if newest else State.COMPLETED
        received_on = local_date(received_at)
        rights_request = RightsRequest.objects.create(
            reference=reference_generate(received_on.year),
            kind=kinds[index % len(kinds)],
            state=state,
            channel=RightsRequest.Channel.WEB,
            language="nl",
            subject=subject,
            email=subject.email,
            name="Lotte Peeters",
            details="Bench request.",
            received_at=received_at,
            received_on=received_on,
            due_on=due_on_compute(
                received_on=received_on, pauses=[], extension_months=0, today=local_date(now)
            ),
            identity_method=RightsRequest.IdentityMethod.SIGNED_IN,
            identity_verified_at=received_at,
            closed_at=None if newest else received_at + timedelta(days=10),
            closed_on=None if newest else received_on + timedelta(days=10),
        )
        steps = [
            (AuditAction.RECEIVED, State.UNCONFIRMED, State.RECEIVED),
            (AuditAction.IDENTITY_VERIFIED, State.RECEIVED, State.VERIFIED),
            (AuditAction.INFORMATION_REQUESTED, State.VERIFIED, State.AWAITING_SUBJECT),
        ]
        if not newest:
            steps += [
                (AuditAction.ANSWER_RECEIVED, State.AWAITING_SUBJECT, State.VERIFIED),
                (AuditAction.COMPLETED, State.VERIFIED, State.COMPLETED),
            ]
        AuditEvent.objects.bulk_create(
            AuditEvent(
                rights_request=rights_request,
                reference=rights_request.reference,
                action=action,
                actor_kind=AuditEvent.ActorKind.PERSON,
                at=received_at + timedelta(hours=step),
                from_state=before,
                to_state=after,
                details={"channel": "web"} if action == AuditAction.RECEIVED else {},
            )
            for step, (action, before, after) in enumerate(steps)
        )
        RequestMessage.objects.bulk_create(
            [
                RequestMessage(
                    rights_request=rights_request,
                    kind=RequestMessage.Kind.TO_PERSON,
                    body="Welk adres moeten wij verbeteren?",
                    created_at=received_at + timedelta(hours=2),
                ),
                RequestMessage(
                    rights_request=rights_request,
                    kind=RequestMessage.Kind.FROM_PERSON,
                    body="Het leveringsadres.",
                    created_at=received_at + timedelta(hours=3),
                ),
            ][: 1 if newest else 2]
        )
        NotificationSend.objects.bulk_create(
            NotificationSend(
                rights_request=rights_request,
                kind=kind,
                status=NotificationSend.Status.SENT,
                created_at=received_at,
                sent_at=received_at,
            )
            for kind in (NotificationSend.Kind.ACKNOWLEDGEMENT, NotificationSend.Kind.COMPLETION)
        )
        if newest:
            RequestPause.objects.create(
                rights_request=rights_request,
                reason=RequestPause.Reason.CLARIFICATION,
                started_at=received_at + timedelta(hours=2),
                resume_state=State.VERIFIED,
            )
        made.append(rights_request)
    return made


def _server_environment(static_root: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        {
            # bench.pages_settings, not a path to bench/ (its queue.py would shadow stdlib's).
            "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
            "PYTHONPATH": str(ROOT),
            "BENCH_STATIC_ROOT": str(static_root),
            "DEBUG": "false",
            # Plain http on the loopback: no redirect to https, cookies without Secure.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    return environment


def _start_gunicorn(environment: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=environment,
        check=True,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "velux_privacy.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=environment,
        cwd=ROOT,
        start_new_session=True,
    )
    return server


async def _wait_until_up(base: str, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


async def _load(
    base: str, path: str, *, cookies: dict, clients: int, requests: int, marker: str
) -> tuple[list[float], float]:
    """`requests` GETs of `path` by `clients` concurrent clients; the latencies (seconds) of
    each and the wall time. Every answer must be a 200 that contains `marker`."""
    import httpx

    remaining = requests
    latencies: list[float] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or marker not in response.text:
                raise SystemExit(f"{path} answered {response.status_code} without {marker!r}")

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - started
    return latencies, wall


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of `pids` so far (/proc/<pid>/stat), those gone counting 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the name's ")")
    return total / _TICK


def _processes(*, parent: int | None = None, name: str | None = None) -> list[int]:
    """The processes whose parent is `parent` (gunicorn's workers), or named `name`
    (PostgreSQL's backends, when the server runs on this machine)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if (parent is not None and int(rest.split()[1]) == parent) or command == name:
            found.append(int(entry.name))
    return found


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=600, help="per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="turns of bare, home, my data")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rights-requests", type=int, default=12)
    parser.add_argument(
        "--population", type=int, default=10_000, help="other people in the database (seed_demo)"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8377)
    args = parser.parse_args()
    # The server signs sessions with the same key as this process, which makes the session.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("RECEIPT_HASH_KEY", "bench-only-receipt-key")
    database = django_setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from datamap import subject_create
    from django.core.management import call_command
    from django.db import connection

    from subjects.models import DataSubject
    from subjects.services import ErasureCause, subject_erase

    held = DataSubject.objects.count()
    if held < args.population:
        print(f"seeding {args.population - held:,} people (seed_demo)…", flush=True)
        call_command(
            "seed_demo", subjects=args.population - held, allow_non_demo_data=True, verbosity=0
        )
    population = DataSubject.objects.count()
    requesters = DataSubject.objects.filter(rights_requests__isnull=False).distinct().count()
    if requesters < args.population // 10:
        wanted = args.population // 10 - requesters
        print(f"filing two requests each for {wanted:,} of them…", flush=True)
        for person in DataSubject.objects.filter(rights_requests__isnull=True)[:wanted]:
            _rights_requests_create(person, 2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    subject = subject_create(args.events)
    followed = _rights_requests_create(subject, args.rights_requests)[-1]
    cookies = {"sessionid": _session_for(subject.user), "django_language": "nl"}
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load on a real server (the local one may run
        # without it): fresh statistics, and a visibility map, without which counting the
        # 10,000 events reads every one of their rows from the table.
        cursor.execute("VACUUM ANALYZE")
    connection.close()  # gunicorn's workers open their own

    static_root = Path(tempfile.mkdtemp(prefix="velux-bench-static-"))
    environment = _server_environment(static_root)
    server = _start_gunicorn(environment, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    targets = {
        "bare view": ("/bench/bare/", "bare"),
        "home page": ("/nl/", "Uw persoonsgegevens"),
        "my data": ("/nl/my-data/", "Surfgeschiedenis"),
        "my requests": ("/nl/requests/", followed.reference),
        "one request": (f"/nl/requests/{followed.reference}/", "Welk adres moeten wij"),
    }
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    walls: dict[str, float] = dict.fromkeys(targets, 0.0)
    # CPU seconds per page: this process (the client), gunicorn's workers, PostgreSQL's
    # processes: what each page costs, whatever the queueing its latency also holds.
    spent: dict[str, list[float]] = {name: [0.0, 0.0, 0.0] for name in targets}
    try:
        asyncio.run(_wait_until_up(base))
        per_round = max(1, args.requests // args.rounds)
        for path, marker in targets.values():  # warm every worker up
            asyncio.run(
                _load(
                    base,
                    path,
                    cookies=cookies,
                    clients=args.clients,
                    requests=4 * args.workers,
                    marker=marker,
                )
            )
        workers = _processes(parent=server.pid)
        postgres = _processes(name="postgres")
        for _round in range(args.rounds):
            for name, (path, marker) in targets.items():
                before = (time.process_time(), _cpu_seconds(workers), _cpu_seconds(postgres))
                measured, wall = asyncio.run(
                    _load(
                        base,
                        path,
                        cookies=cookies,
                        clients=args.clients,
                        requests=per_round,
                        marker=marker,
                    )
                )
                after = (time.process_time(), _cpu_seconds(workers), _cpu_seconds(postgres))
                for index, (start, end) in enumerate(zip(before, after, strict=True)):
                    spent[name][index] += end - start
                latencies[name] += measured
                walls[name] += wall
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
        # The bench's open request would hold the subject: closed first, then all erased.
        subject.rights_requests.update(state="withdrawn")
        subject_erase(subject=subject, cause=ErasureCause(kind="rights_request", reference="bench"))

    bare_p95 = _percentile(latencies["bare view"], 95)
    figures = {}
    print(
        f"pages on {database}: gunicorn, {args.workers} sync workers, {args.clients} concurrent "
        f"clients, {args.requests} requests per page in {args.rounds} rounds; my data of one "
        f"subject with {args.events:,} browsing events among {population:,} people; my requests "
        f"of one with {args.rights_requests} requests ({os.cpu_count()} processors, shared with "
        "the client)"
    )
    print(
        f"  {'':<11} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'p95/bare':>9}"
        f"   CPU ms per request: {'client':>6} {'server':>6} {'PG':>5}"
    )
    for name, measured in latencies.items():
        p50, p95, p99 = (_percentile(measured, p) * 1000 for p in (50, 95, 99))
        ratio = (p95 / 1000) / bare_p95
        throughput = len(measured) / walls[name]
        client, server_cpu, database_cpu = (1000 * t / len(measured) for t in spent[name])
        figures[name] = {
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(p99, 1),
            "requests_per_second": round(throughput, 1),
            "p95_ratio_to_bare": round(ratio, 2),
            "median_ms": round(statistics.median(measured) * 1000, 1),
            "cpu_ms_per_request": {
                "client": round(client, 2),
                "server": round(server_cpu, 2),
                "postgresql": round(database_cpu, 2),
            },
        }
        print(
            f"  {name:<11} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {throughput:>8.1f} {ratio:>8.2f}x"
            f"   {'':>18} {client:>6.2f} {server_cpu:>6.2f} {database_cpu:>5.2f}"
        )
    verdicts = {}
    for name in ("home page", "my data", "my requests", "one request"):
        p95 = figures[name]["p95_ms"]
        ratio = figures[name]["p95_ratio_to_bare"]
        verdicts[name] = {
            "p95_under_150_ms": p95 < TARGET_P95_MS,
            "within_3x_bare": ratio <= TARGET_RATIO,
        }
        print(
            f"  {name}: p95 {p95:.0f} ms {'<' if p95 < TARGET_P95_MS else '>='} "
            f"{TARGET_P95_MS} ms; {ratio:.2f}x the bare view "
            f"({'within' if ratio <= TARGET_RATIO else 'beyond'} {TARGET_RATIO:.0f}x)"
        )
    print(
        json.dumps(
            {
                "benchmark": "pages",
                "database": database,
                "workers": args.workers,
                "clients": args.clients,
                "requests_per_page": args.requests,
                "events": args.events,
                "population": population,
                "rights_requests": args.rights_requests,
                "pages": figures,
                "targets": {"p95_ms": TARGET_P95_MS, "ratio_to_bare": TARGET_RATIO},
                "verdicts": verdicts,
            }
        )
    )


if __name__ == "__main__":
    main()
