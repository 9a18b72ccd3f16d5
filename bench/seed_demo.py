"""How fast seed_demo fills a database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/velux_bench \
        .venv/bin/python bench/seed_demo.py [--subjects 100000]

Rows per second are per model over the whole run (the models are written batch by batch,
interleaved). Target: 100,000 subjects in under 3 minutes on PostgreSQL.
"""

import argparse
import io
import time

from common import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="seed_demo's default if not given")
    args = parser.parse_args()
    database = django_setup()

    from django.core.management import call_command

    from subjects.management.commands.seed_demo import INSERT_ORDER

    def counts() -> dict:
        return {model: model._default_manager.count() for model in INSERT_ORDER}

    options = {"subjects": args.subjects}
    if args.seed is not None:
        options["seed"] = args.seed
    before = counts()
    output = io.StringIO()
    started = time.perf_counter()
    call_command("seed_demo", stdout=output, **options)
    elapsed = time.perf_counter() - started
    after = counts()

    print(f"seed_demo --subjects {args.subjects} on {database}: {elapsed:.1f} s")
    print(f"  command: {output.getvalue().splitlines()[0]}")
    total = 0
    for model in INSERT_ORDER:
        rows = after[model] - before[model]
        total += rows
        print(f"  {model._meta.label:<28} {rows:>10,} rows {rows / elapsed:>12,.0f} rows/s")
    print(f"  {'all models':<28} {total:>10,} rows {total / elapsed:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
