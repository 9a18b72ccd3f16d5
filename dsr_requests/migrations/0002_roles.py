"""The staff roles (dsr_requests.roles), as auth groups with their permissions.

- DPO: every permission of the rights requests and of the data subjects but deleting (and
  but writing the audit trail and what else only the services write), the roles of staff
  logins (groups, logins), the admin log and the second factors to see.
- Privacy agent: reads everything about requests and subjects, enters requests, works those
  assigned to them or to nobody (`work_rightsrequest`; the services check the assignment);
  nothing on logins or roles.
- Auditor: reads everything, the audit trail and the deletion receipts included; changes
  nothing.

Apps that come later (consent, retention) add their permissions to these groups in their own
migrations. Reversible: going back removes the three groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DPO = "DPO"
PRIVACY_AGENT = "Privacy agent"
AUDITOR = "Auditor"

READ_APPS = ("dsr_requests", "subjects")
SERVICE_WRITTEN = [
    "auditevent",
    "notificationsend",
    "requestpause",
    "requestmessage",
    "requestattachment",
]
READ_ALSO = [
    ("admin", "view_logentry"),
    ("account", "view_emailaddress"),
    ("mfa", "view_authenticator"),
    ("auth", "view_group"),
    ("velux_privacy", "view_user"),
]
DPO_ALSO = [
    ("auth", "add_group"),
    ("auth", "change_group"),
    ("velux_privacy", "change_user"),
]
AGENT_ALSO = [
    ("dsr_requests", "add_rightsrequest"),
    ("dsr_requests", "change_rightsrequest"),
    ("dsr_requests", "work_rightsrequest"),
]


def _ensure_permissions(apps) -> None:
    # Permissions are made after migrations (post_migrate); a fresh database has none yet.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def roles_create(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def pairs(pairs):
        found = []
        for app_label, codename in pairs:
            found += Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        return found

    read = list(
        Permission.objects.filter(
            content_type__app_label__in=READ_APPS, codename__startswith="view_"
        )
    ) + pairs(READ_ALSO)
    # Everything but deleting, and but writing what only the services write (the audit
    # trail, the clock, messages, documents, e-mails): requests change through their steps.
    everything_of_the_apps = list(
        Permission.objects.filter(content_type__app_label__in=READ_APPS)
        .exclude(codename__startswith="delete_")
        .exclude(
            content_type__app_label="dsr_requests",
            content_type__model__in=SERVICE_WRITTEN,
            codename__regex=r"^(add|change)_",
        )
    )
    roles = {
        DPO: everything_of_the_apps + read + pairs(DPO_ALSO),
        PRIVACY_AGENT: read + pairs(AGENT_ALSO),
        AUDITOR: read,
    }
    for name, permissions in roles.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def roles_remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[DPO, PRIVACY_AGENT, AUDITOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dsr_requests", "0001_rights_requests"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("velux_privacy", "0002_login_session"),
        ("subjects", "0005_erasure_receipts_limits_invoices"),
    ]

    operations = [migrations.RunPython(roles_create, roles_remove)]
