"""Attack 9: the ZIP of an access request that was withdrawn (or rejected) before its
release held all of the person's data and had no expiry: the nightly job never deleted it."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage

from dsr_requests import exports
from dsr_requests.models import AuditAction, RequestExport
from dsr_requests.services import rights_request_complete, rights_request_withdraw
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_file_of_an_export_never_released_goes_once_its_request_is_closed(
    dpo, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    user = UserFactory(email="lotte@example.be")
    subject = DataSubjectFactory(email="lotte@example.be", user=user)
    BrowsingEventFactory.create_batch(2, subject=subject)
    rights_request = RightsRequestFactory(subject=subject, kind=Kind.ACCESS, state=State.VERIFIED)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    export = RequestExport.objects.get(rights_request=rights_request)
    name = export.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_withdraw(rights_request=rights_request, actor=user)
    rights_request.refresh_from_db()
    assert rights_request.state == State.WITHDRAWN

    time_machine.move_to(dt.datetime(2026, 11, 26, 3, 40, tzinfo=dt.UTC))
    exports.exports_expire()

    assert not default_storage.exists(name)
    export.refresh_from_db()
    assert export.file.name == ""
    assert export.file_deleted_at is not None
    assert rights_request.audit_events.filter(action=AuditAction.EXPORT_EXPIRED).count() == 1
