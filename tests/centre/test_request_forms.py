"""Filing a request on each right's page: GOV.UK forms (an error summary linked to the
fields, the field's own error, nothing typed lost), one request for a double submit, the
confirmation by e-mail without an account, at once when signed in."""

import re

import pytest
from django.core import mail

from dsr_requests.models import RectificationItem, RightsRequest
from dsr_requests.workflow import Kind, State
from subjects.models import Order, PurposeCode
from tests.subjects.factories import BrowsingEventFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _key(response) -> str:
    return re.search(r'name="submission_key" value="([^"]+)"', response.content.decode()).group(1)


def _post(client, path, data, *, execute, key=None):
    if key is None:
        key = _key(client.get(path))
    with execute(execute=True):
        return client.post(path, {"submission_key": key, **data})


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("access", "/en/rights/access/"),
        ("portability", "/en/rights/portability/"),
        ("erasure", "/en/rights/erasure/"),
        ("restriction", "/en/rights/restriction/"),
        ("objection", "/en/rights/objection/"),
        ("rectification", "/en/rights/rectification/"),
        ("complaint", "/en/complaint/"),
    ],
)
def test_each_right_has_a_form_asking_only_an_email_address_without_an_account(client, key, path):
    html = client.get(path).content.decode()

    assert '<form method="post"' in html
    assert 'name="email"' in html
    assert 'type="password"' not in html
    assert "What happens next" in html
    assert 'href="/en/consent/"' in html


def test_without_an_account_a_request_waits_for_the_emailed_confirmation(
    client, django_capture_on_commit_callbacks
):
    response = _post(
        client,
        "/en/rights/access/",
        {"email": " Lotte.Peeters@Example.be ", "details": "My orders of 2025."},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/rights/sent/"
    rights_request = RightsRequest.objects.get()
    assert (rights_request.kind, rights_request.state) == (Kind.ACCESS, State.UNCONFIRMED)
    assert rights_request.email == "lotte.peeters@example.be"
    assert rights_request.details == "My orders of 2025."
    assert rights_request.language == "en"
    assert [m.to for m in mail.outbox] == [["lotte.peeters@example.be"]]
    assert "/en/requests/confirm/" in mail.outbox[0].body
    assert "Check your e-mail" in client.get("/en/rights/sent/").content.decode()


def test_a_double_submit_makes_one_request_and_one_email(
    client, django_capture_on_commit_callbacks
):
    key = _key(client.get("/en/rights/portability/"))
    data = {"email": "lotte.peeters@example.be"}

    first = _post(
        client, "/en/rights/portability/", data, execute=django_capture_on_commit_callbacks, key=key
    )
    second = _post(
        client, "/en/rights/portability/", data, execute=django_capture_on_commit_callbacks, key=key
    )

    assert first["Location"] == second["Location"] == "/en/rights/sent/"
    assert RightsRequest.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_bad_address_is_summarised_at_the_top_linked_to_the_field_and_nothing_is_lost(
    client, django_capture_on_commit_callbacks
):
    response = _post(
        client,
        "/en/rights/access/",
        {"email": "lotte.peeters", "details": "Everything since 2019, please."},
        execute=django_capture_on_commit_callbacks,
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: " in html
    summary = html[
        html.index('class="error-summary"') : html.index(
            "</div>", html.index('class="error-summary"')
        )
    ]
    assert '<a href="#id_email">Enter an e-mail address in the right form' in summary
    assert 'id="id_email_error"' in html
    assert 'value="lotte.peeters"' in html
    assert "Everything since 2019, please.</textarea>" in html
    assert RightsRequest.objects.count() == 0


def test_a_complaint_without_a_name_is_refused_and_keeps_what_was_typed(
    client, django_capture_on_commit_callbacks
):
    response = _post(
        client,
        "/en/complaint/",
        {
            "name": "",
            "email": "lotte.peeters@example.be",
            "phone": "+32 470 12 34 56",
            "details": "Nobody answered my letter of March.",
        },
        execute=django_capture_on_commit_callbacks,
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_name">Enter your name: a complaint needs it.</a>' in html
    assert 'id="id_name_error"' in html
    assert 'value="lotte.peeters@example.be"' in html
    assert 'value="+32 470 12 34 56"' in html
    assert "Nobody answered my letter of March.</textarea>" in html
    assert RightsRequest.objects.count() == 0


def test_the_complaint_page_gives_the_data_protection_authority(client):
    html = client.get("/en/complaint/").content.decode()

    assert "Data Protection Authority (GBA/APD)" in html
    assert "contact@apd-gba.be" in html
    assert "dataprotectionauthority.be" in html


def test_a_complaint_with_name_and_contact_details_is_filed(
    client, django_capture_on_commit_callbacks
):
    response = _post(
        client,
        "/en/complaint/",
        {"name": "Lotte Peeters", "email": "lotte.peeters@example.be", "details": "A question."},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    complaint = RightsRequest.objects.get()
    assert (complaint.kind, complaint.name, complaint.details) == (
        Kind.COMPLAINT,
        "Lotte Peeters",
        "A question.",
    )


def test_signed_in_the_request_is_received_at_once_and_its_page_opens(
    client, customer, django_capture_on_commit_callbacks
):
    client.force_login(customer.user)

    page = client.get("/en/rights/access/").content.decode()
    assert 'name="email"' not in page
    assert "lotte.peeters@example.be" in page
    response = _post(client, "/en/rights/access/", {}, execute=django_capture_on_commit_callbacks)

    rights_request = RightsRequest.objects.get()
    assert rights_request.state == State.VERIFIED
    assert rights_request.subject == customer
    assert response["Location"] == f"/en/requests/{rights_request.reference}/"
    assert rights_request.reference in client.get(response["Location"]).content.decode()


def test_rectification_shows_the_current_values_and_files_the_corrections(
    client, customer, django_capture_on_commit_callbacks
):
    customer.city = "Antwerpen"
    customer.street = "Kerkstraat 1"
    customer.save()
    client.force_login(customer.user)

    page = client.get("/en/rights/rectification/").content.decode()
    assert "Now: Antwerpen" in page
    assert "Now: Kerkstraat 1" in page
    _post(
        client,
        "/en/rights/rectification/",
        {"new_city": "Gent", "new_street": "Kerkstraat 1", "details": ""},
        execute=django_capture_on_commit_callbacks,
    )

    rights_request = RightsRequest.objects.get()
    assert rights_request.kind == Kind.RECTIFICATION
    assert rights_request.details == "City: now “Antwerpen”, should be “Gent”"
    # Filed field by field for staff to decide (dsr_requests.rectification).
    item = RectificationItem.objects.get(rights_request=rights_request)
    assert (item.category, item.field, item.current_value, item.proposed_value) == (
        "identity",
        "city",
        "Antwerpen",
        "Gent",
    )


def test_a_corrected_value_the_field_refuses_files_nothing_and_keeps_what_was_typed(
    client, customer, django_capture_on_commit_callbacks
):
    client.force_login(customer.user)

    response = _post(
        client,
        "/en/rights/rectification/",
        {"new_city": "Gent", "new_postal_code": "9000-9000-9000-9000-9000"},
        execute=django_capture_on_commit_callbacks,
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_new_postal_code">' in html
    assert 'value="9000-9000-9000-9000-9000"' in html
    assert 'value="Gent"' in html
    assert RightsRequest.objects.count() == 0
    assert mail.outbox == []


def test_rectification_with_nothing_to_correct_is_refused(
    client, customer, django_capture_on_commit_callbacks
):
    client.force_login(customer.user)

    response = _post(
        client, "/en/rights/rectification/", {}, execute=django_capture_on_commit_callbacks
    )

    assert response.status_code == 400
    assert "Give at least one corrected value" in response.content.decode()
    assert RightsRequest.objects.count() == 0


def test_rectification_without_an_account_asks_what_is_wrong_in_words(
    client, django_capture_on_commit_callbacks
):
    assert 'name="new_city"' not in client.get("/en/rights/rectification/").content.decode()

    response = _post(
        client,
        "/en/rights/rectification/",
        {"email": "lotte.peeters@example.be"},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert (
        '<a href="#id_details">Tell us what your request is about.</a>' in response.content.decode()
    )


def test_erasure_shows_a_signed_in_person_what_is_erased_and_what_is_kept_and_why(client, customer):
    OrderFactory(subject=customer, status=Order.Status.OPEN)
    BrowsingEventFactory.create_batch(3, subject=customer)
    client.force_login(customer.user)

    html = client.get("/en/rights/erasure/").content.decode()

    preview = html[html.index('id="erasure-preview"') :]
    assert "Erased" in preview
    assert "Kept for now, and why" in preview
    assert "an open order (§2.3)" in preview
    # The preview changed nothing.
    assert customer.browsing_events.count() == 3


def test_erasure_without_an_account_says_in_general_terms_what_is_kept(client):
    html = client.get("/en/rights/erasure/").content.decode()

    assert 'id="erasure-preview"' not in html
    assert "invoices for the accounting period" in html


def test_erasure_needs_the_person_to_say_they_read_what_happens(
    client, customer, django_capture_on_commit_callbacks
):
    client.force_login(customer.user)

    refused = _post(client, "/en/rights/erasure/", {}, execute=django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert "Confirm that you have read what will happen." in refused.content.decode()
    _post(
        client,
        "/en/rights/erasure/",
        {"understood": "on"},
        execute=django_capture_on_commit_callbacks,
    )

    assert RightsRequest.objects.get().kind == Kind.ERASURE


def test_objection_offers_the_uses_on_legitimate_interest_one_by_one(
    client, django_capture_on_commit_callbacks
):
    html = client.get("/en/rights/objection/").content.decode()
    assert 'value="business_development"' in html
    assert 'value="surveys"' in html
    assert 'value="commercial_communication"' not in html

    refused = _post(
        client,
        "/en/rights/objection/",
        {"email": "lotte.peeters@example.be", "purpose": "commercial_communication"},
        execute=django_capture_on_commit_callbacks,
    )
    assert refused.status_code == 400
    _post(
        client,
        "/en/rights/objection/",
        {"email": "lotte.peeters@example.be", "purpose": "surveys"},
        execute=django_capture_on_commit_callbacks,
    )

    assert RightsRequest.objects.get().purpose == PurposeCode.SURVEYS


def test_restriction_asks_why(client, django_capture_on_commit_callbacks):
    response = _post(
        client,
        "/en/rights/restriction/",
        {"email": "lotte.peeters@example.be", "purpose": "all"},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert RightsRequest.objects.count() == 0


def test_the_consent_right_links_to_the_consent_page_and_takes_no_post(client):
    assert 'href="/en/consent/"' in client.get("/en/rights/consent/").content.decode()
    assert client.post("/en/rights/consent/", {}).status_code == 405


def test_erasure_says_first_that_another_open_request_holds_the_data_and_what_goes_after(
    client, customer
):
    from tests.dsr_requests.factories import RightsRequestFactory

    RightsRequestFactory(subject=customer, kind=Kind.ACCESS)
    BrowsingEventFactory.create_batch(2, subject=customer)
    client.force_login(customer.user)

    html = client.get("/en/rights/erasure/").content.decode()

    preview = html[html.index('id="erasure-preview"') :]
    assert "We cannot erase anything right now, because of:" in preview
    assert "a rights request still being handled" in preview
    erased = preview[preview.index("<h4>Erased</h4>") :]
    assert "(2)" in erased.split("</ul>")[0]


@pytest.mark.parametrize("key", ["objection", "restriction"])
def test_all_uses_is_one_request_without_a_purpose(client, key, django_capture_on_commit_callbacks):
    details = {"restriction": "The data is wrong.", "objection": ""}[key]

    response = _post(
        client,
        f"/en/rights/{key}/",
        {"email": "lotte.peeters@example.be", "purpose": "all", "details": details},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    assert RightsRequest.objects.get().purpose == ""


def test_an_objection_without_a_chosen_use_is_refused(client, django_capture_on_commit_callbacks):
    response = _post(
        client,
        "/en/rights/objection/",
        {"email": "lotte.peeters@example.be"},
        execute=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert "Choose the use you object to." in response.content.decode()
