"""How fast the data map serves one heavy subject: access, portability and erasure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/datamap.py [--events 10000] [--runs 3]

One subject with 10,000 browsing events and a handful of rows in every other category of the
subjects app. Each run recreates the data, then times `subject_data_collect` (full, then
provided_only) and `subject_erase`; the figures are medians over the runs. Run it on a
database seeded by bench/seed_demo.py for realistic table sizes; on PostgreSQL it runs ANALYZE
first, as autovacuum would on a live database.
"""

import argparse
import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from common import django_setup


def subject_create(events: int):
    """A subject with `events` browsing events and a few rows of each other kind, all of them
    erasable (closed, decided, released), so erasure runs to the deletion of the subject."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from subjects.models import (
        Application,
        BrowsingEvent,
        BusinessContact,
        ContactRequest,
        DataSubject,
        DeviceIdentifier,
        LegalHold,
        Order,
        OrderLine,
        SurveyResponse,
    )
    from velux_privacy.models import User

    now = timezone.now()
    token = uuid.uuid4().hex[:12]
    email = f"bench.datamap.{token}@demo.example"
    user = User.objects.create_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    subject = DataSubject.objects.create(
        email=email,
        first_name="Lotte",
        last_name="Peeters",
        phone="+32 470 12 34 56",
        street="Kerkstraat 1",
        postal_code="2000",
        city="Antwerpen",
        user=user,
        created_at=now - timedelta(days=900),
        last_activity_at=now - timedelta(days=1),
    )
    devices = DeviceIdentifier.objects.bulk_create(
        DeviceIdentifier(
            subject=subject,
            kind=DeviceIdentifier.Kind.COOKIE_ID,
            value=f"bench-{token}-{n}",
            first_seen_at=now - timedelta(days=900),
            last_seen_at=now - timedelta(days=1),
        )
        for n in range(3)
    )
    BrowsingEvent.objects.bulk_create(
        (
            BrowsingEvent(
                subject=subject,
                device=devices[n % len(devices)],
                occurred_at=now - timedelta(minutes=n * 90),
                event_type=BrowsingEvent.EventType.PAGE_VIEW,
                path=f"/nl-be/producten/dakramen?page={n % 40}",
            )
            for n in range(events)
        ),
        batch_size=5_000,
    )
    for n in range(3):
        BusinessContact.objects.create(
            subject=subject,
            relationship=BusinessContact.Relationship.SUPPLIER,
            company_name=f"Houthandel {n} BV",
            contract_start=(now - timedelta(days=800)).date(),
            contract_end=(now - timedelta(days=100)).date(),
        )
        ContactRequest.objects.create(
            subject=subject,
            channel=ContactRequest.Channel.WEB_FORM,
            kind=ContactRequest.Kind.QUOTE,
            message="Graag een offerte voor twee dakramen.",
            status=ContactRequest.Status.CLOSED,
        )
        # One order beyond the accounting period (deleted), two within it (anonymised).
        placed_at = now - timedelta(days=[3_000, 400, 200][n])
        order = Order.objects.create(
            subject=subject,
            number=f"BENCH-{token}-{n}",
            placed_at=placed_at,
            status=Order.Status.CLOSED,
            total_amount=Decimal("588.00"),
            delivery_street="Kerkstraat 1",
            delivery_postal_code="2000",
            delivery_city="Antwerpen",
            payment_card_brand=Order.CardBrand.BANCONTACT,
            payment_card_last4="4242",
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product_code=code,
                description="Tuimelvenster",
                unit_price=Decimal("469.00"),
            )
            for code in ("GGL MK06 2070", "EDW MK06 0000")
        )
        SurveyResponse.objects.create(
            subject=subject,
            survey=SurveyResponse.Survey.FIND_INSTALLER,
            installer_name="Dakwerken Janssens",
            rating=4,
            answers={"punctuality": 5},
        )
    Application.objects.create(
        subject=subject,
        kind=Application.Kind.JOB,
        position="Technisch adviseur",
        status=Application.Status.REJECTED,
    )
    LegalHold.objects.create(
        subject=subject,
        legal_reference="Art. 315 WIB 92",
        reason="Fiscale controle",
        placed_at=now - timedelta(days=300),
        released_at=now - timedelta(days=30),
    )
    return subject


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    database = django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subjects.selectors import subject_data_collect
    from subjects.services import ErasureCause, subject_erase

    def timed(function, **arguments):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = function(**arguments)
            elapsed = time.perf_counter() - started
        return result, elapsed, len(queries)

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them on a live database: right after a bulk
        # load the planner may otherwise pick sequential scans over the big tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    figures: dict[str, list[tuple[float, int, str]]] = {"full": [], "provided": [], "erase": []}
    for _run in range(args.runs):
        subject = subject_create(args.events)
        for name, provided_only in (("full", False), ("provided", True)):
            data, elapsed, queries = timed(
                subject_data_collect, subject=subject, provided_only=provided_only
            )
            rows = sum(len(category.rows) for category in data.categories)
            detail = f"{len(data.categories)} categories, {rows:,} rows"
            figures[name].append((elapsed, queries, detail))
        summary, elapsed, queries = timed(
            subject_erase, subject=subject, cause=ErasureCause("rights_request", "BENCH")
        )
        detail = (
            f"{summary.rows_deleted:,} deleted, {summary.rows_anonymised:,} anonymised, "
            f"{summary.rows_kept:,} kept, subject deleted: {summary.subject_deleted}"
        )
        figures["erase"].append((elapsed, queries, detail))

    print(
        f"datamap on {database}: 1 subject, {args.events:,} browsing events, "
        f"median of {args.runs} runs (data recreated each run)"
        + (", after ANALYZE" if connection.vendor == "postgresql" else "")
    )
    labels = {
        "full": "subject_data_collect (full)",
        "provided": "subject_data_collect (provided_only)",
        "erase": "subject_erase",
    }
    for name, runs in figures.items():
        seconds = [elapsed for elapsed, _queries, _detail in runs]
        runs_text = ", ".join(f"{s * 1000:.0f}" for s in seconds)
        _elapsed, queries, detail = runs[-1]
        print(
            f"  {labels[name]:<38} {statistics.median(seconds) * 1000:>8.1f} ms "
            f"(runs {runs_text} ms)  {queries} queries  {detail}"
        )


if __name__ == "__main__":
    main()
