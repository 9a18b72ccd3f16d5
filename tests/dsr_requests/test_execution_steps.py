"""The steps of a request's execution: each done at most once, a failure shown in the queue
and on the request page with a retry button, and the retry doing only what failed."""

import pytest
from django.urls import reverse

from dsr_requests import execution
from dsr_requests.exceptions import NotAllowed, RightsRequestError, TransitionRefused
from dsr_requests.models import AuditAction, AuditEvent, ExecutionStep
from dsr_requests.services import execution_retry, rights_request_complete
from dsr_requests.workflow import Kind, State
from subjects.models import BrowsingEvent
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_client_for
from tests.subjects.factories import BrowsingEventFactory

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def in_progress(dpo):
    return RightsRequestFactory(kind=Kind.OBJECTION, state=State.IN_PROGRESS, assignee=dpo)


def test_a_step_done_is_not_done_again(in_progress):
    calls = []

    def run():
        calls.append(1)
        return {"rows": 3}

    first = execution.step_run(rights_request_id=in_progress.pk, name="count", run=run)
    again = execution.step_run(rights_request_id=in_progress.pk, name="count", run=run)

    assert first == again == {"rows": 3}
    assert len(calls) == 1
    step = ExecutionStep.objects.get(rights_request=in_progress, name="count")
    assert (step.status, step.attempts) == (ExecutionStep.Status.DONE, 1)


def test_a_failed_step_is_recorded_audited_undone_and_raised(in_progress):
    subject = in_progress.subject

    def run():
        BrowsingEventFactory(subject=subject)  # work of the step, undone by the failure
        raise Boom("lotte.peeters@example.com is unreachable")

    with pytest.raises(Boom):
        execution.step_run(rights_request_id=in_progress.pk, name="erase", run=run)

    assert not BrowsingEvent.objects.filter(subject=subject).exists()
    step = ExecutionStep.objects.get(rights_request=in_progress, name="erase")
    assert (step.status, step.attempts, step.error) == (ExecutionStep.Status.FAILED, 1, "Boom")
    event = AuditEvent.objects.get(rights_request=in_progress, action=AuditAction.STEP_FAILED)
    assert event.details == {"step": "erase", "error": "Boom"}
    assert "example.com" not in str(event.details)


def test_a_failed_step_retried_succeeds_once_and_the_done_steps_are_skipped(
    dpo, monkeypatch, django_capture_on_commit_callbacks
):
    runs = {"first": 0, "second": 0}
    failing = {"yes": True}

    def executor(rights_request_id):
        def first():
            runs["first"] += 1

        def second():
            runs["second"] += 1
            if failing["yes"]:
                raise Boom()

        execution.step_run(rights_request_id=rights_request_id, name="first", run=first)
        try:
            execution.step_run(rights_request_id=rights_request_id, name="second", run=second)
        except Boom:
            return

    monkeypatch.setitem(execution._executors, Kind.OBJECTION, executor)
    rights_request = RightsRequestFactory(kind=Kind.OBJECTION, assignee=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(rights_request=rights_request, actor=dpo)
    assert runs == {"first": 1, "second": 1}

    failing["yes"] = False
    with django_capture_on_commit_callbacks(execute=True):
        execution_retry(rights_request=rights_request, actor=dpo)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RightsRequestError) as refused,
    ):
        execution_retry(rights_request=rights_request, actor=dpo)

    assert runs == {"first": 1, "second": 2}
    assert refused.value.code == "nothing_to_retry"
    statuses = dict(rights_request.steps.values_list("name", "status"))
    assert statuses == {"first": "done", "second": "done"}
    assert AuditEvent.objects.filter(
        rights_request=rights_request, action=AuditAction.EXECUTION_RETRIED
    ).get().details == {"steps": ["second"]}


def test_only_staff_who_may_work_the_request_retry_it(in_progress, agent):
    ExecutionStep.objects.create(rights_request=in_progress, name="x", status="failed")
    with pytest.raises(NotAllowed):
        execution_retry(rights_request=in_progress, actor=agent)  # assigned to the DPO


def test_a_closed_request_is_not_retried(dpo):
    done = RightsRequestFactory(kind=Kind.OBJECTION, state=State.COMPLETED, assignee=dpo)
    ExecutionStep.objects.create(rights_request=done, name="x", status="failed")
    with pytest.raises(TransitionRefused):
        execution_retry(rights_request=done, actor=dpo)


def test_the_queue_marks_and_filters_a_failed_step_and_the_page_retries_it(
    dpo, in_progress, monkeypatch
):
    started = []
    monkeypatch.setitem(execution._executors, Kind.OBJECTION, started.append)
    ExecutionStep.objects.create(
        rights_request=in_progress, name="notify recipients", status="failed", error="Boom"
    )
    fine = RightsRequestFactory(kind=Kind.OBJECTION, state=State.IN_PROGRESS, assignee=dpo)
    client = staff_client_for(dpo)
    queue = "/admin/dsr_requests/rightsrequest/"

    listed = client.get(queue, {"attention": "step_failed"}).content.decode()
    page = client.get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[in_progress.pk])
    ).content.decode()
    retry_url = reverse("admin:dsr_requests_rightsrequest_retry", args=[in_progress.pk])
    with_capture = client.post(retry_url, follow=True)

    assert in_progress.reference in listed
    assert fine.reference not in listed
    assert "step failed" in listed
    assert "notify recipients" in page
    assert "Boom" in page
    assert retry_url in page
    assert with_capture.status_code == 200
    assert "being run again" in with_capture.content.decode()
    assert in_progress.steps.get().status == ExecutionStep.Status.PENDING


def test_an_auditor_sees_the_failure_but_no_retry_button(auditor, in_progress):
    ExecutionStep.objects.create(rights_request=in_progress, name="build", status="failed")
    page = (
        staff_client_for(auditor)
        .get(reverse("admin:dsr_requests_rightsrequest_change", args=[in_progress.pk]))
        .content.decode()
    )
    assert "build" in page
    assert reverse("admin:dsr_requests_rightsrequest_retry", args=[in_progress.pk]) not in page
