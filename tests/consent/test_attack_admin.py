"""Admin permissions of the consent app, as a hostile reviewer tries them."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.core import mail

from consent.models import PolicyVersion, ReconsentRequest
from consent.services import consent_give
from tests.staff import staff_client_for
from tests.subjects.factories import UserFactory

pytestmark = pytest.mark.django_db


def _staff_with(*codenames):
    user = UserFactory(email="reader@velux.example", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def _draft():
    return PolicyVersion.objects.create(
        number="2027-01",
        effective_on="2027-01-01",
        summary="Nieuwe ontvangers.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=True,
    )


def test_staff_who_may_only_read_policy_versions_cannot_publish_one(
    subject, django_capture_on_commit_callbacks
):
    """Defect: the "publish" action had no permission of its own, so anyone who could read
    the list (an auditor) could publish a material change: everyone's consents stop counting
    and everyone is e-mailed."""
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    draft = _draft()
    client = staff_client_for(_staff_with("view_policyversion"))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/consent/policyversion/",
            {"action": "publish", "_selected_action": [draft.pk]},
        )

    draft.refresh_from_db()
    assert draft.published_at is None
    assert not ReconsentRequest.objects.exists()
    assert mail.outbox == []


def test_staff_who_may_change_policy_versions_publish_one(subject):
    draft = _draft()
    client = staff_client_for(_staff_with("view_policyversion", "change_policyversion"))

    client.post(
        "/admin/consent/policyversion/", {"action": "publish", "_selected_action": [draft.pk]}
    )

    draft.refresh_from_db()
    assert draft.published_at is not None


def test_a_newsletter_cannot_be_moved_under_another_consent(admin_client, subject):
    """Defect: staff could move a newsletter from e-mail marketing to, say, phone marketing;
    every subscription then counted under a consent the person never gave for it, and the
    senders asked the wrong consent."""
    from consent.models import ConsentPurpose, Newsletter
    from consent.services import consent_purpose_save

    other = consent_purpose_save(
        purpose=ConsentPurpose(
            code="partner_email",
            policy_purpose="commercial_communication",
            contact_channel="email",
            name="Partner offers by e-mail",
            description="Offers of our partners.",
        )
    )
    newsletter = Newsletter.objects.get(code="offers")
    url = f"/admin/consent/newsletter/{newsletter.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["purpose"] = other.pk
    if not data.get("is_active"):
        data.pop("is_active", None)

    admin_client.post(url, data)

    newsletter.refresh_from_db()
    assert newsletter.purpose.code == "email_marketing"
