"""The staff roles made by the data migration: what each group may do."""

import pytest
from django.contrib.auth.models import Group

from dsr_requests import roles
from tests.dsr_requests.factories import staff_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            roles.DPO,
            [roles.WORK_ANY, roles.ENTER, "auth.change_group", "velux_privacy.change_user"],
            ["dsr_requests.delete_rightsrequest", "dsr_requests.change_auditevent"],
        ),
        (
            roles.PRIVACY_AGENT,
            [roles.WORK, roles.ENTER, roles.VIEW, "subjects.view_datasubject"],
            [roles.WORK_ANY, "auth.change_group", "velux_privacy.change_user"],
        ),
        (
            roles.AUDITOR,
            [roles.VIEW, "dsr_requests.view_auditevent", "subjects.view_deletionreceipt"],
            [roles.WORK, roles.WORK_ANY, roles.ENTER, "auth.change_group"],
        ),
    ],
)
def test_each_role_has_its_permissions_and_no_more(role, allowed, refused):
    member = staff_in(role)

    assert all(member.has_perm(permission) for permission in allowed), allowed
    assert not any(member.has_perm(permission) for permission in refused), refused


def test_the_three_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        roles.DPO,
        roles.PRIVACY_AGENT,
        roles.AUDITOR,
    }
