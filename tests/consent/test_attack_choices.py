"""One set of choices that both withdraws a consent and asks for a newsletter under it: the
withdrawal wins."""

import pytest

from consent.models import ConsentState, NewsletterSubscription
from consent.services import consent_choices_apply, consent_give

pytestmark = pytest.mark.django_db


def _email_marketing(subject):
    return ConsentState.objects.get(subject=subject, purpose__code="email_marketing").status


def test_withdrawing_email_marketing_while_ticking_a_newsletter_withdraws_it(subject):
    """Defect: the newsletter was subscribed after the withdrawal, which gave the e-mail
    marketing consent again: the person's explicit "no" ended as a "yes" in the ledger."""
    consent_give(subject=subject, purpose="email_marketing", channel="web")

    consent_choices_apply(
        subject=subject,
        purposes={"email_marketing": False},
        newsletters={"offers": True},
        channel="web",
    )

    assert _email_marketing(subject) == "withdrawn"
    assert not NewsletterSubscription.objects.filter(subject=subject).exists()


def test_the_consent_page_form_doing_both_withdraws(client, customer, subject):
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    client.force_login(customer)

    client.post("/en/consent/", {"newsletter-offers": "on"})  # the main switch left off

    assert _email_marketing(subject) == "withdrawn"
    assert not NewsletterSubscription.objects.filter(subject=subject).exists()


def test_a_newsletter_ticked_alone_still_gives_its_consent(subject):
    consent_choices_apply(subject=subject, purposes={}, newsletters={"offers": True}, channel="web")

    assert _email_marketing(subject) == "given"
    assert NewsletterSubscription.objects.filter(subject=subject).count() == 1
