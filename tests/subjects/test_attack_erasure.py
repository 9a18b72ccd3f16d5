"""An outside review of erasure (issue 6): what the test suite's own transactions hide."""

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from consent.services import consent_give
from dsr_requests import roles, services
from dsr_requests.models import RequestAttachment, RightsRequest
from subjects.models import DataSubject
from subjects.services import ErasureCause, subject_erase
from tests.consent.conftest import consent_register  # noqa: F401 (a fixture)
from tests.dsr_requests.factories import staff_in
from tests.staff import totp_enrol
from tests.subjects.test_services import MARK, _person_with_everything, _text_left_anywhere

CAUSE = ErasureCause(kind="rights_request", reference="R-ATTACK8")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("consent_register")
def test_an_erasure_of_a_person_with_everything_commits_on_postgresql(time_machine):
    """pytest-django runs each test in a transaction it rolls back, so PostgreSQL never checks
    the foreign keys Django makes DEFERRABLE INITIALLY DEFERRED: an erasure that deletes rows
    by set and leaves a row pointing at one of them passes every test and fails in production
    at COMMIT. Here the erasure commits, with rows in every category, a second factor on the
    login, consents, and requests of the person (closed, with a document; not confirmed)."""
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    time_machine.move_to(now, tick=False)
    subject = _person_with_everything()
    totp_enrol(subject.user)
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    closed = services.rights_request_receive(
        actor=dpo,
        kind=RightsRequest.Kind.COMPLAINT,
        channel=RightsRequest.Channel.LETTER,
        received_at=now - dt.timedelta(days=3),
        email=subject.email,
        language="nl",
        name=f"{MARK} Peeters",
        details=f"Over {MARK}",
        identity_method=RightsRequest.IdentityMethod.KNOWN_DETAILS,
        attachments=[(RequestAttachment.Kind.LETTER, SimpleUploadedFile("x.pdf", b"%PDF-1.4"))],
        now=now - dt.timedelta(days=2),
    )
    services.rights_request_complete(
        rights_request=closed, actor=dpo, outcome=f"Klaar {MARK}", now=now - dt.timedelta(days=1)
    )
    services.rights_request_submit(
        kind=RightsRequest.Kind.ACCESS, email=subject.email, language="nl", details=MARK
    )

    with transaction.atomic():
        summary = subject_erase(cause=CAUSE, subject=subject, now=now)

    assert summary.subject_deleted is True
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert not Authenticator.objects.filter(user__email__iexact=subject.email).exists()
    assert _text_left_anywhere(MARK) == []
