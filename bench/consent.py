"""How fast the consent ledger records changes, and what one "may VELUX contact" decision
costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/consent.py [--changes 10000] [--subjects 500] [--lookups 1000]

1. `--changes` consent changes (gives and withdrawals that each change something, over
   `--subjects` people and three consents) through `consent_give` / `consent_withdraw`, each in
   its own transaction as the pages and the API make them: the lock on the person, the state
   row, the ledger entry, the unsubscribe clock. Against the floor in the same run: the same
   number of bare ledger INSERTs, one transaction each (what appending a row costs at least).
2. `consent_contact_decision` for a newsletter: its query count and the median time of
   `--lookups` decisions.

Prints the figures, then one JSON line.
"""

import argparse
import json
import statistics
import time
import uuid

from common import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--lookups", type=int, default=1_000)
    args = parser.parse_args()
    database = django_setup()

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from consent.models import ConsentEvent, ConsentPurpose, ConsentPurposeVersion, Newsletter
    from consent.selectors import consent_contact_decision, policy_version_in_force
    from consent.services import consent_give, consent_withdraw, newsletter_subscribe
    from subjects.models import DataSubject
    from subjects.services import subject_hash

    token = uuid.uuid4().hex[:10]
    subjects = DataSubject.objects.bulk_create(
        DataSubject(email=f"bench.consent.{token}.{n}@demo.example") for n in range(args.subjects)
    )
    codes = ["email_marketing", "phone_marketing", "analytics_cookies"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # 1. The services. Each change flips one consent of one person: every call records.
    given: dict[tuple[int, str], bool] = {}
    started = time.perf_counter()
    for n in range(args.changes):
        subject = subjects[n % len(subjects)]
        code = codes[(n // len(subjects)) % len(codes)]
        key = (subject.pk, code)
        change = consent_withdraw if given.get(key) else consent_give
        event = change(subject=subject, purpose=code, channel="api")
        if not event.recorded:
            raise SystemExit(f"change {n} recorded nothing: the benchmark is wrong")
        given[key] = not given.get(key)
    service_seconds = time.perf_counter() - started

    # The floor: bare INSERTs of ledger rows, one transaction each.
    purpose = ConsentPurpose.objects.get(code="email_marketing")
    version = ConsentPurposeVersion.objects.get(purpose=purpose, number=purpose.version)
    policy = policy_version_in_force()
    hashes = {s.pk: subject_hash(s.email) for s in subjects}
    started = time.perf_counter()
    for n in range(args.changes):
        subject = subjects[n % len(subjects)]
        with transaction.atomic():
            ConsentEvent(
                subject=subject,
                subject_hash=hashes[subject.pk],
                purpose=purpose,
                purpose_version=version,
                action="given",
                channel="api",
                policy_version=policy,
                actor_kind="system",
                recorded_at=timezone.now(),
            ).save()
    floor_seconds = time.perf_counter() - started

    # 2. One decision.
    newsletter = Newsletter.objects.select_related("purpose").get(code="offers")
    person = subjects[0]
    newsletter_subscribe(subject=person, newsletter=newsletter, channel="api")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        decision = consent_contact_decision(
            subject=person, purpose=newsletter.purpose, newsletter=newsletter
        )
    if not decision.allowed:
        raise SystemExit(f"the decision says {decision.reason}: the benchmark is wrong")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as change_queries:
        consent_give(subject=subjects[1], purpose="social_networks", channel="api")
    timings = []
    for _ in range(args.lookups):
        started = time.perf_counter()
        consent_contact_decision(subject=person, purpose=newsletter.purpose, newsletter=newsletter)
        timings.append(time.perf_counter() - started)
    lookup_ms = statistics.median(timings) * 1000

    ratio = service_seconds / floor_seconds
    print(f"consent on {database}: {args.changes:,} changes over {args.subjects:,} subjects")
    print(
        f"  consent_give/consent_withdraw   {service_seconds:8.2f} s "
        f"({args.changes / service_seconds:,.0f} changes/s, "
        f"{service_seconds / args.changes * 1000:.2f} ms each)"
    )
    print(
        f"  floor: bare ledger INSERTs      {floor_seconds:8.2f} s "
        f"({args.changes / floor_seconds:,.0f} rows/s)   ratio {ratio:.2f}"
    )
    print(
        f"  consent_contact_decision         {lookup_ms:8.3f} ms median of {args.lookups:,}, "
        f"{len(queries)} queries"
    )
    print(f"  one consent_give                 {len(change_queries)} queries with its transaction")
    print(
        json.dumps(
            {
                "benchmark": "consent",
                "database": connection.vendor,
                "changes": args.changes,
                "service_seconds": round(service_seconds, 3),
                "floor_seconds": round(floor_seconds, 3),
                "ratio_to_floor": round(ratio, 2),
                "change_queries": len(change_queries),
                "decision_queries": len(queries),
                "decision_median_ms": round(lookup_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
