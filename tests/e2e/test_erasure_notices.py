"""Art. 19 notices in a real browser: a recipient answers on the form of its e-mailed link (no
account), and staff see the notices on the request page and tick one off."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dsr_requests import roles
from dsr_requests.models import AuditAction, AuditEvent, RecipientNotice
from dsr_requests.recipient_notices import recipient_notice_url, recipient_notices_ensure
from dsr_requests.workflow import Kind, State
from subjects.models import Purpose, Recipient
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.e2e.conftest import staff_sign_in
from tests.staff import totp_enrol

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def erasure_with_notices(transactional_db):
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    Recipient.objects.update(is_active=False)
    agency = Recipient.objects.create(
        name="Mailing Agency NV",
        category=Recipient.Category.SUBCONTRACTORS,
        role=Recipient.Role.PROCESSOR,
        privacy_contact_email="privacy@mailing.example",
    )
    agency.purposes.set(Purpose.objects.filter(code="commercial_communication"))
    panel = Recipient.objects.create(
        name="Survey Panel BV", category=Recipient.Category.ANALYTICS, role="processor"
    )
    panel.purposes.set(Purpose.objects.filter(code="surveys"))
    rights_request = RightsRequestFactory(
        kind=Kind.ERASURE, state=State.IN_PROGRESS, assignee=dpo, language="en"
    )
    AuditEvent.objects.create(
        rights_request=rights_request,
        reference=rights_request.reference,
        action=AuditAction.ERASURE_EXECUTED,
        actor_kind=AuditEvent.ActorKind.SYSTEM,
        from_state=State.IN_PROGRESS,
        to_state=State.IN_PROGRESS,
    )
    notices = recipient_notices_ensure(
        rights_request=rights_request,
        reason=RecipientNotice.Reason.ERASURE,
        category_keys=["browsing_history", "device_identifiers", "survey_responses"],
        consented_purposes=set(),
        now=timezone.now() - dt.timedelta(days=15),
    )
    return dpo, rights_request, {n.recipient.name: n for n in notices}


def test_a_recipient_answers_the_notice_on_its_form(
    live_server, browser_context, check_page, erasure_with_notices
):
    _dpo, rights_request, notices = erasure_with_notices
    url = recipient_notice_url(notices["Mailing Agency NV"]).replace(
        "http://127.0.0.1:8000", live_server.url
    )
    for width in (360, 1280):
        page = browser_context("en", width)
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(rights_request.reference)
        check_page(page, screenshot="recipient-notice")
        assert page.csp_violations == []

    page.get_by_label("could not do it").check()
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why it could not be done.")
    page.get_by_label("erased (or corrected) as asked").check()
    page.get_by_label("Note (optional)").fill("Removed from our mailing lists.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your answer is recorded")
    check_page(page, screenshot="recipient-notice-done")

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This notice has been answered already"
    )
    notice = RecipientNotice.objects.get(pk=notices["Mailing Agency NV"].pk)
    assert (notice.answer, notice.note) == ("erased", "Removed from our mailing lists.")


def test_staff_see_the_notices_on_the_request_page_and_tick_one_off(
    live_server, page, erasure_with_notices
):
    dpo, rights_request, notices = erasure_with_notices
    RecipientNotice.objects.filter(pk=notices["Mailing Agency NV"].pk).update(
        answer="none_held",
        answered_via="form",
        answered_at=timezone.now(),
        note="We hold nothing on this address.",
        link_nonce="",
    )
    RecipientNotice.objects.filter(pk=notices["Survey Panel BV"].pk).update(
        escalated_at=timezone.now()
    )
    secret = totp_enrol(dpo)
    staff_sign_in(
        page,
        start_url=f"{live_server.url}/admin/dsr_requests/rightsrequest/{rights_request.pk}/change/",
        email=dpo.email,
        password=PASSWORD,
        secret=secret,
    )
    notices_section = page.locator("section.request-recipient-notices")
    expect(notices_section).to_contain_text("Mailing Agency NV")
    expect(notices_section).to_contain_text("escalated to the DPO")
    _shoot(page, "request-recipient-notices")
    assert page.csp_violations == []

    notices_section.get_by_role("link", name="Tick off").click()
    page.get_by_label("erased (or corrected) as asked").check()
    page.get_by_label("Note").fill("Confirmed by phone with their DPO.")
    page.get_by_role("button", name="Tick off the notice to Survey Panel BV").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The notice is ticked off.")
    expect(page.locator("h1 .request-state")).to_have_text("completed")
    _shoot(page, "request-recipient-notices-done")


def test_staff_read_the_erasure_preview_before_they_complete(live_server, page, transactional_db):
    from subjects.models import Order
    from tests.subjects.factories import BrowsingEventFactory, OrderFactory

    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    rights_request = RightsRequestFactory(kind=Kind.ERASURE, assignee=dpo, language="en")
    BrowsingEventFactory.create_batch(3, subject=rights_request.subject)
    OrderFactory(subject=rights_request.subject, status=Order.Status.OPEN)
    staff_sign_in(
        page,
        start_url=f"{live_server.url}/admin/dsr_requests/rightsrequest/{rights_request.pk}/change/",
        email=dpo.email,
        password=PASSWORD,
        secret=totp_enrol(dpo),
    )
    preview = page.locator("section.request-erasure-preview")
    expect(preview).to_contain_text("What “Complete” will erase")
    expect(preview).to_contain_text("an open order (§2.3)")
    _shoot(page, "request-erasure-preview")
    assert page.csp_violations == []
