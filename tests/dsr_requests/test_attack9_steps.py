"""Attack 9: a failure after the erasure's (or the rectification's) step, while the request is
settled (the recipients' notices made, the request completed), must show as a failed step
with a Retry that finishes the work, not leave the request in progress with nothing to retry
and no way to mark it done."""

import pytest
from django.db import DatabaseError

from dsr_requests import erasure, rectification
from dsr_requests.models import ExecutionStep
from dsr_requests.rectification import rectification_item_decide, rectification_items_propose
from dsr_requests.services import execution_retry, rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.models import Recipient
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import BrowsingEventFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db


def _failing_once(real):
    calls = {"n": 0}

    def wrapped(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise DatabaseError("connection lost")
        return real(**kwargs)

    return wrapped


def _run(capture, function, **kwargs):
    try:
        with capture(execute=True):
            function(**kwargs)
    except DatabaseError:
        pass  # the task fails; what counts is what the request shows


@pytest.mark.parametrize("kind", [Kind.ERASURE, Kind.RECTIFICATION])
def test_a_failure_while_settling_shows_a_failed_step_and_retry_completes_the_request(
    kind, dpo, monkeypatch, django_capture_on_commit_callbacks
):
    Recipient.objects.update(is_active=False)  # no notices to wait for: settling completes
    subject = DataSubjectFactory(email="lotte@example.be", first_name="Lote")
    BrowsingEventFactory(subject=subject)
    rights_request = RightsRequestFactory(subject=subject, kind=kind, state=State.VERIFIED)
    if kind == Kind.RECTIFICATION:
        (item,) = rectification_items_propose(
            rights_request=rights_request, items=[("identity", "first_name", "Lotte")]
        )
        rectification_item_decide(item=item, actor=dpo, accepted=True)
    module = erasure if kind == Kind.ERASURE else rectification
    monkeypatch.setattr(
        module, "recipient_notices_ensure", _failing_once(module.recipient_notices_ensure)
    )

    _run(
        django_capture_on_commit_callbacks,
        rights_request_complete,
        rights_request=rights_request,
        actor=dpo,
    )
    rights_request.refresh_from_db()

    assert rights_request.state == State.IN_PROGRESS
    assert rights_request.steps.filter(status=ExecutionStep.Status.FAILED).exists()

    _run(
        django_capture_on_commit_callbacks,
        execution_retry,
        rights_request=rights_request,
        actor=dpo,
    )
    rights_request.refresh_from_db()

    assert rights_request.state == State.COMPLETED
    assert not rights_request.steps.filter(status=ExecutionStep.Status.FAILED).exists()
