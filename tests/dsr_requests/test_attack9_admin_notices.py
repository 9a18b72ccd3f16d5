"""Attack 9: the admin pages of recipients' notices for staff who only read (an auditor) and
for staff who may work the request."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from dsr_requests import roles
from dsr_requests.models import RecipientNotice
from dsr_requests.workflow import Kind, State
from subjects.models import Recipient
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.staff import staff_client_for
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered_with_file():
    subject = DataSubjectFactory(email="lotte@example.be")
    rights_request = RightsRequestFactory(
        subject=subject, kind=Kind.ERASURE, state=State.IN_PROGRESS
    )
    notice = RecipientNotice.objects.create(
        rights_request=rights_request,
        recipient=Recipient.objects.filter(is_active=True).first(),
        reason=RecipientNotice.Reason.ERASURE,
        categories=["identity"],
        answer=RecipientNotice.Answer.ERASED,
        file_name="proof.pdf",
        file_type="application/pdf",
    )
    notice.file.save("proof.pdf", ContentFile(b"%PDF-1.4 proof"), save=True)
    return notice


@pytest.mark.parametrize("role", [roles.DPO, roles.AUDITOR])
def test_the_notice_page_with_an_answer_file_opens_and_links_the_checked_download(
    role, answered_with_file
):
    staff = staff_in(role, email=f"{role.replace(' ', '')}@velux.example")
    client = staff_client_for(staff)

    page = client.get(
        reverse("admin:dsr_requests_recipientnotice_change", args=[answered_with_file.pk])
    )
    download = client.get(
        reverse("admin:dsr_requests_recipientnotice_file", args=[answered_with_file.pk])
    )

    assert page.status_code == 200
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 proof"
