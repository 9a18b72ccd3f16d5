"""End-to-end tests: Debian's Chromium, driven by Playwright, against pytest-django's
live_server. Skipped, with the reason, where no Chromium is installed."""

import json
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs the tests in a greenlet of its own, where Django opens new
    # connection objects: give them the database contents serialized at set-up, which the
    # serialized_rollback of the tests after the first restores after each flush.
    serialized = {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser page in English; it records Content-Security-Policy violations."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# axe-core findings that fail a test; minor and moderate ones are written to AXE_REPORT (one
# JSON line per page checked, its findings of every impact), not failed.
AXE_FAILING_IMPACTS = {"serious", "critical"}
AXE_REPORT = SCREENSHOTS.parent / "axe-report.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _axe_report_fresh():
    """Each run writes its own report (git-ignored, like the screenshots)."""
    AXE_REPORT.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_page(axe):
    """Run axe-core on the page as it is now and fail on a serious or critical finding;
    optionally save a screenshot of the whole page under var/screenshots/ (git-ignored)."""

    def check(page, screenshot: str | None = None) -> None:
        results = axe.run(page)
        violations = results.response["violations"]
        AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
        with AXE_REPORT.open("a", encoding="utf-8") as report:
            findings = [
                {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
            ]
            report.write(json.dumps({"url": page.url, "findings": findings}) + "\n")
        failing = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{', '.join(str(node['target']) for node in violation['nodes'][:3])}]"
            for violation in violations
            if violation["impact"] in AXE_FAILING_IMPACTS
        ]
        assert failing == [], f"axe-core on {page.url}: {failing}"
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            width = page.viewport_size["width"]
            page.screenshot(path=str(SCREENSHOTS / f"{screenshot}-{width}.png"), full_page=True)

    return check


@pytest.fixture
def browser_context(browser):
    """A fresh browser context per language and width: `open_page("fr", 360)`."""
    contexts = []

    def open_page(language: str = "en", width: int = 1280):
        context = browser.new_context(
            locale={"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE"}.get(language, "en-GB"),
            viewport={"width": width, "height": 900},
        )
        contexts.append(context)
        new_page = context.new_page()
        new_page.csp_violations = []
        new_page.on(
            "console",
            lambda message: (
                new_page.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return new_page

    yield open_page
    for context in contexts:
        context.close()


def staff_sign_in(page, *, start_url: str, email: str, password: str, secret: str) -> None:
    """Sign a staff member in through the portal's sign-in page and allauth's second step,
    typing the code their authenticator app would show (tests.staff.totp_code)."""
    from tests.staff import totp_code

    page.goto(start_url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.locator("main form").first.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Code", exact=True).fill(totp_code(secret))
    page.locator("main form").first.get_by_role("button", name="Sign in", exact=True).click()
