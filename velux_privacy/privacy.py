"""Installed models of Django and third-party apps that hold no personal data, each with why.

The data map's rule is total (subjects.datamap.unmapped_models): every installed model is in
the map or declared here or in its app's privacy.py. The logins, their e-mail addresses and
sessions are personal data: subjects/privacy.py maps them with the identity.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subjects.datamap import KeepReason, KeepRule, datamap
from subjects.models import PurposeCode
from subjects.selectors import login_recorded_actions_q

_User = get_user_model()

for label, why in [
    ("auth.Group", "staff roles (DPO, privacy agent, auditor): names and permissions"),
    ("auth.Group_permissions", "which permissions a staff role has"),
    ("auth.Permission", "the permissions Django derives from the models"),
    ("contenttypes.ContentType", "the installed models' names"),
    ("django_celery_beat.ClockedSchedule", "schedule times of the jobs"),
    ("django_celery_beat.CrontabSchedule", "schedule times of the jobs"),
    ("django_celery_beat.IntervalSchedule", "schedule times of the jobs"),
    ("django_celery_beat.SolarSchedule", "schedule times of the jobs"),
    ("django_celery_beat.PeriodicTasks", "when the schedule last changed"),
    (
        "django_celery_beat.PeriodicTask",
        "the scheduled jobs; their arguments are ids, never personal data (STYLE.md §6)",
    ),
]:
    datamap.declare_no_personal_data(label, why=why)

# A login's roles and permissions: only staff logins have any, and staff logins have no data
# subject (DESIGN.md). Erasing a login deletes these rows with it.
datamap.declare_no_personal_data(_User.groups.through, why="a login's staff roles")
datamap.declare_no_personal_data(
    _User.user_permissions.through, why="a login's own staff permissions"
)

# The second factor of a login (allauth.mfa): its secret and recovery codes are never
# exported. Part of the login, erased with it; a staff login's stays, as the login does.
datamap.register(
    "mfa.Authenticator",
    key="login_authenticators",
    retention=_("As long as you keep the second factor on your login, and with the login."),
    source=_("Made when you set up a second factor for signing in."),
    label=_("second factors of the login"),
    purposes=[PurposeCode.CUSTOMERS, PurposeCode.ANSWERING_REQUESTS],
    subject_path="user__data_subject",
    match_email="user__email",
    with_identity=True,
    fields=[
        ("type", _("kind")),
        ("created_at", _("created on")),
        ("last_used_at", _("last used on")),
    ],
    keep=[
        KeepRule(
            KeepReason.STAFF_LOGIN,
            lambda c: (
                Q(user__is_staff=True)
                | Q(user__is_superuser=True)
                | login_recorded_actions_q(outer="user")
            ),
        )
    ],
)
