"""Erasing one subject through the data map (GDPR Art. 17), with what must be kept."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, signals
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subjects.datamap import KeepReason, SubjectHold, datamap
from subjects.models import (
    Application,
    BrowsingEvent,
    ContactRequest,
    DataSubject,
    DeletionReceipt,
    ErasurePending,
    Order,
    OrderLine,
    PurposeCode,
    SurveyResponse,
)
from subjects.services import (
    ErasureCause,
    ErasureRefused,
    subject_erase,
    subject_hash,
    subjects_erase,
)
from tests.subjects.factories import (
    ApplicationFactory,
    BrowsingEventFactory,
    BusinessContactFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    DeviceIdentifierFactory,
    LegalHoldFactory,
    OrderFactory,
    OrderLineFactory,
    SurveyResponseFactory,
    UserFactory,
)
from velux_privacy.models import LoginSession, User
from velux_privacy.sessions import SessionStore

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
MARK = "Zyxwvq"  # a distinctive string put in every personal field of the subject under test
CAUSE = ErasureCause(kind="rights_request", reference="R-TEST")


def _person_with_everything(*, order_placed_at=None, order_status=Order.Status.CLOSED):
    """A subject with rows in every category of the map, none of them kept by any rule."""
    user = UserFactory(email=f"{MARK.lower()}@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject = DataSubjectFactory(
        email=f"{MARK.lower()}@example.com",
        first_name=MARK,
        last_name=MARK,
        phone=f"+32 {MARK}",
        street=f"{MARK}straat 1",
        city=MARK,
        user=user,
    )
    BusinessContactFactory(subject=subject, company_name=f"{MARK} BV", notes=MARK)
    ContactRequestFactory(subject=subject, message=MARK, status=ContactRequest.Status.CLOSED)
    order = OrderFactory(
        subject=subject,
        placed_at=order_placed_at or NOW - dt.timedelta(days=365 * 9),
        status=order_status,
        delivery_street=f"{MARK}straat 1",
        delivery_city=MARK,
        payment_card_last4="4242",
    )
    OrderLineFactory(order=order)
    device = DeviceIdentifierFactory(subject=subject, value=f"cookie-{MARK}")
    BrowsingEventFactory.create_batch(3, subject=subject, device=device, path=f"/{MARK}")
    SurveyResponseFactory(subject=subject, comment=MARK, answers={"q1": MARK})
    ApplicationFactory(
        subject=subject, experience=MARK, references=MARK, status=Application.Status.REJECTED
    )
    LegalHoldFactory(subject=subject, reason=MARK, released_at=NOW - dt.timedelta(days=1))
    return subject


def _text_left_anywhere(mark: str) -> list[str]:
    """Every mapped row, in every text or JSON column, that still contains `mark`."""
    found = []
    for category in datamap.categories():
        model = category.model
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                rows = [r for r in model._default_manager.values_list(field.name, flat=True)]
                found += [
                    f"{model._meta.label}.{field.name}" for r in rows if mark in json.dumps(r)
                ]
            elif isinstance(field, models.CharField | models.TextField):
                lookup = {f"{field.name}__icontains": mark}
                if model._default_manager.filter(**lookup).exists():
                    found.append(f"{model._meta.label}.{field.name}")
    if LogEntry.objects.filter(object_repr__icontains=mark).exists():
        found.append("admin.LogEntry.object_repr")
    return found


def test_after_erasure_nothing_about_the_person_is_left_in_any_mapped_table():
    subject = _person_with_everything()
    bystander = DataSubjectFactory(first_name="Bystander")
    BrowsingEventFactory(subject=bystander)
    assert len(_text_left_anywhere(MARK)) > 10  # the check sees the data before

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert _text_left_anywhere(MARK) == []
    assert summary.subject_deleted is True
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
    assert summary.rows_kept == 0
    assert summary.categories["browsing_history"].deleted == 3
    assert summary.categories["login"].deleted == 1
    assert summary.categories["login_email_addresses"].deleted == 1
    assert summary.categories["orders"].deleted == 1
    assert summary.categories["order_lines"].deleted == 1
    assert DataSubject.objects.get(pk=bystander.pk).browsing_events.count() == 1


def test_erasure_summary_holds_no_personal_data():
    subject = _person_with_everything()

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    dumped = json.dumps(summary.as_dict())
    assert MARK.lower() not in dumped.lower()
    assert summary.as_dict()["categories"]["survey_responses"] == {
        "deleted": 1,
        "anonymised": 0,
        "anonymised_for": {},
        "kept": {},
    }


def test_an_order_in_the_accounting_period_is_anonymised_and_kept():
    subject = _person_with_everything(order_placed_at=NOW - dt.timedelta(days=365 * 3))
    order = Order.objects.get(subject=subject)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    order.refresh_from_db()
    assert order.subject is None
    assert (order.delivery_street, order.delivery_city, order.payment_card_last4) == ("", "", "")
    assert order.anonymised_at == NOW
    assert order.total_amount == Decimal("649.00")
    assert OrderLine.objects.filter(order=order).count() == 1
    assert summary.categories["orders"].anonymised == 1
    assert summary.categories["order_lines"].kept == {KeepReason.ACCOUNTING_PERIOD: 1}
    assert summary.subject_deleted is True
    assert _text_left_anywhere(MARK) == []


@pytest.mark.parametrize(
    ("placed_at", "delivered_at", "outcome"),
    [
        # Delivered in 2018 (Brussels): in the books until 1 January 2026.
        (
            dt.datetime(2018, 6, 1, tzinfo=dt.UTC),
            dt.datetime(2018, 12, 31, 22, 30, tzinfo=dt.UTC),
            "deleted",
        ),
        # 23:30 UTC on New Year's Eve is already 2019 in Brussels: in the books until 2027.
        (
            dt.datetime(2018, 6, 1, tzinfo=dt.UTC),
            dt.datetime(2018, 12, 31, 23, 30, tzinfo=dt.UTC),
            "anonymised",
        ),
        # Placed more than seven years ago, but delivered later: it counts from the delivery.
        (
            dt.datetime(2018, 3, 1, tzinfo=dt.UTC),
            dt.datetime(2020, 2, 1, tzinfo=dt.UTC),
            "anonymised",
        ),
        # Never delivered (cancelled): it counts from the order date.
        (dt.datetime(2019, 3, 1, tzinfo=dt.UTC), None, "anonymised"),
        (dt.datetime(2018, 3, 1, tzinfo=dt.UTC), None, "deleted"),
    ],
    ids=[
        "delivered-2018",
        "delivered-2019-in-brussels",
        "delivered-later",
        "placed-2019",
        "placed-2018",
    ],
)
def test_orders_stay_in_the_books_seven_years_from_the_january_after_delivery(
    placed_at, delivered_at, outcome
):
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, placed_at=placed_at, delivered_at=delivered_at)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert getattr(summary.categories["orders"], outcome) == 1


def test_an_open_order_keeps_only_what_delivering_it_needs_and_the_login_to_follow_it():
    subject = _person_with_everything(order_status=Order.Status.OPEN)
    subject.last_activity_at = NOW
    subject.save()

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["orders"].kept == {KeepReason.OPEN_ORDER: 1}
    assert summary.categories["order_lines"].kept == {KeepReason.OPEN_ORDER: 1}
    assert summary.categories["identity"].anonymised_for == {KeepReason.OPEN_ORDER: 1}
    assert summary.categories["login"].kept == {KeepReason.OPEN_ORDER: 1}
    assert summary.categories["login_email_addresses"].kept == {KeepReason.OPEN_ORDER: 1}
    assert summary.subject_deleted is False
    assert Order.objects.get(subject=subject).delivery_city == MARK
    kept = DataSubject.objects.get(pk=subject.pk)
    # Name, e-mail, phone and language to deliver; not the home address, not the activity.
    assert (kept.first_name, kept.phone) == (MARK, f"+32 {MARK}")
    assert (kept.street, kept.postal_code, kept.city, kept.last_activity_at) == ("", "", "", None)
    assert kept.user is not None
    assert kept.user.has_usable_password()
    # Everything not needed for the open order is gone.
    assert summary.categories["browsing_history"].deleted == 3
    assert summary.categories["survey_responses"].deleted == 1


def test_an_erasure_kept_back_by_an_open_order_is_recorded_to_be_finished():
    subject = _person_with_everything(order_status=Order.Status.OPEN)

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    pending = ErasurePending.objects.get(subject=subject)
    assert (pending.cause, pending.cause_reference) == ("rights_request", "R-TEST")
    assert pending.purposes is None
    assert pending.kept_for == [KeepReason.OPEN_ORDER]


def test_finishing_the_erasure_once_the_order_closed_removes_what_was_kept():
    subject = _person_with_everything(order_status=Order.Status.OPEN)
    subject_erase(cause=CAUSE, subject=subject, now=NOW)
    Order.objects.filter(subject=subject).update(
        status=Order.Status.CLOSED, placed_at=NOW - dt.timedelta(days=365 * 9)
    )

    again = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert again.subject_deleted is True
    assert _text_left_anywhere(MARK) == []
    assert not ErasurePending.objects.exists()


@pytest.mark.parametrize(
    ("factory", "fields", "category", "reason"),
    [
        (ContactRequestFactory, {"status": "open"}, "contact_requests", "open_contact_request"),
        (ApplicationFactory, {"status": "in_review"}, "applications", "open_application"),
        (
            BusinessContactFactory,
            {"contract_start": dt.date(2025, 1, 1), "contract_end": dt.date(2027, 1, 1)},
            "business_contacts",
            "contract_in_force",
        ),
    ],
)
def test_rows_still_needed_for_their_purpose_are_kept(factory, fields, category, reason):
    subject = DataSubjectFactory()
    factory(subject=subject, **fields)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories[category].kept == {reason: 1}
    assert summary.subject_deleted is False


@pytest.mark.parametrize(
    ("start", "end", "erased_at", "outcome"),
    [
        # 23:30 UTC on 1 March is 2 March in Brussels: a contract ended on 1 March is over.
        (
            dt.date(2020, 1, 1),
            dt.date(2026, 3, 1),
            dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),
            "deleted",
        ),
        (
            dt.date(2020, 1, 1),
            dt.date(2026, 3, 1),
            dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC),
            "kept",
        ),
        # No start recorded, but an end still ahead: in force.
        (None, dt.date(2027, 1, 1), NOW, "kept"),
        (None, None, NOW, "deleted"),
    ],
    ids=["ended-in-brussels", "last-day-in-brussels", "end-ahead-no-start", "no-contract"],
)
def test_a_contract_is_in_force_until_its_last_brussels_day(start, end, erased_at, outcome):
    subject = DataSubjectFactory()
    BusinessContactFactory(subject=subject, contract_start=start, contract_end=end)

    summary = subject_erase(cause=CAUSE, subject=subject, now=erased_at)

    result = summary.categories["business_contacts"]
    assert (result.deleted, result.kept_total) == ((1, 0) if outcome == "deleted" else (0, 1))


def test_the_accounting_years_are_brussels_years_whatever_time_zone_is_active():
    subject = DataSubjectFactory()
    OrderFactory(
        subject=subject,
        placed_at=dt.datetime(2018, 6, 1, tzinfo=dt.UTC),
        delivered_at=dt.datetime(2018, 12, 31, 23, 30, tzinfo=dt.UTC),
    )

    with timezone.override(dt.UTC):
        summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["orders"].anonymised == 1


def test_an_ended_contract_no_longer_keeps_the_business_contact():
    subject = DataSubjectFactory()
    BusinessContactFactory(
        subject=subject, contract_start=dt.date(2020, 1, 1), contract_end=dt.date(2026, 11, 24)
    )

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["business_contacts"].deleted == 1


def test_an_active_legal_hold_stops_all_erasure():
    subject = _person_with_everything()
    LegalHoldFactory(subject=subject, released_at=None)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.held_by == (KeepReason.LEGAL_HOLD,)
    assert summary.rows_deleted == 0
    assert summary.categories["browsing_history"].kept == {KeepReason.LEGAL_HOLD: 3}
    assert summary.categories["legal_holds"].kept == {KeepReason.LEGAL_HOLD: 2}
    assert DataSubject.objects.filter(pk=subject.pk).exists()
    assert len(_text_left_anywhere(MARK)) > 10


def test_no_caller_may_pass_over_a_legal_hold():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    LegalHoldFactory(subject=subject, released_at=None)

    with pytest.raises(ErasureRefused) as refused:
        subject_erase(cause=CAUSE, subject=subject, now=NOW, ignore_holds=[KeepReason.LEGAL_HOLD])

    assert refused.value.code == "hold_not_ignorable"
    assert subject.browsing_events.count() == 1


def test_an_erasure_request_may_pass_over_its_own_open_request_hold(monkeypatch):
    holds = [SubjectHold(KeepReason.OPEN_RIGHTS_REQUEST, lambda now: Q(pk__isnull=False))]
    monkeypatch.setattr(datamap, "_holds", holds)
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)

    held = subject_erase(cause=CAUSE, subject=subject, now=NOW)
    passed = subject_erase(
        cause=CAUSE, subject=subject, now=NOW, ignore_holds=[KeepReason.OPEN_RIGHTS_REQUEST]
    )

    assert held.held_by == (KeepReason.OPEN_RIGHTS_REQUEST,)
    assert held.categories["browsing_history"].kept == {KeepReason.OPEN_RIGHTS_REQUEST: 1}
    assert passed.held_by == ()
    assert passed.subject_deleted is True


def test_the_unsubscribe_purge_erases_what_was_collected_under_the_marketing_consent():
    subject = _person_with_everything(order_placed_at=NOW - dt.timedelta(days=30))

    summary = subject_erase(
        cause=CAUSE, subject=subject, purposes=[PurposeCode.COMMERCIAL_COMMUNICATION], now=NOW
    )

    assert set(summary.categories) == {
        "device_identifiers",
        "browsing_history",
        "newsletter_subscriptions",  # consent: exists only by the e-mail marketing consent
        "identity",
    }
    assert summary.categories["identity"].kept == {KeepReason.OTHER_PURPOSE: 1}
    assert summary.categories["browsing_history"].deleted == 3
    assert summary.categories["device_identifiers"].deleted == 1
    assert Order.objects.filter(subject=subject).count() == 1
    assert DataSubject.objects.filter(pk=subject.pk).exists()


def test_an_unknown_purpose_is_refused():
    subject = DataSubjectFactory()

    with pytest.raises(ErasureRefused) as refused:
        subject_erase(cause=CAUSE, subject=subject, purposes=["marketing"], now=NOW)

    assert refused.value.code == "unknown_purpose"


def test_erasing_twice_finds_nothing_left_to_do():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    again = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert again.already_erased is True
    assert again.rows_deleted == 0
    assert again.as_dict()["already_erased"] is True


def test_erasure_uses_the_current_time_by_default():
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, placed_at=timezone.now() - dt.timedelta(days=10))

    summary = subject_erase(cause=CAUSE, subject=subject)

    assert summary.categories["orders"].anonymised == 1
    assert Order.objects.get().anonymised_at is not None


def test_a_staff_login_linked_to_a_subject_is_unlinked_and_kept_so_staff_can_sign_in(client):
    staff = UserFactory(email="staff@velux.example", is_staff=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    subject = DataSubjectFactory(user=staff, first_name=MARK)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["login"].kept == {KeepReason.STAFF_LOGIN: 1}
    assert summary.categories["login_email_addresses"].deleted == 0
    assert summary.subject_deleted is True
    assert _text_left_anywhere(MARK) == []
    signed_in = client.post(
        "/en/accounts/login/",
        {"login": "staff@velux.example", "password": "correct horse battery staple"},
    )
    assert signed_in.status_code == 302
    # Signed in: on to the second factor every staff login enrols (velux_privacy.mfa).
    assert "/accounts/2fa/totp/activate/" in client.get("/admin/")["Location"]


def test_the_unsubscribe_purge_leaves_a_linked_staff_login_alone():
    staff = UserFactory(is_staff=True, date_joined=NOW - dt.timedelta(days=800))
    subject = DataSubjectFactory(user=staff)

    summary = subject_erase(
        cause=CAUSE, subject=subject, purposes=[PurposeCode.COMMERCIAL_COMMUNICATION], now=NOW
    )

    assert summary.categories["login"].kept == {KeepReason.STAFF_LOGIN: 1}
    staff.refresh_from_db()
    assert staff.is_active
    assert staff.has_usable_password()


def test_admin_log_entries_about_erased_rows_lose_their_names():
    subject = _person_with_everything()
    staff = UserFactory(is_staff=True)
    address = EmailAddress.objects.get(user=subject.user)
    bystander = DataSubjectFactory()
    for obj in (address, subject, bystander):
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=f"{MARK} {obj.pk}" if obj is not bystander else "Bystander",
            action_flag=CHANGE,
        )

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert not LogEntry.objects.filter(object_repr__icontains=MARK).exists()
    assert LogEntry.objects.filter(object_repr="[erased]").count() == 2
    assert LogEntry.objects.filter(object_repr="Bystander").count() == 1


@pytest.mark.parametrize("digits", ["ab", "12a4", "123"])
def test_an_order_stores_no_card_data_but_four_digits(digits):
    order = OrderFactory(payment_card_last4="")

    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(payment_card_last4=digits)


@pytest.mark.postgres
def test_erasure_locks_the_subject_before_reading_its_holds():
    subject = DataSubjectFactory()

    with CaptureQueriesContext(connection) as queries:
        subject_erase(cause=CAUSE, subject=subject, now=NOW)

    statements = [query["sql"] for query in queries.captured_queries]
    lock = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
    holds_read = next(i for i, sql in enumerate(statements) if "subjects_legalhold" in sql)
    assert lock < holds_read
    assert '"subjects_datasubject"' in statements[lock]


# Issue 6: nothing escapes an erasure.


def test_erasure_ends_the_persons_sessions_and_no_session_row_names_them(client):
    subject = _person_with_everything()
    signed_in = client.post(
        "/en/accounts/login/",
        {"login": subject.user.email, "password": "correct horse battery staple"},
    )
    assert signed_in.status_code == 302
    other = UserFactory(email="other@example.com")
    LoginSession.objects.create(
        session_key="o" * 32,
        session_data=SessionStore().encode({"_auth_user_id": str(other.pk)}),
        expire_date=timezone.now() + dt.timedelta(days=1),
        user=other,
    )
    assert LoginSession.objects.filter(user=subject.user).count() == 1

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["login_sessions"].deleted == 1
    remaining = [SessionStore().decode(s.session_data) for s in LoginSession.objects.all()]
    assert remaining == [{"_auth_user_id": str(other.pk)}]
    assert client.get("/admin/").status_code == 302  # signed out


def test_a_login_with_the_persons_address_but_not_linked_is_erased_too():
    subject = DataSubjectFactory(email=f"{MARK.lower()}@example.com", first_name=MARK)
    unlinked = UserFactory(email=f"{MARK.lower()}@example.com")  # signed up, not verified
    address = EmailAddress.objects.create(user=unlinked, email=unlinked.email, verified=False)
    bystander = UserFactory(email="bystander@example.com")

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["login"].deleted == 1
    assert summary.categories["login_email_addresses"].deleted == 1
    assert not EmailAddress.objects.filter(pk=address.pk).exists()
    assert _text_left_anywhere(MARK) == []
    assert User.objects.filter(pk=bystander.pk).exists()


def test_an_unlinked_staff_login_with_the_persons_address_stays():
    subject = DataSubjectFactory(email="an@example.com")
    staff = UserFactory(email="an@example.com", is_staff=True)

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.categories["login"].kept == {KeepReason.STAFF_LOGIN: 1}
    assert User.objects.filter(pk=staff.pk).exists()


def test_the_unsubscribe_purge_takes_a_newsletter_only_person_entirely():
    subject = DataSubjectFactory(email=f"{MARK.lower()}@example.com", first_name=MARK)
    device = DeviceIdentifierFactory(subject=subject, value=f"cookie-{MARK}")
    BrowsingEventFactory.create_batch(2, subject=subject, device=device)
    long_ago = NOW - dt.timedelta(days=800)
    user = UserFactory(email=subject.email, date_joined=long_ago, last_login=long_ago)
    subject.user = user
    subject.save()

    summary = subject_erase(
        cause=CAUSE, subject=subject, purposes=[PurposeCode.COMMERCIAL_COMMUNICATION], now=NOW
    )

    assert summary.subject_deleted is True
    assert summary.categories["login"].deleted == 1
    assert _text_left_anywhere(MARK) == []


@pytest.mark.parametrize(
    ("other_data", "reason"),
    [
        ("order", KeepReason.OTHER_PURPOSE),
        ("survey", KeepReason.OTHER_PURPOSE),
        ("login_in_use", KeepReason.LOGIN_IN_USE),
    ],
)
def test_the_unsubscribe_purge_leaves_the_person_while_another_purpose_needs_them(
    other_data, reason
):
    subject = DataSubjectFactory(first_name=MARK)
    BrowsingEventFactory(subject=subject)
    if other_data == "order":
        OrderFactory(subject=subject, placed_at=NOW - dt.timedelta(days=30))
    elif other_data == "survey":
        SurveyResponseFactory(subject=subject)
    else:
        subject.user = UserFactory(last_login=NOW - dt.timedelta(days=20))
        subject.save()

    summary = subject_erase(
        cause=CAUSE, subject=subject, purposes=[PurposeCode.COMMERCIAL_COMMUNICATION], now=NOW
    )

    assert summary.categories["browsing_history"].deleted == 1
    assert summary.categories["identity"].kept == {reason: 1}
    assert DataSubject.objects.get(pk=subject.pk).first_name == MARK


def test_a_legal_hold_released_in_the_future_still_holds_today():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    LegalHoldFactory(subject=subject, released_at=NOW + dt.timedelta(days=90))

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)
    later = subject_erase(cause=CAUSE, subject=subject, now=NOW + dt.timedelta(days=91))

    assert summary.held_by == (KeepReason.LEGAL_HOLD,)
    assert summary.rows_deleted == 0
    assert later.held_by == ()
    assert later.subject_deleted is True


def test_an_erasure_held_by_a_legal_hold_is_recorded_to_be_finished():
    subject = DataSubjectFactory()
    LegalHoldFactory(subject=subject, released_at=None)

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert ErasurePending.objects.get(subject=subject).kept_for == [KeepReason.LEGAL_HOLD]


@pytest.mark.parametrize(
    ("invoiced_on", "outcome"),
    [
        # Invoiced in 2016: the VAT Code keeps it until the end of 2026 (10 years from 1
        # January 2017), though the accounting law's 7 years (from delivery) have passed.
        (dt.date(2016, 12, 31), "anonymised"),
        # Invoiced in 2015: kept until the end of 2025, gone now.
        (dt.date(2015, 12, 31), "deleted"),
    ],
)
def test_an_invoiced_order_stays_ten_years_from_the_january_after_the_invoice(invoiced_on, outcome):
    subject = DataSubjectFactory()
    OrderFactory(
        subject=subject,
        placed_at=dt.datetime(2015, 12, 1, tzinfo=dt.UTC),
        delivered_at=dt.datetime(2015, 12, 20, tzinfo=dt.UTC),
        invoiced_on=invoiced_on,
    )

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert getattr(summary.categories["orders"], outcome) == 1
    if outcome == "anonymised":
        assert summary.categories["orders"].anonymised_for == {KeepReason.VAT_PERIOD: 1}


# Set-based erasure: one implementation for a batch, bounded statements, no rows in Python.


def test_a_batch_erasure_gives_one_summary_per_subject_and_one_receipt_each():
    people = DataSubjectFactory.create_batch(3)
    for number, person in enumerate(people):
        BrowsingEventFactory.create_batch(number + 1, subject=person)
    OrderFactory(subject=people[2], status=Order.Status.OPEN)
    bystander = DataSubjectFactory()
    BrowsingEventFactory(subject=bystander)

    summaries = subjects_erase(subject_ids=[p.pk for p in people], cause=CAUSE, now=NOW)

    assert [summaries[p.pk].categories["browsing_history"].deleted for p in people] == [1, 2, 3]
    assert [summaries[p.pk].subject_deleted for p in people] == [True, True, False]
    assert DeletionReceipt.objects.count() == 3
    assert bystander.browsing_events.count() == 1


def test_the_receipt_holds_the_keyed_hash_of_the_address_and_no_personal_data():
    subject = _person_with_everything()
    email = subject.email

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    receipt = DeletionReceipt.objects.get()
    assert receipt.subject_hash == subject_hash(email.upper())
    assert receipt.subject_hash != subject_hash("someone.else@example.com")
    assert (receipt.cause, receipt.cause_reference, receipt.subject_deleted) == (
        "rights_request",
        "R-TEST",
        True,
    )
    assert receipt.summary["categories"]["browsing_history"]["deleted"] == 3
    assert MARK.lower() not in json.dumps(receipt.summary).lower()
    assert email not in json.dumps(model_to_dict(receipt), default=str)


def test_an_erasure_that_found_nothing_leaves_no_receipt():
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, placed_at=NOW - dt.timedelta(days=3))
    subject_erase(cause=CAUSE, subject=subject, purposes=[PurposeCode.SURVEYS], now=NOW)

    assert DeletionReceipt.objects.count() == 0


def test_erasure_never_loads_rows_whatever_signal_receivers_exist():
    subject = DataSubjectFactory()
    BrowsingEventFactory.create_batch(50, subject=subject)
    seen = []

    def receiver(sender, **kwargs):
        seen.append(sender)

    signals.pre_delete.connect(receiver, weak=False)
    signals.post_delete.connect(receiver, weak=False)
    try:
        summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)
    finally:
        signals.pre_delete.disconnect(receiver)
        signals.post_delete.disconnect(receiver)

    assert summary.categories["browsing_history"].deleted == 50
    assert seen == []


def _erase_counting_queries(subject_ids):
    with CaptureQueriesContext(connection) as queries:
        subjects_erase(subject_ids=subject_ids, cause=CAUSE, now=NOW)
    return len(queries.captured_queries)


def test_a_batch_costs_the_same_statements_as_one_subject():
    def person():
        subject = _person_with_everything_generated()
        return subject.pk

    one = _erase_counting_queries([person()])
    many = _erase_counting_queries([person() for _ in range(8)])

    assert many == one


def test_a_category_that_holds_nothing_on_the_batch_costs_no_statement_of_its_own():
    people = DataSubjectFactory.create_batch(3)
    SurveyResponseFactory(subject=people[1])
    BrowsingEventFactory(subject=people[2])
    bystander = DataSubjectFactory()
    ApplicationFactory(subject=bystander)

    with CaptureQueriesContext(connection) as queries:
        summaries = subjects_erase(subject_ids=[p.pk for p in people], cause=CAUSE, now=NOW)

    def own(table):  # the statements that read or delete rows of `table` itself
        starts = tuple(
            f'{verb}"{table}"' for verb in ("SELECT ", "DELETE FROM ", "WITH gone AS (DELETE FROM ")
        )
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(starts)]

    # Applications: only looked for, in the statement that finds what the batch holds.
    assert own("subjects_application") == []
    # Survey responses and browsing events: walked and deleted.
    assert own("subjects_surveyresponse")
    assert own("subjects_browsingevent")
    assert summaries[people[1].pk].categories["survey_responses"].deleted == 1
    assert summaries[people[2].pk].categories["browsing_history"].deleted == 1
    assert summaries[people[0].pk].categories["applications"].is_empty
    assert not SurveyResponse.objects.exists()
    assert not BrowsingEvent.objects.exists()
    assert Application.objects.filter(subject=bystander).count() == 1
    assert [summaries[p.pk].subject_deleted for p in people] == [True, True, True]


def _person_with_everything_generated():
    """Like _person_with_everything, with unique addresses (several in one test)."""
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject = DataSubjectFactory(email=user.email, user=user)
    BusinessContactFactory(subject=subject)
    ContactRequestFactory(subject=subject)
    OrderLineFactory(order=OrderFactory(subject=subject, placed_at=NOW - dt.timedelta(days=4000)))
    device = DeviceIdentifierFactory(subject=subject)
    BrowsingEventFactory.create_batch(3, subject=subject, device=device)
    SurveyResponseFactory(subject=subject)
    ApplicationFactory(subject=subject)
    return subject


def test_the_admin_log_is_relabelled_only_for_models_it_has_entries_about():
    subject = _person_with_everything()
    staff = UserFactory(is_staff=True)
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Order),
        object_id="123456",
        object_repr="Order BE-1",
        action_flag=CHANGE,
    )

    with CaptureQueriesContext(connection) as queries:
        subject_erase(cause=CAUSE, subject=subject, now=NOW)

    relabels = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE")
        and "django_admin_log" in q["sql"]
        and "content_type_id" in q["sql"]
    ]
    assert len(relabels) == 1  # orders only: no entry about any other model
