"""Regression tests from the adversarial review of issue 6 (admin, logins, sessions): each
failed against 5ef10a9 for a real defect, which its docstring describes; they pass since the
fixes."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission

from tests.staff import staff_second_factor
from tests.subjects.factories import DataSubjectFactory, ProcessingLimitFactory, UserFactory
from velux_privacy.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_a_staff_login_that_recorded_a_restriction_is_never_deleted(admin_client):
    """`ProcessingLimit.recorded_by` records which staff member entered a restriction or an
    objection. `login_records_actions` skips every model erased "with the identity", and
    ProcessingLimit is one, so the login counts as having done nothing: the admin deletes it
    and Django blanks `recorded_by` (SET_NULL). Issue 6: staff logins are not deleted while
    anything records their actions."""
    leaver = UserFactory(email="leaver@velux.example", is_staff=True)
    limit = ProcessingLimitFactory(recorded_by=leaver)

    page = admin_client.get(f"/admin/velux_privacy/user/{leaver.pk}/delete/")
    admin_client.post(f"/admin/velux_privacy/user/{leaver.pk}/delete/", {"post": "yes"})

    limit.refresh_from_db()
    assert page.status_code == 403
    assert limit.recorded_by == leaver


def test_an_unlinked_login_with_a_persons_address_cannot_be_deleted_in_the_admin(admin_client):
    """A login signed up with a data subject's address but not (yet) linked is the person's
    data: the erasure now finds it by address (issue 6). The admin only asks whether a login is
    *linked* (`_belongs_to_a_subject`), so it deletes this one outright, with its e-mail
    address: personal data deleted outside the data map, with no receipt and past any legal
    hold on the person (subjects/admin.py: "No personal data is deleted here")."""
    from subjects.models import LegalHold
    from tests.subjects.factories import LegalHoldFactory

    subject = DataSubjectFactory(email="anna@example.com")
    LegalHoldFactory(subject=subject, released_at=None)
    unlinked = UserFactory(email="anna@example.com")
    EmailAddress.objects.create(user=unlinked, email=unlinked.email, verified=False)

    response = admin_client.post(
        f"/admin/velux_privacy/user/{unlinked.pk}/delete/", {"post": "yes"}
    )

    assert LegalHold.objects.filter(subject=subject).exists()
    assert response.status_code == 403
    assert User.objects.filter(pk=unlinked.pk).exists()


def test_the_off_boarding_action_does_not_lock_a_customer_out(admin_client):
    """ "Deactivate (off-boarding)" calls `staff_login_deactivate`, which never checks that the
    login is a staff login: selected on a customer's login (the changelist mixes both), it makes
    the customer's password unusable and deactivates the login with no erasure, no receipt and
    no word to the person, who can no longer follow an open order (issue 6: the login stays so
    the customer can follow the order online)."""
    customer = UserFactory(email="customer@example.com")
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    DataSubjectFactory(email=customer.email, user=customer)

    admin_client.post(
        "/admin/velux_privacy/user/",
        {"action": "deactivate_logins", "_selected_action": [customer.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    customer.refresh_from_db()
    assert (customer.is_active, customer.has_usable_password()) == (True, True)


def _subject_rows():
    from tests.subjects.factories import (
        ApplicationFactory,
        BrowsingEventFactory,
        LegalHoldFactory,
        OrderFactory,
    )

    subject = DataSubjectFactory(email="secret.person@example.com")
    ApplicationFactory(subject=subject)
    BrowsingEventFactory(subject=subject)
    LegalHoldFactory(subject=subject)
    OrderFactory(subject=subject)
    return subject


@pytest.mark.parametrize(
    ("model_name", "permission"),
    [
        ("application", "view_application"),
        ("browsingevent", "view_browsingevent"),
        ("legalhold", "view_legalhold"),
        ("order", "view_order"),
    ],
)
def test_a_changelist_shows_the_persons_address_only_to_staff_who_may_view_persons(
    client, model_name, permission
):
    """Every personal-data changelist shows `subject__email` and searches by it, whatever the
    viewer may see of data subjects: a recruiter with only `view_application`, or an analyst
    with only `view_browsingevent`, reads every person's e-mail address (the identity
    category) and can look a person up by address. STYLE.md §5: a page showing rows of several
    models checks the viewer's permission per model; issue 6: staff see only what their
    permissions allow."""
    _subject_rows()
    staff = User.objects.create_user(email="recruiter@velux.example", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="subjects", codename=permission)
    )
    client.force_login(staff)
    staff_second_factor(client, staff)

    response = client.get(f"/admin/subjects/{model_name}/", HTTP_ACCEPT_LANGUAGE="en")
    searched = client.get(
        f"/admin/subjects/{model_name}/",
        {"q": "secret.person@example.com"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "secret.person@example.com" not in response.content.decode()
    assert searched.context["cl"].result_count == 0


def test_after_erasure_no_admin_log_entry_names_the_persons_address(admin_client):
    """The admin logs a deletion under the object's `__str__`, which for allauth's EmailAddress
    is the address itself. An address of a login not linked to anybody may be deleted in the
    admin; when the person with that address is later erased, the erasure re-labels only the
    entries about rows it erases now (by object id), so the deletion entry keeps naming the
    person's address forever (issue 6: nothing left after a full erasure, admin log entries
    included)."""
    from django.contrib.admin.models import DELETION, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from subjects.services import ErasureCause, subject_erase

    subject = DataSubjectFactory(email="anna@example.com")
    staff = UserFactory(email="staff@velux.example", is_staff=True)
    # As the admin logs a deletion, naming the address by its __str__ (before this very
    # deletion was refused for a person's address).
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(EmailAddress),
        object_id="999",
        object_repr="anna@example.com",
        action_flag=DELETION,
    )

    subject_erase(cause=ErasureCause(kind="rights_request"), subject=subject)

    assert (
        list(
            LogEntry.objects.filter(object_repr__icontains="anna@example.com").values_list(
                "object_repr", flat=True
            )
        )
        == []
    )
