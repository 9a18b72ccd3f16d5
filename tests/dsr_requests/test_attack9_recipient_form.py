"""Attack 9: the recipients' public form (no account): CSRF, an oversized file, another
notice's link, a link kept from before a reminder."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr_requests.models import RecipientNotice
from dsr_requests.recipient_notices import recipient_notice_send, recipient_notice_token_make
from subjects.models import Recipient
from tests.dsr_requests.test_recipient_notices import _url, notice  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_form_refuses_a_post_without_its_csrf_token(notice):  # noqa: F811
    client = Client(enforce_csrf_checks=True)

    response = client.post(_url(notice), {"answer": "erased", "note": "Done."})

    assert response.status_code == 403
    notice.refresh_from_db()
    assert not notice.is_answered


def test_an_oversized_file_is_refused_and_the_note_is_kept(notice, client, settings):  # noqa: F811
    settings.RECIPIENT_NOTICE_FILE_MAX_MB = 1
    big = SimpleUploadedFile(
        "proof.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1), content_type="application/pdf"
    )

    page = client.post(_url(notice), {"answer": "erased", "note": "Gewist.", "file": big})

    assert page.status_code == 400
    assert "Gewist." in page.content.decode()
    notice.refresh_from_db()
    assert not notice.is_answered
    assert not notice.file


def test_the_link_of_one_notice_answers_only_that_notice(notice, client):  # noqa: F811
    other = RecipientNotice.objects.create(
        rights_request=notice.rights_request,
        recipient=Recipient.objects.create(
            name="Other Agency NV",
            category=Recipient.Category.SUBCONTRACTORS,
            role=Recipient.Role.PROCESSOR,
            privacy_contact_email="privacy@other.example",
        ),
        reason=notice.reason,
        categories=["identity"],
        contact_email="privacy@other.example",
        link_nonce="another-nonce-entirely",
    )

    client.post(_url(notice), {"answer": "erased", "note": "Done."})

    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.is_answered
    assert not other.is_answered


def test_the_first_link_still_works_after_a_reminder_and_answers_once(notice, client):  # noqa: F811
    first = recipient_notice_token_make(notice)
    recipient_notice_send(notice_id=notice.pk)

    assert client.post(_url(notice, first), {"answer": "none_held"}).status_code == 200
    assert client.post(_url(notice, first), {"answer": "erased"}).status_code == 409
    notice.refresh_from_db()
    assert notice.answer == "none_held"
