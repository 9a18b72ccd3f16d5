"""A member of staff works a rights request in a real browser: signs in with a TOTP code,
verifies the identity, asks the person (the clock pauses), extends with a reason and rejects
with a reason, having read the e-mail the person will get."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from dsr_requests import roles
from dsr_requests.models import AuditAction, RightsRequest
from dsr_requests.services import rights_request_receive
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.e2e.conftest import staff_sign_in
from tests.staff import totp_enrol
from velux_privacy.calendar import add_months, local_date

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"


def _serious_accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical findings on the page's own content (Django admin's
    chrome around it is Django's)."""
    from axe_playwright_python.sync_playwright import Axe

    before = len(page.csp_violations)
    results = Axe().run(page, context={"include": [["#content"]]})
    page.wait_for_timeout(50)
    del page.csp_violations[before:]  # axe's own inline styles, not the page's
    return [
        f"{violation['id']}: {violation['help']} {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"requests-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def agent_with_totp(transactional_db):
    agent = staff_in(roles.PRIVACY_AGENT, email="agent@velux.example")
    return agent, totp_enrol(agent)


@pytest.fixture
def letter(agent_with_totp):
    agent, _secret = agent_with_totp
    received_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    return rights_request_receive(
        actor=agent,
        kind=Kind.ACCESS,
        channel=RightsRequest.Channel.LETTER,
        received_at=received_at,
        email="lotte.peeters@example.com",
        language="en",
        name="Lotte Peeters",
        postal_address="Kerkstraat 1\n2000 Antwerpen",
        details="Please send me a copy of everything VELUX holds on me.",
        attachments=[("letter", SimpleUploadedFile("letter.pdf", b"%PDF-1.7 scanned letter"))],
    )


def test_staff_verify_ask_extend_and_reject_a_request(live_server, page, agent_with_totp, letter):
    agent, secret = agent_with_totp
    for days in (-2, 3, 8, 15):
        other = RightsRequestFactory(kind=Kind.ERASURE)
        RightsRequest.objects.filter(pk=other.pk).update(
            due_on=local_date() + dt.timedelta(days=days)
        )

    staff_sign_in(
        page,
        start_url=f"{live_server.url}/admin/dsr_requests/rightsrequest/",
        email=agent.email,
        password=PASSWORD,
        secret=secret,
    )

    # The queue: the request, waiting for the person's confirmation, with its due date.
    expect(page.get_by_role("link", name=letter.reference)).to_be_visible()
    _shoot(page, "queue")
    assert _serious_accessibility_problems(page) == []
    page.get_by_label("Reference or e-mail address").fill(letter.reference[-6:].lower())
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=letter.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(letter.reference)
    expect(page.get_by_text("Please send me a copy of everything")).to_be_visible()
    _shoot(page, "request-received")
    assert _serious_accessibility_problems(page) == []

    # Verify the identity: a method, never a copy of a document.
    page.get_by_role("link", name="Verify identity").click()
    page.get_by_label("details match what VELUX holds").check()
    page.get_by_role("button", name="Verify identity").click()
    messages = page.locator("ul.messagelist")
    expect(messages).to_contain_text("Identity verified.")
    expect(page.locator("h1 .request-state")).to_have_text("identity verified")

    # Ask the person: the clock pauses.
    page.get_by_role("link", name="Ask the person").click()
    page.get_by_label("clarification of the request").check()
    page.get_by_label("What the person is asked, and why").fill(
        "Do you mean your orders only, or also your newsletter subscriptions?"
    )
    _shoot(page, "step-ask")
    assert _serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Ask the person").click()
    expect(messages).to_contain_text("the clock is paused")
    expect(page.locator(".request-facts .due")).to_contain_text("clock paused")

    # Extend with a reason.
    page.get_by_role("link", name="Extend the deadline").click()
    page.get_by_label("two months").check()
    page.get_by_label("Reason").fill("Your data is spread over five systems we must search.")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(messages).to_contain_text("Deadline extended")
    expect(page.get_by_text("2 months: Your data is spread over five systems")).to_be_visible()

    # Reject with a reason, after reading the e-mail with the right to complain.
    page.get_by_role("link", name="Reject").click()
    page.get_by_label("another reason, written out").check()
    page.get_by_label("Explanation for the person").fill(
        "The same request was answered in full last month."
    )
    page.get_by_role("button", name="Preview the e-mail").click()
    preview = page.locator(".email-preview")
    expect(preview).to_contain_text("The same request was answered in full last month.")
    expect(preview).to_contain_text("Data Protection Authority (GBA/APD)")
    expect(preview).to_contain_text("go to court")
    _shoot(page, "reject-preview")
    assert _serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Send the rejection").click()
    expect(page.locator("h1 .request-state")).to_have_text("rejected")
    _shoot(page, "request-rejected")

    letter.refresh_from_db()
    assert letter.state == State.REJECTED
    assert letter.extension_months == 2
    assert letter.pauses.filter(reason="clarification").get().ended_at is not None
    assert list(letter.audit_events.values_list("action", flat=True)) == [
        AuditAction.RECEIVED,
        AuditAction.ATTACHMENT_ADDED,
        AuditAction.INFORMATION_REQUESTED,
        AuditAction.IDENTITY_VERIFIED,
        AuditAction.INFORMATION_REQUESTED,
        AuditAction.EXTENDED,
        AuditAction.REJECTED,
    ]
    assert page.csp_violations == []


def test_the_dashboard_and_the_record_of_processing(live_server, page, agent_with_totp, letter):
    agent, secret = agent_with_totp
    today = local_date()
    for months_ago, on_time, late in ((1, 4, 1), (2, 6, 0), (3, 3, 2), (5, 5, 0)):
        closed_on = add_months(today, -months_ago)
        for n in range(on_time + late):
            answered = RightsRequestFactory(state=State.COMPLETED)
            RightsRequest.objects.filter(pk=answered.pk).update(
                received_on=closed_on - dt.timedelta(days=12 + n),
                closed_on=closed_on,
                due_on=closed_on + (dt.timedelta(days=3) if n < on_time else -dt.timedelta(days=2)),
            )

    staff_sign_in(
        page,
        start_url=f"{live_server.url}/admin/dsr_requests/rightsrequest/dashboard/",
        email=agent.email,
        password=PASSWORD,
        secret=secret,
    )

    expect(page.get_by_role("img", name=re.compile("Requests answered per month"))).to_be_visible()
    expect(page.get_by_role("heading", name="Open requests by kind and state")).to_be_visible()
    _shoot(page, "dashboard")
    assert _serious_accessibility_problems(page) == []
    page.goto(f"{live_server.url}/admin/dsr_requests/rightsrequest/processing-record/")
    expect(
        page.get_by_role("heading", name=re.compile("Commercial communication|2.5"))
    ).to_be_visible()
    _shoot(page, "processing-record")
    assert _serious_accessibility_problems(page) == []
    page.goto(f"{live_server.url}/admin/dsr_requests/rightsrequest/add/")
    _shoot(page, "intake")
    assert page.csp_violations == []


def test_a_new_staff_member_enrols_a_second_factor_at_the_first_sign_in(live_server, page):
    from tests.staff import totp_code

    dpo = staff_in(roles.DPO, email="new.dpo@velux.example")

    page.goto(f"{live_server.url}/admin/dsr_requests/rightsrequest/")
    page.get_by_label("E-mail address").fill(dpo.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main form").first.get_by_role("button", name="Sign in", exact=True).click()
    # allauth asks for the password once more before a second factor is added.
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    _shoot(page, "enrol-totp")
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("link", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/admin/dsr_requests/rightsrequest/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("rights request")
