"""Regression tests from the adversarial review of issue 6 (erasure): each failed against 5ef10a9
for a real defect, which its docstring describes; they pass since the fixes."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from subjects.models import (
    DataSubject,
    DeletionReceipt,
    Order,
    ProcessingLimit,
)
from subjects.selectors import subject_processing_allowed
from subjects.services import ErasureCause, subject_erase
from tests.subjects.factories import (
    BrowsingEventFactory,
    BusinessContactFactory,
    DataSubjectFactory,
    OrderFactory,
    ProcessingLimitFactory,
    UserFactory,
)
from velux_privacy.models import User

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
CAUSE = ErasureCause(kind="rights_request", reference="R-ATTACK")


def test_an_unlinked_login_found_by_address_goes_with_all_its_addresses():
    """An unlinked login (signed up, not verified) found by the person's address is deleted,
    but a second address of that login (allauth lets a login add several) is found neither by
    link nor by address: the login's row is DELETEd while that EmailAddress still points at it.
    `_pointed_at` skips EmailAddress as "emptied", so the database's foreign key is the only
    net: the erasure's transaction fails at commit (PostgreSQL) or leaves a dangling row
    (SQLite). Issue 6, "Logins not yet linked"."""
    subject = DataSubjectFactory(email="anna@example.com")
    unlinked = UserFactory(email="anna@example.com")
    EmailAddress.objects.create(user=unlinked, email="anna@example.com", verified=False)
    EmailAddress.objects.create(user=unlinked, email="anna.work@example.com", verified=False)

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    connection.check_constraints()  # what the commit would do
    assert not User.objects.filter(pk=unlinked.pk).exists()
    assert not EmailAddress.objects.filter(email="anna.work@example.com").exists()


def test_a_person_kept_for_a_contract_keeps_their_objection():
    """A full erasure that must keep the identity (a contract in force, §2.1) still deletes
    the person's restrictions and objections (`processing_limits` is erased "with the
    identity" for every active subject, whether the identity goes or not). The person stays
    in the database, and with the objection gone `subject_processing_allowed` says VELUX may
    process their data for §2.4 again: GDPR Art. 21(3) and subjects/privacy.py's own rule
    ("they go with it") are broken."""
    subject = DataSubjectFactory()
    BusinessContactFactory(
        subject=subject, contract_start=dt.date(2025, 1, 1), contract_end=dt.date(2027, 12, 31)
    )
    ProcessingLimitFactory(
        subject=subject,
        kind=ProcessingLimit.Kind.OBJECTION,
        purpose="business_development",
        started_at=NOW - dt.timedelta(days=10),
    )

    summary = subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert summary.subject_deleted is False
    assert DataSubject.objects.filter(pk=subject.pk).exists()
    assert ProcessingLimit.objects.filter(subject=subject).count() == 1
    assert not subject_processing_allowed(subject=subject, purpose="business_development", now=NOW)


def test_running_an_erasure_again_while_an_order_is_open_writes_no_new_receipt():
    """With an open order the identity is reduced (home address and activity blanked) and an
    erasure pending recorded for the daily re-check. Each re-run (the re-check, a retried
    task) "anonymises" the already-blank identity again and writes another deletion receipt
    claiming one more row anonymised: a receipt a day for as long as the order stays open,
    proof of work that was not done (DESIGN.md: a task can run twice without harm)."""
    subject = DataSubjectFactory()
    OrderFactory(subject=subject, status=Order.Status.OPEN)
    first = subject_erase(cause=CAUSE, subject=subject, now=NOW)
    assert first.rows_anonymised == 1

    again = subject_erase(cause=CAUSE, subject=subject, now=NOW + dt.timedelta(days=1))

    assert again.rows_anonymised == 0
    assert DeletionReceipt.objects.count() == 1


def test_erasing_a_former_staff_member_keeps_the_record_of_their_admin_actions():
    """A login that is no longer staff (is_staff cleared, the usual way to take a role away)
    but whose admin actions are recorded is a customer login to the erasure: when the person
    is erased (same address), the login is deleted and its admin log entries with it
    (`_delete_dependants` deletes unmapped CASCADE rows). The admin refuses to delete such a
    login (`login_records_actions`), the erasure does not ask: issue 6, "staff logins are not
    deleted while anything records their actions"."""
    former = UserFactory(email="jan@example.com", is_staff=False)
    subject = DataSubjectFactory(email="jan@example.com", user=former)
    other = DataSubjectFactory()
    LogEntry.objects.create(
        user=former,
        content_type=ContentType.objects.get_for_model(other),
        object_id=str(other.pk),
        object_repr=str(other),
        action_flag=CHANGE,
    )

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert LogEntry.objects.filter(object_id=str(other.pk)).count() == 1


@pytest.mark.postgres
def test_a_full_erasure_receipt_has_no_purposes_on_postgresql_as_on_sqlite():
    """The receipts insert of PostgreSQL sends `json.dumps(None)`, i.e. the JSON value null,
    where the ORM (SQLite, bulk_create) stores SQL NULL: on PostgreSQL
    `DeletionReceipt.objects.filter(purposes__isnull=True)` (every full erasure) finds nothing.
    The same data, two meanings by backend (STYLE.md §7: CI tests what ships)."""
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)

    subject_erase(cause=CAUSE, subject=subject, now=NOW)

    assert DeletionReceipt.objects.filter(purposes__isnull=True).count() == 1


@pytest.mark.postgres
def test_in_array_matches_only_equal_values_like_in():
    """On PostgreSQL `in_array` casts the list to the column's own type, `varchar(254)[]` for
    an e-mail column, and an explicit cast to varchar(n) silently cuts longer values: a value
    that only *starts* with a stored address matches it, where `__in` (and SQLite) finds
    nothing. The erasure selects logins, addresses and sessions to delete by `in_array` on
    e-mail columns: the condition must mean equality, whatever the values."""
    stored = "a" * 242 + "@example.com"  # 254 characters, the column's length
    assert len(stored) == 254
    UserFactory(email=stored)
    longer = stored + ".evil"

    assert list(User.objects.filter(email__in=[longer])) == []
    assert list(User.objects.filter(email__in_array=[longer])) == []


@pytest.mark.postgres
def test_in_array_with_none_matches_no_row_like_in():
    """`in_array` writes None into the array literal as the text "None" (`_array_element`
    quotes `str(value)`), so on PostgreSQL `[None]` matches a row holding the word None, and on
    a number column it is an error; `__in=[None]` and SQLite's `IN (NULL)` match nothing."""
    UserFactory(first_name="None")

    assert list(User.objects.filter(first_name__in=[None])) == []
    assert list(User.objects.filter(first_name__in_array=[None])) == []


def test_the_unsubscribe_purge_leaves_a_login_created_yesterday():
    """A login counts as in use only by `last_login` within two years: a login the person made
    yesterday and has not signed in with yet (mandatory e-mail confirmation pending; or an
    account made for them at a branch) has no `last_login`, so the unsubscribe purge deletes
    it, and the person with it, a day after they signed up. Issue 6: the identity and the
    login go "unless it is still used"; a login joined within the inactivity period is."""
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    login = UserFactory(email=subject.email, date_joined=NOW - dt.timedelta(days=1))
    assert login.last_login is None

    summary = subject_erase(
        cause=CAUSE, subject=subject, purposes=["commercial_communication"], now=NOW
    )

    assert User.objects.filter(pk=login.pk).exists()
    assert summary.subject_deleted is False


@pytest.mark.postgres
def test_the_append_only_guard_is_back_once_the_erasure_returns():
    """`subjects_erase` lifts the append-only triggers with `SET LOCAL velux.erasure = on`,
    which lasts to the end of the *outermost* transaction, not of the erasure's atomic block.
    A caller that erases inside its own transaction (a rights request's execution service,
    which then writes its audit events: one transaction per service, STYLE.md §4) runs the
    rest of that transaction with the consent ledger and audit trail open to UPDATE and DELETE
    in SQL (velux_privacy/appendonly.py: only an erasure may unlink or remove such rows)."""
    from django.db import transaction

    subject = DataSubjectFactory()
    with transaction.atomic():
        subject_erase(cause=CAUSE, subject=subject, now=NOW)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('velux.erasure', true)")
            (setting,) = cursor.fetchone()

    assert setting != "on"
