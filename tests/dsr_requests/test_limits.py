"""Restriction (GDPR Art. 18) and objection (Art. 21) requests carried out end to end: the
flags on the subject, what they stop, the answer to the person, compelling grounds, lifting
with notice (Art. 18(3)), and a rerun that changes nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.exceptions import ContactRefused
from consent.models import Newsletter
from consent.selectors import ContactReason, consent_contact_decision
from consent.services import consent_give, marketing_message_build, newsletter_subscribe
from dsr_requests import limits, services
from dsr_requests.exceptions import RightsRequestError, TransitionRefused
from dsr_requests.limits import rights_request_limit_decide, rights_request_limit_lift
from dsr_requests.models import AuditAction, AuditEvent, ExecutionStep, NotificationSend
from dsr_requests.workflow import Kind, State
from subjects.models import ProcessingLimit, PurposeCode
from subjects.selectors import subject_processing_allowed
from tests.dsr_requests.factories import RightsRequestFactory
from tests.staff import staff_client_for
from tests.subjects.factories import DataSubjectFactory
from velux_privacy.calendar import local_date, start_of_day

pytestmark = pytest.mark.django_db
P = PurposeCode


@pytest.fixture
def subject(db):
    subject = DataSubjectFactory(email="lotte@example.com", preferred_language="nl")
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    newsletter_subscribe(
        subject=subject, newsletter=Newsletter.objects.get(code="offers"), channel="web"
    )
    mail.outbox.clear()
    return subject


def _request(subject, dpo, kind, **fields):
    return RightsRequestFactory(kind=kind, subject=subject, assignee=dpo, language="en", **fields)


def _decide(rights_request, dpo, capture, **decision):
    with capture(execute=True):
        rights_request_limit_decide(rights_request=rights_request, actor=dpo, **decision)
    rights_request.refresh_from_db()
    return rights_request


def _marketing(subject):
    return marketing_message_build(
        subject=subject,
        newsletter=Newsletter.objects.get(code="offers"),
        subject_line="Nieuw",
        body_text="Ontdek",
        body_html="<p>Ontdek</p>",
    )


def test_a_restriction_stops_marketing_and_business_development_and_surveys(
    subject, dpo, django_capture_on_commit_callbacks
):
    _marketing(subject)  # allowed before
    rights_request = _request(subject, dpo, Kind.RESTRICTION, details="My data is wrong.")

    done = _decide(rights_request, dpo, django_capture_on_commit_callbacks)

    assert done.state == State.COMPLETED
    limit = ProcessingLimit.objects.get(subject=subject)
    assert (limit.kind, limit.purpose, limit.reason, limit.reference, limit.ended_at) == (
        ProcessingLimit.Kind.RESTRICTION,
        "",
        "My data is wrong.",
        rights_request.reference,
        None,
    )
    decision = consent_contact_decision(subject=subject, purpose="email_marketing")
    assert (decision.allowed, decision.reason) == (False, ContactReason.RESTRICTED)
    with pytest.raises(ContactRefused):
        _marketing(subject)
    for purpose in (P.BUSINESS_DEVELOPMENT, P.SURVEYS):
        assert not subject_processing_allowed(subject=subject, purpose=purpose)
    assert [m.to for m in mail.outbox] == [["lotte@example.com"]]
    assert "GDPR Article 18(2)" in mail.outbox[0].body
    assert "Nor do we contact you for marketing." in mail.outbox[0].body
    assert "tell you before" in mail.outbox[0].body
    assert AuditEvent.objects.get(
        rights_request=rights_request, action=AuditAction.LIMIT_SET
    ).details == {"limits": [limit.pk], "purposes": [""], "ends_on": None}
    assert dict(done.steps.values_list("name", "status")) == {
        "limit_set": "done",
        "answer": "done",
    }


def test_a_restriction_the_person_asked_to_end_holds_through_its_last_day(
    subject, dpo, django_capture_on_commit_callbacks
):
    last_day = local_date() + timedelta(days=30)
    rights_request = _request(subject, dpo, Kind.RESTRICTION, purpose=P.SURVEYS)

    _decide(rights_request, dpo, django_capture_on_commit_callbacks, ends_on=last_day)

    limit = ProcessingLimit.objects.get(subject=subject)
    assert limit.ended_at == start_of_day(last_day + timedelta(days=1))
    assert not subject_processing_allowed(
        subject=subject, purpose=P.SURVEYS, now=start_of_day(last_day) + timedelta(hours=23)
    )
    assert subject_processing_allowed(subject=subject, purpose=P.SURVEYS, now=limit.ended_at)
    assert "until" in mail.outbox[0].body
    assert "marketing" not in mail.outbox[0].body  # a restriction of surveys only


def test_a_restriction_cannot_end_in_the_past(subject, dpo, django_capture_on_commit_callbacks):
    rights_request = _request(subject, dpo, Kind.RESTRICTION)

    with pytest.raises(RightsRequestError) as refused:
        rights_request_limit_decide(
            rights_request=rights_request, actor=dpo, ends_on=local_date() - timedelta(days=1)
        )

    assert "ends_on" in refused.value.fields
    rights_request.refresh_from_db()
    assert rights_request.state == State.VERIFIED


def test_an_objection_is_granted_by_default(subject, dpo, django_capture_on_commit_callbacks):
    rights_request = _request(subject, dpo, Kind.OBJECTION, purpose=P.SURVEYS)

    done = _decide(rights_request, dpo, django_capture_on_commit_callbacks)

    assert done.state == State.COMPLETED
    limit = ProcessingLimit.objects.get(subject=subject)
    assert (limit.kind, limit.purpose) == (ProcessingLimit.Kind.OBJECTION, P.SURVEYS)
    assert not subject_processing_allowed(subject=subject, purpose=P.SURVEYS)
    assert subject_processing_allowed(subject=subject, purpose=P.BUSINESS_DEVELOPMENT)
    assert consent_contact_decision(subject=subject, purpose="email_marketing").allowed
    assert "objection is granted" in done.outcome
    assert "objection is granted" in mail.outbox[0].body


def test_an_objection_naming_no_purpose_stops_every_purpose_one_may_object_to(
    subject, dpo, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.OBJECTION)

    _decide(rights_request, dpo, django_capture_on_commit_callbacks)

    assert sorted(
        ProcessingLimit.objects.filter(subject=subject).values_list("purpose", flat=True)
    ) == sorted([P.BUSINESS_DEVELOPMENT, P.COMMERCIAL_COMMUNICATION, P.SURVEYS])
    assert consent_contact_decision(subject=subject, purpose="email_marketing").reason == (
        ContactReason.OBJECTED
    )
    assert subject_processing_allowed(subject=subject, purpose=P.CUSTOMERS)


def test_compelling_grounds_are_recorded_and_told_and_nothing_stops(
    subject, dpo, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.OBJECTION, purpose=P.BUSINESS_DEVELOPMENT)
    grounds = "The product safety recall analysis needs the installation data."

    done = _decide(rights_request, dpo, django_capture_on_commit_callbacks, grounds=grounds)

    assert done.state == State.COMPLETED
    assert done.objection_grounds == grounds
    assert not ProcessingLimit.objects.filter(subject=subject).exists()
    assert subject_processing_allowed(subject=subject, purpose=P.BUSINESS_DEVELOPMENT)
    assert grounds in done.outcome
    assert grounds in mail.outbox[0].body
    assert "Article 21(1)" in mail.outbox[0].body
    recorded = AuditEvent.objects.get(
        rights_request=rights_request, action=AuditAction.OBJECTION_GROUNDS
    )
    assert recorded.actor == dpo
    assert recorded.details == {}  # the text stays on the request, not in the trail


def test_grounds_against_an_objection_to_every_purpose_still_stop_marketing(
    subject, dpo, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.OBJECTION)

    done = _decide(rights_request, dpo, django_capture_on_commit_callbacks, grounds="Recall.")

    assert list(
        ProcessingLimit.objects.filter(subject=subject).values_list("purpose", flat=True)
    ) == [P.COMMERCIAL_COMMUNICATION]
    assert "Article 21(3)" in done.outcome


@pytest.mark.parametrize(
    ("purpose", "grounds"),
    [(P.COMMERCIAL_COMMUNICATION, "We like sending offers."), (P.CUSTOMERS, "")],
    ids=["grounds against direct marketing", "objection to contract processing"],
)
def test_an_objection_decision_the_law_does_not_allow_is_refused(subject, dpo, purpose, grounds):
    rights_request = _request(subject, dpo, Kind.OBJECTION, purpose=purpose)

    with pytest.raises(RightsRequestError) as refused:
        rights_request_limit_decide(rights_request=rights_request, actor=dpo, grounds=grounds)

    assert refused.value.code == "limit_decision_invalid"
    assert "grounds" in refused.value.fields
    rights_request.refresh_from_db()
    assert (rights_request.state, rights_request.objection_grounds) == (State.VERIFIED, "")


def test_lifting_a_restriction_tells_the_person_first_and_ends_it_after_the_notice(
    subject, dpo, settings, django_capture_on_commit_callbacks
):
    settings.RESTRICTION_LIFT_NOTICE_DAYS = 14
    rights_request = _request(subject, dpo, Kind.RESTRICTION)
    _decide(rights_request, dpo, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        rights_request_limit_lift(
            rights_request=rights_request, actor=dpo, reason="The data was checked.", now=now
        )

    ends_at = start_of_day(local_date() + timedelta(days=14))  # 14 days after it was sent
    assert ProcessingLimit.objects.get(subject=subject).ended_at == ends_at
    assert not consent_contact_decision(subject=subject, purpose="email_marketing").allowed
    assert consent_contact_decision(subject=subject, purpose="email_marketing", now=ends_at).allowed
    (notice,) = mail.outbox
    assert "Article 18(3)" in notice.body
    assert "The data was checked." in notice.body
    assert (
        NotificationSend.objects.get(
            rights_request=rights_request, kind=NotificationSend.Kind.LIMIT_LIFT
        ).status
        == NotificationSend.Status.SENT
    )
    with pytest.raises(RightsRequestError) as again:
        rights_request_limit_lift(rights_request=rights_request, actor=dpo, reason="Again.")
    assert again.value.code == "nothing_to_lift"


def test_a_lift_whose_e_mail_cannot_be_sent_lifts_nothing_until_it_is_sent(
    subject, dpo, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail import EmailMultiAlternatives

    rights_request = _request(subject, dpo, Kind.RESTRICTION)
    _decide(rights_request, dpo, django_capture_on_commit_callbacks)
    real_send = EmailMultiAlternatives.send

    def mail_server_down(self, *args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailMultiAlternatives, "send", mail_server_down)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_limit_lift(rights_request=rights_request, actor=dpo, reason="Checked.")

    notice = NotificationSend.objects.get(
        rights_request=rights_request, kind=NotificationSend.Kind.LIMIT_LIFT
    )
    assert notice.status == NotificationSend.Status.FAILED
    assert ProcessingLimit.objects.get(subject=subject).ended_at is None
    with pytest.raises(RightsRequestError) as twice:
        rights_request_limit_lift(rights_request=rights_request, actor=dpo, reason="Again.")
    assert twice.value.code == "lift_announced"

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    assert services.notification_send(notification_id=notice.pk) == "sent"

    ended_at = ProcessingLimit.objects.get(subject=subject).ended_at
    assert ended_at == start_of_day(local_date() + timedelta(days=14))


def test_an_objection_is_never_lifted(subject, dpo, django_capture_on_commit_callbacks):
    rights_request = _request(subject, dpo, Kind.OBJECTION)
    _decide(rights_request, dpo, django_capture_on_commit_callbacks)

    with pytest.raises(TransitionRefused):
        rights_request_limit_lift(rights_request=rights_request, actor=dpo, reason="No.")


def test_a_rerun_changes_nothing(subject, dpo, django_capture_on_commit_callbacks):
    rights_request = _request(subject, dpo, Kind.RESTRICTION)
    _decide(rights_request, dpo, django_capture_on_commit_callbacks)
    limits_before = list(ProcessingLimit.objects.values_list("pk", "ended_at"))
    events_before = AuditEvent.objects.filter(rights_request=rights_request).count()

    with django_capture_on_commit_callbacks(execute=True):
        limits.limit_execute(rights_request_id=rights_request.pk)

    assert list(ProcessingLimit.objects.values_list("pk", "ended_at")) == limits_before
    assert AuditEvent.objects.filter(rights_request=rights_request).count() == events_before
    assert len(mail.outbox) == 1


def test_a_failed_answer_retried_sets_no_second_limit(
    subject, dpo, monkeypatch, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.OBJECTION, purpose=P.SURVEYS)
    real_done = services.rights_request_execution_done

    class QueueDown(Exception):
        pass

    def failing_done(**kwargs):
        raise QueueDown()

    monkeypatch.setattr(services, "rights_request_execution_done", failing_done)
    with pytest.raises(QueueDown):  # eager task: the failure reaches the caller
        _decide(rights_request, dpo, django_capture_on_commit_callbacks)
    rights_request.refresh_from_db()
    assert rights_request.state == State.IN_PROGRESS
    assert rights_request.steps.get(name="answer").status == ExecutionStep.Status.FAILED

    monkeypatch.setattr(services, "rights_request_execution_done", real_done)
    with django_capture_on_commit_callbacks(execute=True):
        services.execution_retry(rights_request=rights_request, actor=dpo)

    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    assert ProcessingLimit.objects.filter(subject=subject).count() == 1
    assert rights_request.steps.get(name="limit_set").attempts == 1


def test_staff_record_compelling_grounds_on_the_request_page(
    subject, dpo, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.OBJECTION, purpose=P.SURVEYS)
    client = staff_client_for(dpo)
    url = reverse("admin:dsr_requests_rightsrequest_step", args=[rights_request.pk, "complete"])

    form = client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"grounds": "Needed for the installer quality audit."})

    assert 'name="grounds"' in form
    assert response.status_code == 302
    rights_request.refresh_from_db()
    assert rights_request.state == State.COMPLETED
    assert rights_request.objection_grounds == "Needed for the installer quality audit."
    page = client.get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    ).content.decode()
    assert "Needed for the installer quality audit." in page


def test_staff_lift_a_restriction_from_the_request_page(
    subject, dpo, django_capture_on_commit_callbacks
):
    rights_request = _request(subject, dpo, Kind.RESTRICTION)
    _decide(rights_request, dpo, django_capture_on_commit_callbacks)
    client = staff_client_for(dpo)
    page = client.get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    ).content.decode()
    url = reverse("admin:dsr_requests_rightsrequest_step", args=[rights_request.pk, "lift"])

    empty = client.post(url, {"reason": "  "})
    with django_capture_on_commit_callbacks(execute=True):
        lifted = client.post(url, {"reason": "Accuracy verified."})

    after = client.get(
        reverse("admin:dsr_requests_rightsrequest_change", args=[rights_request.pk])
    ).content.decode()
    assert url in page
    assert empty.status_code == 200  # the form again, with its error
    assert lifted.status_code == 302
    assert ProcessingLimit.objects.get(subject=subject).ended_at is not None
    assert url not in after  # nothing left to lift: no button
