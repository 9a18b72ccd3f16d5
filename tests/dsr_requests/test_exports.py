"""Access and portability requests answered: the export built on the execution steps, staff's
review before release (GDPR Art. 15(4)), the release with the e-mail, the owner-only download
and the expiry of the file."""

import datetime as dt
import hashlib
import io
import json
import re
import zipfile

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dsr_requests import exports
from dsr_requests.exceptions import NotAllowed, RightsRequestError
from dsr_requests.models import AuditAction, AuditEvent, ExecutionStep, RequestExport
from dsr_requests.services import execution_retry, rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.datamap import datamap
from subjects.exports import portable_categories
from subjects.models import BrowsingEvent, ContactRequest
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_client_for
from tests.subjects.factories import (
    BrowsingEventFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    OrderFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _person(email="lotte@example.be", language="fr"):
    user = UserFactory(email=email)
    subject = DataSubjectFactory(email=email, preferred_language=language, user=user)
    OrderFactory(subject=subject, number="BE-00000042")
    ContactRequestFactory(subject=subject, message="Mon voisin M. Zwartberg dit que…")
    BrowsingEventFactory.create_batch(3, subject=subject, path="/fr-be/produits")
    SurveyResponseFactory(subject=subject, comment="Très bien")
    return subject


@pytest.fixture
def someone_else():
    other = DataSubjectFactory(email="someone.else@example.be")
    OrderFactory(subject=other, number="BE-OTHER-1")
    BrowsingEventFactory(subject=other, path="/another-persons-page")
    return other


def _verified(subject, *, kind=Kind.ACCESS, assignee=None, language="fr"):
    return RightsRequestFactory(
        subject=subject, kind=kind, state=State.VERIFIED, language=language, assignee=assignee
    )


def _start(rights_request, actor, capture):
    with capture(execute=True):
        rights_request_complete(rights_request=rights_request, actor=actor)
    rights_request.refresh_from_db()
    return rights_request


def _zip(export: RequestExport) -> zipfile.ZipFile:
    with default_storage.open(export.file.name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_completing_an_access_request_builds_the_export_and_waits_for_review(
    dpo, someone_else, django_capture_on_commit_callbacks
):
    subject = _person()
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)

    assert rights_request.state == State.IN_PROGRESS  # waiting for staff's review
    export = RequestExport.objects.get(rights_request=rights_request)
    assert export.file.name.startswith("exports/")
    assert export.built_at is not None
    with default_storage.open(export.file.name, "rb") as handle:
        content = handle.read()
    assert (export.size, export.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    counts = {c["key"]: c["rows"] for c in export.categories}
    assert counts["browsing_history"] == 3
    assert counts["orders"] == 1
    archive = _zip(export)
    for key in counts:
        assert {f"data/{key}.json", f"data/{key}.csv"} <= set(archive.namelist())
    assert [row["path"] for row in json.loads(archive.read("data/browsing_history.json"))] == [
        "/fr-be/produits"
    ] * 3
    summary = archive.read("index.html").decode()
    assert '<html lang="fr">' in summary
    assert "Vos données à caractère personnel chez VELUX Belgium" in summary
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"BE-OTHER-1" not in everything
    assert b"someone.else@example.be" not in everything
    step = ExecutionStep.objects.get(rights_request=rights_request, name=exports.STEP_BUILD)
    assert step.status == ExecutionStep.Status.DONE
    assert step.result["sha256"] == export.sha256
    assert (
        AuditEvent.objects.filter(
            rights_request=rights_request, action=AuditAction.EXPORT_BUILT
        ).count()
        == 1
    )
    assert mail.outbox == []  # nothing goes to the person before the review


def test_a_portability_export_holds_only_provided_fields_of_consent_or_contract_data(
    dpo, django_capture_on_commit_callbacks
):
    subject = _person()
    rights_request = _start(
        _verified(subject, kind=Kind.PORTABILITY), dpo, django_capture_on_commit_callbacks
    )

    export = RequestExport.objects.get(rights_request=rights_request)
    assert export.portability
    keys = {c["key"] for c in export.categories}
    assert keys <= {c.key for c in portable_categories()}
    assert "survey_responses" not in keys  # legitimate interest: not portable
    assert "browsing_history" not in keys  # not provided by the person
    archive = _zip(export)
    orders = json.loads(archive.read("data/orders.json"))
    assert set(orders[0]) == set(datamap._categories["orders"].provided)
    assert "number" not in orders[0]


def test_a_failed_build_retried_succeeds_once(dpo, monkeypatch, django_capture_on_commit_callbacks):
    subject = _person()
    real = exports.subject_export_write
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(exports, "subject_export_write", flaky)
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)

    step = ExecutionStep.objects.get(rights_request=rights_request, name=exports.STEP_BUILD)
    assert (step.status, step.error) == (ExecutionStep.Status.FAILED, "OSError")
    assert not RequestExport.objects.filter(rights_request=rights_request).exists()

    with django_capture_on_commit_callbacks(execute=True):
        execution_retry(rights_request=rights_request, actor=dpo)
    with pytest.raises(RightsRequestError) as nothing_failed:
        execution_retry(rights_request=rights_request, actor=dpo)
    assert nothing_failed.value.code == "nothing_to_retry"

    step.refresh_from_db()
    assert (step.status, step.attempts) == (ExecutionStep.Status.DONE, 2)
    assert len(calls) == 2
    export = RequestExport.objects.get(rights_request=rights_request)
    assert export.builds == 1
    assert len(list(default_storage.listdir(export.file.name.rsplit("/", 1)[0])[1])) == 1


def _withhold_via_admin(client, rights_request, category, row_id, reason):
    url = reverse("admin:dsr_requests_rightsrequest_export_withhold", args=[rights_request.pk])
    return client.post(url, {"category": category, "row": str(row_id), "reason": reason})


def test_staff_withhold_a_row_with_a_reason_and_the_person_sees_the_count_and_why(
    dpo, django_capture_on_commit_callbacks
):
    subject = _person()
    note = ContactRequest.objects.get(subject=subject)
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    client = staff_client_for(dpo)

    form = client.get(
        reverse("admin:dsr_requests_rightsrequest_export_withhold", args=[rights_request.pk]),
        {"category": "contact_requests", "row": note.pk},
    )
    assert form.status_code == 200
    assert "Mon voisin M. Zwartberg" in form.content.decode()
    empty = _withhold_via_admin(client, rights_request, "contact_requests", note.pk, " ")
    assert empty.status_code == 200
    assert not rights_request.export_withholdings.exists()
    done = _withhold_via_admin(
        client, rights_request, "contact_requests", note.pk, "il nomme une autre personne"
    )
    assert done.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        released = client.post(
            reverse("admin:dsr_requests_rightsrequest_export_release", args=[rights_request.pk])
        )
    assert released.status_code == 302

    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    export = RequestExport.objects.get(rights_request=rights_request)
    assert export.builds == 2  # rebuilt without the withheld row
    assert export.released_at is not None
    assert export.released_by == dpo
    assert export.expires_at == export.released_at + dt.timedelta(days=settings.EXPORT_LINK_DAYS)
    archive = _zip(export)
    assert json.loads(archive.read("data/contact_requests.json")) == []
    assert [n for n in archive.namelist() if b"Zwartberg" in archive.read(n)] == []
    summary = archive.read("index.html").decode()
    assert "il nomme une autre personne" in summary
    contact = next(c for c in export.categories if c["key"] == "contact_requests")
    assert (contact["rows"], contact["withheld"]) == (0, 1)
    [email] = mail.outbox
    assert email.to == [subject.email]
    body = email.body
    assert "il nomme une autre personne" in body  # the reason, in the e-mail too
    assert "1 élément" in body
    assert re.search(r"http://127\.0\.0\.1:8000/fr/requests/export/[^/\s]+/", body)
    actions = list(
        AuditEvent.objects.filter(rights_request=rights_request)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    review = [a for a in actions if a.startswith(("row_", "export_")) or a == "completed"]
    assert review == [
        AuditAction.EXPORT_BUILT,
        AuditAction.ROW_WITHHELD,
        AuditAction.EXPORT_RELEASED,
        AuditAction.EXPORT_BUILT,
        AuditAction.COMPLETED,
    ]
    withheld_event = AuditEvent.objects.get(
        rights_request=rights_request, action=AuditAction.ROW_WITHHELD
    )
    assert withheld_event.actor == dpo
    assert "autre personne" not in json.dumps(withheld_event.details)


def test_a_release_without_withheld_rows_does_not_rebuild(dpo, django_capture_on_commit_callbacks):
    subject = _person()
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        exports.rights_request_export_release(rights_request=rights_request, actor=dpo)

    export = RequestExport.objects.get(rights_request=rights_request)
    assert export.builds == 1
    assert export.is_released
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    assert len(mail.outbox) == 1


def test_a_row_of_another_person_cannot_be_withheld(
    dpo, someone_else, django_capture_on_commit_callbacks
):
    subject = _person()
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    other_order = someone_else.orders.get()

    with pytest.raises(exports.ExportRefused) as refused:
        exports.export_row_withhold(
            rights_request=rights_request,
            actor=dpo,
            category_key="orders",
            row_id=str(other_order.pk),
            reason="x",
        )
    assert refused.value.code == "row_not_in_export"
    client = staff_client_for(dpo)
    page = client.get(
        reverse("admin:dsr_requests_rightsrequest_export_withhold", args=[rights_request.pk]),
        {"category": "orders", "row": other_order.pk},
    )
    assert page.status_code == 302
    assert "BE-OTHER-1" not in client.get(page.url).content.decode()


def test_the_review_page_shows_each_category_a_page_at_a_time(
    dpo, someone_else, django_capture_on_commit_callbacks
):
    subject = _person()
    BrowsingEventFactory.create_batch(27, subject=subject, path="/fr-be/toits")
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    client = staff_client_for(dpo)
    url = reverse("admin:dsr_requests_rightsrequest_export", args=[rights_request.pk])

    first = client.get(url, {"category": "browsing_history"}).content.decode()
    second = client.get(url, {"category": "browsing_history", "page": 2}).content.decode()

    per_page = exports.REVIEW_ROWS_PER_PAGE
    assert first.count("/fr-be/") == per_page
    assert second.count("/fr-be/") == 30 - per_page
    assert "/another-persons-page" not in first + second
    assert "page 1 of 2" in first
    assert "page 2 of 2" in second
    assert "Withhold…" in first
    assert "Release to the person" in first
    request_page = client.get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    ).content.decode()
    assert url in request_page


def test_only_staff_who_may_work_the_request_withhold_and_release(
    dpo, agent, other_agent, auditor, django_capture_on_commit_callbacks
):
    subject = _person()
    rights_request = _start(
        _verified(subject, assignee=other_agent), dpo, django_capture_on_commit_callbacks
    )
    row = BrowsingEvent.objects.filter(subject=subject).first()

    for who in (agent, auditor):
        with pytest.raises(NotAllowed):
            exports.export_row_withhold(
                rights_request=rights_request,
                actor=who,
                category_key="browsing_history",
                row_id=str(row.pk),
                reason="names someone",
            )
        with pytest.raises(NotAllowed):
            exports.rights_request_export_release(rights_request=rights_request, actor=who)
    auditor_page = staff_client_for(auditor).get(
        reverse("admin:dsr_requests_rightsrequest_export", args=[rights_request.pk])
    )
    assert auditor_page.status_code == 200
    assert "Withhold…" not in auditor_page.content.decode()
    refused = _withhold_via_admin(
        staff_client_for(agent), rights_request, "browsing_history", row.pk, "names someone"
    )
    assert refused.status_code == 403
    assert not rights_request.export_withholdings.exists()
    customer = Client()
    customer.force_login(subject.user)
    page = customer.get(
        reverse("admin:dsr_requests_rightsrequest_export", args=[rights_request.pk])
    )
    assert page.status_code in (302, 403)


@pytest.fixture
def released(dpo, django_capture_on_commit_callbacks):
    subject = _person()
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        exports.rights_request_export_release(rights_request=rights_request, actor=dpo)
    rights_request.refresh_from_db()
    return rights_request


def _client_of(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_signed_in_downloads_the_zip_and_the_download_is_audited(released):
    url = exports.export_download_url(rights_request=released)

    response = _client_of(released.subject.user).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"].startswith("no-store")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "index.html" in archive.namelist()
    assert (
        AuditEvent.objects.filter(
            rights_request=released, action=AuditAction.EXPORT_DOWNLOADED
        ).count()
        == 1
    )
    assert RequestExport.objects.get(rights_request=released).downloads == 1


def test_a_browser_that_followed_the_request_downloads_without_an_account(released):
    client = Client()
    session = client.session
    session["followed_requests"] = [released.pk]
    session.save()

    response = client.get(exports.export_download_url(rights_request=released))

    assert response.status_code == 200


def test_the_download_is_404_for_another_person_nobody_and_a_tampered_token(released):
    url = exports.export_download_url(rights_request=released)
    other = UserFactory(email="b@example.be")
    DataSubjectFactory(email="b@example.be", user=other)
    followed_other = Client()
    session = followed_other.session
    session["followed_requests"] = [released.pk + 1000]
    session.save()
    token = url.rstrip("/").rsplit("/", 1)[-1]
    forged = signing.dumps({"r": released.pk, "n": "0" * 32}, salt=exports.DOWNLOAD_TOKEN_SALT)
    other_salt = signing.dumps(
        {"r": released.pk, "n": RequestExport.objects.get(rights_request=released).download_nonce}
    )
    owner = _client_of(released.subject.user)

    assert _client_of(other).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert followed_other.get(url).status_code == 404
    assert owner.get(url.replace(token, token[:-2] + "xx")).status_code == 404
    assert owner.get(url.replace(token, forged)).status_code == 404
    assert owner.get(url.replace(token, other_salt)).status_code == 404
    assert not AuditEvent.objects.filter(
        rights_request=released, action=AuditAction.EXPORT_DOWNLOADED
    ).exists()


def test_an_expired_link_is_404_and_the_nightly_job_deletes_the_file(released, time_machine):
    url = exports.export_download_url(rights_request=released)
    owner = _client_of(released.subject.user)
    export = RequestExport.objects.get(rights_request=released)
    name = export.file.name
    orphan = default_storage.save("exports/2020/orphan.zip", ContentFile(b"PK"))

    time_machine.move_to(export.expires_at - dt.timedelta(minutes=1))
    assert exports.exports_expire() == 1  # only the file no export holds
    assert not default_storage.exists(orphan)
    assert default_storage.exists(name)
    assert owner.get(url).status_code == 200
    time_machine.move_to(export.expires_at + dt.timedelta(minutes=1))
    assert owner.get(url).status_code == 404

    removed = exports.exports_expire()

    assert removed == 1
    assert not default_storage.exists(name)
    export.refresh_from_db()
    assert (export.file.name, export.download_nonce) == ("", "")
    assert export.file_deleted_at is not None
    assert exports.export_download_url(rights_request=released) is None
    assert exports.exports_expire() == 0  # a rerun finds nothing
    assert (
        AuditEvent.objects.filter(
            rights_request=released, action=AuditAction.EXPORT_EXPIRED
        ).count()
        == 1
    )


def test_the_expiry_job_is_in_the_beat_schedule():
    from velux_privacy.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["rights-requests-expire-exports"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["options"]["queue"] == "retention"


def test_the_export_link_for_my_requests_exists_only_once_released(
    dpo, django_capture_on_commit_callbacks
):
    subject = _person()
    rights_request = _start(_verified(subject), dpo, django_capture_on_commit_callbacks)
    assert exports.export_download_url(rights_request=rights_request) is None

    with django_capture_on_commit_callbacks(execute=True):
        exports.rights_request_export_release(rights_request=rights_request, actor=dpo)

    with translation.override("nl"):
        url = exports.export_download_url(rights_request=rights_request)
    assert url.startswith("/nl/requests/export/")


def test_my_requests_shows_the_released_exports_download_link_to_its_owner(released):
    page = _client_of(released.subject.user).get(f"/en/requests/{released.reference}/")

    html = page.content.decode()
    assert "Your data is ready" in html
    assert f'href="{exports.export_download_url(rights_request=released)}"' in html
