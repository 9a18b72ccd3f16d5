import datetime as dt

import pytest

from dsr_requests import roles
from dsr_requests.models import RightsRequest
from dsr_requests.services import rights_request_receive
from tests.dsr_requests.factories import staff_in


@pytest.fixture
def dpo(db):
    return staff_in(roles.DPO, email="dpo@velux.example")


@pytest.fixture
def agent(db):
    return staff_in(roles.PRIVACY_AGENT, email="agent@velux.example")


@pytest.fixture
def other_agent(db):
    return staff_in(roles.PRIVACY_AGENT, email="agent2@velux.example")


@pytest.fixture
def auditor(db):
    return staff_in(roles.AUDITOR, email="auditor@velux.example")


@pytest.fixture
def received(dpo, django_capture_on_commit_callbacks):
    """A request entered by staff: received by letter on `received_at`, identity checked at
    intake unless `verified=False` (then it waits for the e-mail confirmation)."""

    def make(
        received_at: dt.datetime,
        *,
        kind: str = RightsRequest.Kind.ACCESS,
        email: str = "lotte.peeters@example.com",
        verified: bool = True,
        now: dt.datetime | None = None,
        **fields,
    ) -> RightsRequest:
        with django_capture_on_commit_callbacks(execute=True):
            return rights_request_receive(
                actor=dpo,
                kind=kind,
                channel=RightsRequest.Channel.LETTER,
                received_at=received_at,
                email=email,
                language=fields.pop("language", "nl"),
                name=fields.pop("name", "Lotte Peeters"),
                identity_method=RightsRequest.IdentityMethod.KNOWN_DETAILS if verified else "",
                now=now or received_at + dt.timedelta(hours=1),
                **fields,
            )

    return make


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Documents go to a folder of the test's own, never the project's var/private."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def customer(db):
    """A signed-up customer whose verified login is linked to their data subject."""
    from allauth.account.models import EmailAddress

    from tests.subjects.factories import DataSubjectFactory, UserFactory

    user = UserFactory(email="lotte.peeters@example.be", first_name="Lotte")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return DataSubjectFactory(email=user.email, user=user)
