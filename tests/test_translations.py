"""Every customer-facing page and e-mail exists in nl, fr, de and en (POLICY.md).

The source strings are English; nl, fr and de must translate every one of them. The check
extracts the strings afresh with `makemessages` and compares with GNU gettext's `msgcmp`, so a
new string without a translation fails the suite. Needs GNU gettext (CI has it).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ["nl", "fr", "de"]

needs_gettext = pytest.mark.skipif(
    shutil.which("msgcmp") is None or shutil.which("xgettext") is None,
    reason="needs GNU gettext (msgcmp, xgettext)",
)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A copy of the tracked sources with freshly extracted catalogs."""
    copy = tmp_path_factory.mktemp("messages")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if name.endswith((".py", ".html", ".txt")) and not name.startswith("locale/"):
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location", "-v", "0"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PYTHONPATH": str(copy)},
    )
    return copy / "locale" / "en" / "LC_MESSAGES" / "django.po"


@needs_gettext
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated(extracted, language):
    catalog = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"

    result = subprocess.run(
        ["msgcmp", str(catalog), str(extracted)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]


@needs_gettext
@pytest.mark.parametrize("language", [*TRANSLATED, "en"])
def test_the_compiled_catalog_matches_its_source(tmp_path, language):
    source = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"

    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(source)],  # noqa: S607
        check=True,
        capture_output=True,
    )

    assert compiled.read_bytes() == source.with_suffix(".mo").read_bytes()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "Uw persoonsgegevens"), ("fr", "Vos données"), ("de", "Ihre personenbezogenen")],
)
def test_the_home_page_speaks_the_chosen_language(client, db, language, expected):
    response = client.get(f"/{language}/")

    assert response.status_code == 200
    assert expected in response.content.decode()
    translation.activate("en")
