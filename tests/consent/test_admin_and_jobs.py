"""Staff: the ledger in the admin, recording on a person's behalf, policy versions and
re-consent e-mails, the Do Not Call Me list; and what an erasure leaves of consent."""

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from consent.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    DoNotCallImport,
    DoNotCallNumber,
    Newsletter,
    NewsletterSubscription,
    PolicyVersion,
    ReconsentRequest,
)
from consent.phone import do_not_call_hash, phone_normalise
from consent.services import (
    consent_give,
    consent_withdraw,
    do_not_call_import,
    newsletter_subscribe,
    policy_version_publish,
)
from subjects.models import DataSubject, DeletionReceipt, PurposeCode
from subjects.services import ErasureCause, subject_erase, subject_hash
from tests.staff import staff_second_factor
from tests.subjects.factories import DataSubjectFactory, OrderFactory

pytestmark = pytest.mark.django_db
WEB = ConsentEvent.Channel.WEB


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    staff_second_factor(client, staff)
    return client


def test_the_ledger_admin_is_read_only(admin_client, subject):
    entry = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    change = admin_client.get(f"/admin/consent/consentevent/{entry.pk}/change/")
    add = admin_client.get("/admin/consent/consentevent/add/")
    delete = admin_client.post(f"/admin/consent/consentevent/{entry.pk}/delete/", {"post": "yes"})

    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert ConsentEvent.objects.filter(pk=entry.pk).exists()


def test_the_ledger_is_searched_by_e_mail_even_once_unlinked(admin_client, subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    other = DataSubjectFactory()
    consent_give(subject=other, purpose="email_marketing", channel=WEB)
    subject_erase(subject=subject, cause=ErasureCause(kind="rights_request", reference="R-1"))

    response = admin_client.get("/admin/consent/consentevent/?q=Lotte@Example.com")

    assert len(response.context["cl"].result_list) == 1
    assert response.context["cl"].result_list[0].subject_id is None


def test_the_subject_page_offers_recording_a_consent(admin_client, subject):
    content = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content

    assert f"/admin/consent/consentevent/record/{subject.pk}/".encode() in content


def test_staff_record_a_letter_on_the_persons_behalf(admin_client, subject, staff):
    newsletter_subscribe(
        subject=subject, newsletter=Newsletter.objects.get(code="offers"), channel=WEB
    )

    response = admin_client.post(
        f"/admin/consent/consentevent/record/{subject.pk}/",
        {
            "target": "purpose:email_marketing",
            "action": "withdrawn",
            "channel": "letter",
            "note": "Brief ontvangen op 28 november, dossier 2026-231",
        },
    )

    assert response.status_code == 302
    entry = ConsentEvent.objects.filter(subject=subject, newsletter__isnull=True).latest("pk")
    assert (entry.action, entry.channel, entry.actor, entry.note) == (
        "withdrawn",
        "letter",
        staff,
        "Brief ontvangen op 28 november, dossier 2026-231",
    )
    assert not NewsletterSubscription.objects.filter(subject=subject).exists()


def test_recording_needs_a_note_and_keeps_what_was_typed(admin_client, subject):
    response = admin_client.post(
        f"/admin/consent/consentevent/record/{subject.pk}/",
        {"target": "purpose:phone_marketing", "action": "given", "channel": "phone", "note": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert 'value="purpose:phone_marketing" selected' in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_a_consent_purposes_text_change_in_the_admin_makes_a_version(admin_client):
    purpose = ConsentPurpose.objects.get(code="analytics_cookies")
    url = f"/admin/consent/consentpurpose/{purpose.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "description_en": "Statistics on how our websites are used, to improve them.",
            "recipients": [r.pk for r in purpose.recipients.all()],
            "cookie_names": '["_ga"]',
            "consent_mode_signals": '["analytics_storage"]',
            "purpose_categories": '["16 - Improve Performance"]',
            "pii_categories": '["15 - Behavioral"]',
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        }
    )
    for key in ("in_cookie_banner", "gpc_opt_out", "is_active"):
        if not data.get(key):
            data.pop(key, None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    purpose.refresh_from_db()
    assert purpose.version == 2
    assert purpose.versions.count() == 2


# Policy versions and re-consent (§9)


def _draft(material=True):
    return PolicyVersion.objects.create(
        number="2027-01",
        effective_on=datetime(2027, 1, 1, tzinfo=UTC).date(),
        summary_nl="Nieuwe ontvangers.",
        summary_fr="Nouveaux destinataires.",
        summary_en="New recipients.",
        summary="Nieuwe ontvangers.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=material,
    )


def test_publishing_a_material_change_asks_the_consenting_persons_by_e_mail(
    admin_client, subject, django_capture_on_commit_callbacks
):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    french = DataSubjectFactory(email="chloe@example.be", preferred_language="fr")
    consent_give(subject=french, purpose="analytics_cookies", channel=WEB)
    DataSubjectFactory(email="never@example.com")
    draft = _draft()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/consent/policyversion/",
            {"action": "publish", "_selected_action": [draft.pk]},
        )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None
    asked = ReconsentRequest.objects.filter(policy_version=draft)
    assert sorted(asked.values_list("subject__email", flat=True)) == [
        "chloe@example.be",
        "lotte@example.com",
    ]
    assert all(r.emailed_at for r in asked)
    assert sorted(m.to[0] for m in mail.outbox) == ["chloe@example.be", "lotte@example.com"]
    french_mail = next(m for m in mail.outbox if m.to == ["chloe@example.be"])
    assert "Nouveaux destinataires." in french_mail.body
    assert "/fr/consent/" in french_mail.body


def test_the_re_consent_batch_sends_nobody_twice(
    subject, staff, django_capture_on_commit_callbacks
):
    from consent.tasks import reconsent_email_batch_task

    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    draft = _draft()
    with django_capture_on_commit_callbacks(execute=True):
        policy_version_publish(policy_version=draft, actor=staff)
    request = ReconsentRequest.objects.get()

    sent = reconsent_email_batch_task(draft.pk, request.pk, request.pk)

    assert sent == 0
    assert len(mail.outbox) == 1


def test_a_non_material_change_asks_nobody(subject, staff):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    assert policy_version_publish(policy_version=_draft(material=False), actor=staff) == 0
    assert not ReconsentRequest.objects.exists()


def test_the_consent_page_asks_again_and_the_answer_counts(client, customer, subject, staff):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    policy_version_publish(policy_version=_draft(), actor=staff)
    client.force_login(customer)

    page = client.get("/en/consent/").content.decode()
    client.post("/en/consent/", {"purpose-email_marketing": "on"})

    assert "Please confirm your choices" in page
    assert ReconsentRequest.objects.get().answered_at is not None
    assert "Please confirm your choices" not in client.get("/en/consent/").content.decode()


# The Do Not Call Me list


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032470123456", "+32470123456"),
        ("32470123456", "+32470123456"),
        ("02/511.11.11", "+3225111111"),
        ("010 42 09 09", "+3210420909"),
        ("+31 20 123 4567", "+31201234567"),
        ("12", None),
        ("phone", None),
    ],
)
def test_numbers_are_normalised_to_e164(raw, e164):
    assert phone_normalise(raw) == e164


def test_an_import_stores_only_keyed_hashes():
    run = do_not_call_import(
        lines=["nummer", "0470123456", "0471 00 00 00", "???", ""], mode="replace"
    )

    assert (run.numbers_valid, run.lines_rejected, run.numbers_added) == (2, 2, 2)
    hashes = set(DoNotCallNumber.objects.values_list("number_hash", flat=True))
    assert hashes == {do_not_call_hash("+32470123456"), do_not_call_hash("+32471000000")}


def test_replace_takes_off_the_numbers_no_longer_listed_and_add_does_not():
    do_not_call_import(lines=["0470123456", "0471000000"], mode="replace")

    added = do_not_call_import(lines=["0472000000"], mode="add")
    assert (added.numbers_added, added.numbers_removed, DoNotCallNumber.objects.count()) == (
        1,
        0,
        3,
    )

    replaced = do_not_call_import(lines=["0471000000;x", "0473000000"], mode="replace")
    assert (replaced.numbers_added, replaced.numbers_removed) == (1, 2)
    assert DoNotCallNumber.objects.count() == 2


def test_a_replace_with_no_number_is_refused_and_changes_nothing():
    do_not_call_import(lines=["0470123456"], mode="replace")

    from consent.exceptions import DoNotCallImportRefused

    with pytest.raises(DoNotCallImportRefused):
        do_not_call_import(lines=["header only"], mode="replace")
    assert DoNotCallNumber.objects.count() == 1
    assert DoNotCallImport.objects.latest("pk").status == DoNotCallImport.Status.FAILED


def test_the_command_imports_a_large_file_in_batches(tmp_path):
    path = tmp_path / "bel-me-niet-meer.csv"
    path.write_text("telefoon\n" + "".join(f"0470{n:06d}\n" for n in range(12_000)))
    out = io.StringIO()

    call_command("do_not_call_import", str(path), stdout=out)

    assert DoNotCallNumber.objects.count() == 12_000
    assert "12000 numbers" in out.getvalue()


def test_staff_upload_the_file_in_the_admin(admin_client):
    upload = SimpleUploadedFile("lijst.csv", b"\xef\xbb\xbf0470123456\r\n0471000000\r\n")

    response = admin_client.post(
        "/admin/consent/donotcallimport/upload/", {"file": upload, "mode": "replace"}
    )

    assert response.status_code == 302
    assert DoNotCallNumber.objects.count() == 2


# Erasure (the data map)


def test_an_erasure_leaves_the_ledger_unlinked_and_nothing_else(subject, customer):
    newsletter_subscribe(
        subject=subject, newsletter=Newsletter.objects.get(code="offers"), channel=WEB
    )
    consent_withdraw(
        subject=subject,
        purpose="phone_marketing",
        channel="web",
        evidence={"note": "x"},
        actor=customer,
    )
    entries = ConsentEvent.objects.count()

    subject_erase(subject=subject, cause=ErasureCause(kind="rights_request", reference="R-9"))

    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert ConsentEvent.objects.count() == entries
    assert not ConsentEvent.objects.filter(subject__isnull=False).exists()
    assert set(ConsentEvent.objects.values_list("subject_hash", flat=True)) == {
        subject_hash("lotte@example.com")
    }
    assert set(ConsentEvent.objects.values_list("note", flat=True)) == {""}
    assert not ConsentState.objects.exists()
    assert not NewsletterSubscription.objects.exists()
    receipt = DeletionReceipt.objects.get()
    assert receipt.summary["categories"]["consent_ledger"]["anonymised"] == entries


def test_the_unsubscribe_purge_takes_subscriptions_and_keeps_a_customers_ledger(subject):
    OrderFactory(subject=subject, status="open")
    newsletter_subscribe(
        subject=subject, newsletter=Newsletter.objects.get(code="offers"), channel=WEB
    )
    NewsletterSubscription.objects.update()  # still subscribed when the purge runs (a late send)

    subject_erase(
        subject=subject,
        cause=ErasureCause(kind="unsubscribe_purge", reference="run-1"),
        purposes=[PurposeCode.COMMERCIAL_COMMUNICATION],
    )

    assert DataSubject.objects.filter(pk=subject.pk).exists()
    assert not NewsletterSubscription.objects.exists()
    assert ConsentEvent.objects.filter(subject=subject).count() == 2


def test_the_unsubscribe_purge_of_a_marketing_only_person_leaves_only_the_hashed_ledger(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB)

    subject_erase(
        subject=subject,
        cause=ErasureCause(kind="unsubscribe_purge", reference="run-2"),
        purposes=[PurposeCode.COMMERCIAL_COMMUNICATION],
    )

    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert ConsentEvent.objects.filter(subject__isnull=True).count() == 2
    assert not ConsentState.objects.exists()
