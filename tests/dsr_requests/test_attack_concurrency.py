"""An outside review of rights requests (issue 8): two staff acting at once, on PostgreSQL
with real threads and connections."""

import contextlib
import threading

import pytest
from django.db import connections

from dsr_requests import roles, services
from dsr_requests.exceptions import RightsRequestError
from dsr_requests.models import RightsRequest
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
from tests.subjects.factories import DataSubjectFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_together(*jobs):
    """Run each job in its own thread and connection; the outcome of each, in order."""
    outcomes: list = [None] * len(jobs)

    def worker(index, job):
        try:
            outcomes[index] = job()
        except Exception as error:  # reported to the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_staff_merging_two_requests_into_each_other_get_a_message_not_a_deadlock(
    monkeypatch,
):
    """Three open access requests of one person: one staff member merges the second into the
    third while another merges the third into the second. `rights_request_merge` locked the
    request merged, then the one it goes into: the two transactions each held one lock and
    waited for the other, PostgreSQL killed one ("deadlock detected"), a 500 in the admin.
    Both are locked in one order now; the one that comes second is told the target is no
    longer open."""
    subject = DataSubjectFactory()
    first, second, third = (
        RightsRequestFactory(subject=subject, kind=Kind.ACCESS, state=State.VERIFIED)
        for _ in range(3)
    )
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    other_dpo = staff_in(roles.DPO, email="dpo2@velux.example")
    both_hold_one = threading.Barrier(2)
    lock = services._lock

    def lock_then_wait(*args, **kwargs):
        locked = lock(*args, **kwargs)
        # Each has locked the request it merges: now both go for the other one. A broken
        # barrier: the other is still waiting for its first lock, nothing crosses.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_hold_one.wait(timeout=2)
        return locked

    monkeypatch.setattr(services, "_lock", lock_then_wait)

    outcomes = _run_together(
        lambda: services.rights_request_merge(rights_request=second, into=third, actor=dpo),
        lambda: services.rights_request_merge(rights_request=third, into=second, actor=other_dpo),
    )

    merged = [o for o in outcomes if isinstance(o, RightsRequest)]
    refused = [o for o in outcomes if isinstance(o, RightsRequestError)]
    assert (len(merged), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "merge_target_invalid"
    states = dict(RightsRequest.objects.values_list("pk", "state"))
    assert sorted([states[second.pk], states[third.pk]]) == [State.MERGED, State.VERIFIED]
    assert states[first.pk] == State.VERIFIED


def test_two_requests_of_a_new_person_verified_at_once_are_linked_as_duplicates():
    """Two staff verify, at the same moment, two access requests of one address VELUX holds
    nothing on yet: one person is created, and the later request is linked to the first."""
    dpo = staff_in(roles.DPO, email="dpo@velux.example")
    other_dpo = staff_in(roles.DPO, email="dpo2@velux.example")
    email = "nieuw@example.com"
    one, two = (
        RightsRequestFactory(
            subject=None, email=email, kind=Kind.ACCESS, state=State.RECEIVED, channel="letter"
        )
        for _ in range(2)
    )
    start = threading.Barrier(2)

    def verify(rights_request, actor):
        start.wait(timeout=5)
        return services.rights_request_verify(
            rights_request=rights_request,
            actor=actor,
            method=RightsRequest.IdentityMethod.KNOWN_DETAILS,
        )

    outcomes = _run_together(lambda: verify(one, dpo), lambda: verify(two, other_dpo))

    assert all(isinstance(o, RightsRequest) for o in outcomes), outcomes
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.subject_id == two.subject_id is not None
    assert {one.duplicate_of_id, two.duplicate_of_id} == {None, one.pk}
