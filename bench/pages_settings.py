"""Settings of the gunicorn that bench/pages.py starts: the project's own, with a URLconf that
adds a bare view (bench/pages_urls.py) and static files collected to a temporary directory.
Nothing of this is imported by the project."""

import os
from pathlib import Path

from velux_privacy.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pages_urls"
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
