"""Attack 9: after an erasure commits, no file of the person stays on disk — the export ZIP
(every category of their data), a document they sent, a recipient's answer file. The rows go
by set in SQL; the files went only with the nightly sweep, a day or two later."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dsr_requests import exports
from dsr_requests.models import RecipientNotice, RequestAttachment, RequestExport
from dsr_requests.services import rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.models import Recipient
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _complete(rights_request, actor, capture):
    with capture(execute=True):
        rights_request_complete(rights_request=rights_request, actor=actor)
    rights_request.refresh_from_db()
    return rights_request


def test_an_erasure_deletes_the_files_of_the_persons_export_documents_and_answers(
    dpo, django_capture_on_commit_callbacks
):
    user = UserFactory(email="lotte@example.be")
    subject = DataSubjectFactory(email="lotte@example.be", user=user)
    BrowsingEventFactory.create_batch(2, subject=subject)
    access = _complete(
        RightsRequestFactory(subject=subject, kind=Kind.ACCESS, state=State.VERIFIED),
        dpo,
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.rights_request_export_release(rights_request=access, actor=dpo)
    access.refresh_from_db()
    assert access.state == State.COMPLETED
    zip_name = RequestExport.objects.get(rights_request=access).file.name
    attachment = RequestAttachment(
        rights_request=access,
        kind="document",
        original_name="id.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    attachment.file.save("id.pdf", ContentFile(b"%PDF-1.4"), save=True)
    notice = RecipientNotice.objects.create(
        rights_request=access,
        recipient=Recipient.objects.filter(is_active=True).first(),
        reason=RecipientNotice.Reason.ERASURE,
        categories=["identity"],
    )
    notice.file.save("answer.pdf", ContentFile(b"%PDF-1.4 answer"), save=True)
    names = [zip_name, attachment.file.name, notice.file.name]
    assert all(default_storage.exists(name) for name in names)

    erasure = _complete(
        RightsRequestFactory(subject=subject, kind=Kind.ERASURE, state=State.VERIFIED),
        dpo,
        django_capture_on_commit_callbacks,
    )

    assert not RequestExport.objects.filter(rights_request=access).exists()
    assert not RequestAttachment.objects.filter(rights_request=access).exists()
    assert erasure.steps.get(name="erase").status == "done"
    assert [name for name in names if default_storage.exists(name)] == []
