"""Set-up shared by the benchmark scripts: Django, and the guard that keeps them off real data."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A script run as `python bench/<name>.py` has bench/ first on the import path, where
# bench/queue.py (its name is the issue's) would shadow the standard library's `queue`, which
# Django imports (asgiref's executor): bench/ goes after the standard library instead, still
# there for the scripts' own helpers (`from datamap import subject_create`).
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _BENCH]
sys.path.append(str(_BENCH))


def django_setup() -> str:
    """Set up Django from the repository root; refuse any database not named for benchmarks.

    Returns a description of the database, e.g. "postgresql database velux_bench".
    """
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velux_privacy.settings")
    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if not os.environ.get("DATABASE_URL") or "bench" not in Path(name).name:
        sys.exit(
            "Refusing to run: DATABASE_URL must point at a database whose name contains "
            f"'bench' (this one is {Path(name).name!r}). The benchmarks write and delete data."
        )
    return f"{connection.vendor} database {Path(name).name}"
