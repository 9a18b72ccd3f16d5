"""A real Celery worker over the broker (CELERY_BROKER_URL, e.g. Redis) takes an access request
from verification to a downloadable ZIP: the export built on the `exports` queue, released by
staff, the e-mail sent on `default`, the file downloaded by its owner."""

import datetime as dt
import io
import re
import time
import zipfile

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.test import Client

from dsr_requests import exports, roles
from dsr_requests.models import RequestExport, RightsRequest
from dsr_requests.services import rights_request_complete, rights_request_receive
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import staff_in
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    OrderFactory,
    UserFactory,
)
from velux_privacy.celery import app

# serialized_rollback: the database as migrated (roles, registers) is restored afterwards, so
# the tests after this one find it as they would without it.
pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUEUES = ["default", "exports"]
WAIT_SECONDS = 60


def _wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker did not get {what} done in {WAIT_SECONDS} s")


@pytest.fixture
def worker():
    with app.connection() as connection:
        for queue in QUEUES:  # nothing left over from an earlier run
            connection.default_channel.queue_declare(queue=queue, durable=True)
            connection.default_channel.queue_purge(queue)
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, queues=QUEUES
    ) as running:
        yield running


def test_a_real_worker_takes_an_access_request_from_verification_to_a_downloadable_zip(worker):
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    user = UserFactory(email="lotte@example.be")
    subject = DataSubjectFactory(email="lotte@example.be", user=user, preferred_language="nl")
    OrderFactory(subject=subject, number="BE-00000042")
    BrowsingEventFactory.create_batch(5, subject=subject)
    rights_request = rights_request_receive(
        actor=dpo,
        kind=Kind.ACCESS,
        channel=RightsRequest.Channel.LETTER,
        received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        email="lotte@example.be",
        language="nl",
        name="Lotte Peeters",
        identity_method=RightsRequest.IdentityMethod.KNOWN_DETAILS,
    )
    assert rights_request.state == State.VERIFIED

    rights_request_complete(rights_request=rights_request, actor=dpo)
    _wait_for(
        lambda: RequestExport.objects.filter(
            rights_request=rights_request, built_at__isnull=False
        ).exists(),
        "the export built",
    )
    exports.rights_request_export_release(rights_request=rights_request, actor=dpo)
    _wait_for(
        lambda: (
            RightsRequest.objects.get(pk=rights_request.pk).state == State.COMPLETED
            and len(mail.outbox) >= 2
        ),  # the acknowledgement, then the completion with the link
        "the release and its e-mail",
    )

    link = re.search(r"http://\S+/nl/requests/export/\S+/", mail.outbox[-1].body)
    assert link is not None
    url = link.group(0).split("://", 1)[1].split("/", 1)[1]
    client = Client()
    client.force_login(user)
    response = client.get(f"/{url}")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"index.html", "data/orders.json", "data/browsing_history.csv"} <= set(
        archive.namelist()
    )
    assert b"BE-00000042" in archive.read("data/orders.json")
    assert '<html lang="nl">' in archive.read("index.html").decode()
