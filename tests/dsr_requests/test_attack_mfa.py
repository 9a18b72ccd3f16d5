"""An outside review of the second factor (issue 8): no admin address of the queue answers a
staff session that did not use it, whatever it asks for."""

import datetime as dt

import pytest
from django.test import Client

from tests.staff import totp_enrol

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
PATHS = [
    "/admin/",
    "/admin/dsr_requests/rightsrequest/",
    "/admin/dsr_requests/rightsrequest/add/",
    "/admin/dsr_requests/rightsrequest/dashboard/?format=csv",
    "/admin/dsr_requests/rightsrequest/processing-record/?format=csv",
    "/admin/dsr_requests/rightsrequest/{pk}/change/",
    "/admin/dsr_requests/rightsrequest/{pk}/step/note/",
    "/admin/dsr_requests/rightsrequest/{pk}/documents/{attachment}/",
    "/admin/dsr_requests/auditevent/",
    "/admin/subjects/datasubject/{subject}/change/",
    "/admin/autocomplete/?app_label=dsr_requests&model_name=rightsrequest&field_name=assignee",
    "/admin/r/{content_type}/{pk}/",
    "/admin/password_change/",
]


@pytest.mark.parametrize("enrolled", [True, False], ids=["enrolled", "not-enrolled"])
@pytest.mark.parametrize("accept", ["text/html", "text/csv"])
@pytest.mark.parametrize("path", PATHS)
def test_a_staff_session_without_the_second_factor_reads_nothing_of_the_queue(
    received, dpo, path, accept, enrolled
):
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dsr_requests.models import RequestAttachment, RightsRequest

    rights_request = received(
        NOW,
        attachments=[(RequestAttachment.Kind.LETTER, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))],
    )
    if enrolled:
        totp_enrol(dpo)
    client = Client()
    client.force_login(dpo)  # a password, and no second factor
    url = path.format(
        pk=rights_request.pk,
        attachment=rights_request.attachments.get().pk,
        subject=rights_request.subject_id,
        content_type=ContentType.objects.get_for_model(RightsRequest).pk,
    )

    response = client.get(url, HTTP_ACCEPT=accept)

    assert response.status_code in (302, 403), (url, response.status_code)
    if response.status_code == 302:
        assert "/admin/" not in response["Location"].split("?")[0], response["Location"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert rights_request.reference.encode() not in body
    assert rights_request.email.encode() not in body
