"""Who may work which request (the roles of the data migration 0002_roles).

- DPO: everything, any request, assigns to anyone, manages the roles of staff logins.
- Privacy agent: works the requests assigned to them and the unassigned ones; takes an
  unassigned request (assigns it to themselves) or gives one back; cannot change roles.
- Auditor: reads everything, the audit trail and the deletion receipts included; changes
  nothing.

The services check these rules (dsr_requests.services), not only the admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsr_requests.models import RightsRequest
    from velux_privacy.models import User

DPO = "DPO"
PRIVACY_AGENT = "Privacy agent"
AUDITOR = "Auditor"

WORK = "dsr_requests.work_rightsrequest"
WORK_ANY = "dsr_requests.work_any_rightsrequest"
ENTER = "dsr_requests.add_rightsrequest"
VIEW = "dsr_requests.view_rightsrequest"


def is_staff_login(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def may_work(user: User | None, rights_request: RightsRequest) -> bool:
    """Whether `user` may take steps on `rights_request`: a DPO on any, an agent on their own
    and on unassigned ones."""
    if not is_staff_login(user):
        return False
    if user.has_perm(WORK_ANY):
        return True
    return user.has_perm(WORK) and rights_request.assignee_id in (None, user.pk)


def may_assign(user: User | None, rights_request: RightsRequest, assignee: User | None) -> bool:
    """A DPO assigns to anyone who works requests; an agent takes an unassigned request or
    gives back their own."""
    if not is_staff_login(user):
        return False
    if assignee is not None and not may_be_assignee(assignee):
        return False
    if user.has_perm(WORK_ANY):
        return True
    if not user.has_perm(WORK):
        return False
    taking = rights_request.assignee_id is None and assignee is not None and assignee.pk == user.pk
    giving_back = rights_request.assignee_id == user.pk and assignee is None
    return taking or giving_back


def may_be_assignee(user: User) -> bool:
    return is_staff_login(user) and (user.has_perm(WORK) or user.has_perm(WORK_ANY))
