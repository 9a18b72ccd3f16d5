"""The consent ledger, its current state, newsletters and the unsubscribe clock."""

from datetime import UTC, date, datetime

import pytest

from consent.exceptions import ConsentChannelRefused, ConsentPurposeNotOffered
from consent.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentPurposeVersion,
    ConsentState,
    Newsletter,
    NewsletterSubscription,
)
from consent.services import (
    consent_choices_apply,
    consent_give,
    consent_gpc_apply,
    consent_purpose_save,
    consent_withdraw,
    newsletter_subscribe,
    newsletter_unsubscribe,
)
from subjects.services import subject_hash
from velux_privacy.appendonly import AppendOnlyError

pytestmark = pytest.mark.django_db
WEB = ConsentEvent.Channel.WEB


def _state(subject, code):
    return ConsentState.objects.get(subject=subject, purpose__code=code)


def test_giving_a_consent_appends_an_entry_and_sets_the_state(subject, customer):
    event = consent_give(
        subject=subject,
        purpose="email_marketing",
        channel=WEB,
        evidence={"form": "consent_page", "page": "/nl/consent/", "ip": "203.0.113.7"},
        actor=customer,
    )

    assert event.recorded is True
    assert event.action == ConsentEvent.Action.GIVEN
    assert event.actor_kind == ConsentEvent.ActorKind.SUBJECT
    assert event.purpose_version.number == 1
    assert event.policy_version.number == "2021-05"
    assert event.subject_hash == subject_hash("lotte@example.com")
    assert "ip" not in event.evidence
    assert len(event.evidence["ip_hash"]) == 64
    assert "203.0.113.7" not in str(event.evidence)
    state = _state(subject, "email_marketing")
    assert (state.status, state.last_event) == (ConsentState.Status.GIVEN, event)


def test_giving_a_consent_already_given_records_nothing_and_says_so(subject):
    first = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    again = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    assert again.recorded is False
    assert again.pk == first.pk
    assert ConsentEvent.objects.filter(subject=subject).count() == 1


def test_withdrawing_a_withdrawn_consent_records_nothing(subject):
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)
    consent_withdraw(subject=subject, purpose="phone_marketing", channel=WEB)

    again = consent_withdraw(subject=subject, purpose="phone_marketing", channel=WEB)

    assert again.recorded is False
    assert ConsentEvent.objects.filter(subject=subject).count() == 2


def test_refusing_a_consent_never_given_is_recorded_as_proof(subject):
    event = consent_withdraw(subject=subject, purpose="social_networks", channel=WEB)

    assert event.recorded is True
    assert _state(subject, "social_networks").status == ConsentState.Status.WITHDRAWN


def test_ledger_entries_are_never_changed_or_deleted_through_the_orm(subject):
    event = consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).update(channel="api")
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize("channel", ConsentEvent.STAFF_CHANNELS)
def test_only_staff_record_a_letter_phone_call_or_branch_visit(subject, customer, channel):
    with pytest.raises(ConsentChannelRefused):
        consent_give(subject=subject, purpose="email_marketing", channel=channel, actor=customer)


def test_staff_recording_is_shown_with_who_recorded_it_and_the_note(subject, staff):
    event = consent_withdraw(
        subject=subject,
        purpose="email_marketing",
        channel=ConsentEvent.Channel.LETTER,
        evidence={"note": "Brief van 3 november, dossier 2026-118"},
        actor=staff,
    )

    assert (event.actor, event.actor_kind) == (staff, ConsentEvent.ActorKind.STAFF)
    assert event.note == "Brief van 3 november, dossier 2026-118"
    assert "note" not in event.evidence


def test_a_purpose_no_longer_offered_can_be_withdrawn_but_not_given(subject):
    consent_give(subject=subject, purpose="third_party_sharing", channel=WEB)
    ConsentPurpose.objects.filter(code="third_party_sharing").update(is_active=False)

    with pytest.raises(ConsentPurposeNotOffered):
        consent_give(subject=subject, purpose="third_party_sharing", channel=WEB, now=None)
    assert consent_withdraw(subject=subject, purpose="third_party_sharing", channel=WEB).recorded


# Newsletters under the e-mail marketing consent


def test_subscribing_to_a_newsletter_gives_the_email_consent_it_falls_under(subject):
    newsletter = Newsletter.objects.get(code="offers")

    event = newsletter_subscribe(subject=subject, newsletter=newsletter, channel=WEB)

    assert event.newsletter == newsletter
    assert _state(subject, "email_marketing").status == ConsentState.Status.GIVEN
    assert list(
        ConsentEvent.objects.filter(subject=subject)
        .order_by("pk")
        .values_list("purpose__code", "newsletter__code", "action")
    ) == [("email_marketing", None, "given"), ("email_marketing", "offers", "given")]


def test_leaving_the_last_newsletter_withdraws_no_consent(subject):
    newsletter = Newsletter.objects.get(code="offers")
    newsletter_subscribe(subject=subject, newsletter=newsletter, channel=WEB)

    newsletter_unsubscribe(subject=subject, newsletter=newsletter, channel=WEB)

    assert not NewsletterSubscription.objects.filter(subject=subject).exists()
    assert _state(subject, "email_marketing").status == ConsentState.Status.GIVEN


def test_withdrawing_email_marketing_ends_every_newsletter_in_the_ledger(subject):
    for code in ("offers", "inspiration"):
        newsletter_subscribe(
            subject=subject, newsletter=Newsletter.objects.get(code=code), channel=WEB
        )

    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB)

    assert not NewsletterSubscription.objects.filter(subject=subject).exists()
    ended = ConsentEvent.objects.filter(
        subject=subject, newsletter__isnull=False, action="withdrawn"
    )
    assert sorted(ended.values_list("newsletter__code", flat=True)) == ["inspiration", "offers"]


# The unsubscribe clock (policy §2.5): two calendar months after the Brussels date


@pytest.mark.parametrize(
    ("withdrawn_at", "due"),
    [
        (datetime(2026, 12, 31, 10, 0, tzinfo=UTC), date(2027, 2, 28)),
        (datetime(2027, 12, 31, 10, 0, tzinfo=UTC), date(2028, 2, 29)),  # leap year
        (datetime(2026, 8, 31, 10, 0, tzinfo=UTC), date(2026, 10, 31)),
        (datetime(2026, 6, 30, 10, 0, tzinfo=UTC), date(2026, 8, 30)),
        (datetime(2026, 12, 1, 10, 0, tzinfo=UTC), date(2027, 2, 1)),
        # 23:30 in Brussels on 31 December is 22:30 UTC: still 31 December there.
        (datetime(2026, 12, 31, 22, 30, tzinfo=UTC), date(2027, 2, 28)),
        # 00:30 in Brussels on 1 January is 23:30 UTC on 31 December: 1 January there.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 3, 1)),
    ],
)
def test_the_last_marketing_withdrawal_sets_the_purge_date(subject, withdrawn_at, due):
    consent_give(
        subject=subject,
        purpose="email_marketing",
        channel=WEB,
        now=datetime(2026, 1, 5, tzinfo=UTC),
    )

    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB, now=withdrawn_at)

    subject.refresh_from_db()
    assert subject.marketing_purge_due_on == due


def test_the_clock_waits_while_another_marketing_consent_is_held(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)

    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB)
    subject.refresh_from_db()
    assert subject.marketing_purge_due_on is None

    consent_withdraw(
        subject=subject,
        purpose="phone_marketing",
        channel=ConsentEvent.Channel.ONE_CLICK,
        now=datetime(2026, 12, 31, 22, 30, tzinfo=UTC),
    )
    subject.refresh_from_db()
    assert subject.marketing_purge_due_on == date(2027, 2, 28)


def test_withdrawing_an_analytics_consent_starts_no_clock(subject):
    consent_give(subject=subject, purpose="analytics_cookies", channel=WEB)

    consent_withdraw(subject=subject, purpose="analytics_cookies", channel=WEB)

    subject.refresh_from_db()
    assert subject.marketing_purge_due_on is None


def test_giving_a_marketing_consent_again_clears_the_clock(subject):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    consent_withdraw(subject=subject, purpose="email_marketing", channel=WEB)
    subject.refresh_from_db()
    assert subject.marketing_purge_due_on is not None

    consent_give(subject=subject, purpose="social_networks", channel=WEB)

    subject.refresh_from_db()
    assert subject.marketing_purge_due_on is None


# Several choices at once, GPC, text versions


def test_choices_apply_records_only_what_changed(subject, customer):
    consent_give(subject=subject, purpose="email_marketing", channel=WEB)

    recorded = consent_choices_apply(
        subject=subject,
        purposes={"email_marketing": True, "analytics_cookies": True, "phone_marketing": False},
        newsletters={"offers": True},
        channel=ConsentEvent.Channel.COOKIE_BANNER,
        evidence={"banner_version": "abc123", "language": "fr"},
        actor=customer,
    )

    assert [(e.purpose.code, e.newsletter_id is not None, e.action) for e in recorded] == [
        ("analytics_cookies", False, "given"),
        ("phone_marketing", False, "withdrawn"),
        ("email_marketing", True, "given"),
    ]
    assert {e.evidence["banner_version"] for e in recorded} == {"abc123"}
    assert {e.language for e in recorded} == {"fr"}


def test_gpc_withdraws_sale_sharing_and_personalised_advertising_only(subject, customer):
    for code in ("personalised_advertising", "third_party_sharing", "analytics_cookies"):
        consent_give(subject=subject, purpose=code, channel=WEB)

    recorded = consent_gpc_apply(subject=subject, actor=customer)

    assert {e.purpose.code for e in recorded} == {"personalised_advertising", "third_party_sharing"}
    assert {e.channel for e in recorded} == {ConsentEvent.Channel.GPC}
    assert _state(subject, "analytics_cookies").status == ConsentState.Status.GIVEN


def test_gpc_cannot_give_a_consent(subject):
    with pytest.raises(ConsentChannelRefused):
        consent_give(subject=subject, purpose="personalised_advertising", channel="gpc")


def test_a_new_text_makes_a_new_version_and_asks_again(subject):
    first = consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    purpose = ConsentPurpose.objects.get(code="email_marketing")
    purpose.description_en = "A new text."

    consent_purpose_save(purpose=purpose)

    assert purpose.version == 2
    assert list(
        ConsentPurposeVersion.objects.filter(purpose=purpose).values_list("number", flat=True)
    ) == [2, 1]
    assert ConsentPurposeVersion.objects.get(purpose=purpose, number=1).description_en != (
        "A new text."
    )
    again = consent_give(subject=subject, purpose="email_marketing", channel=WEB)
    assert again.recorded is True
    assert (first.purpose_version.number, again.purpose_version.number) == (1, 2)


def test_saving_a_purpose_without_a_text_change_keeps_its_version():
    purpose = ConsentPurpose.objects.get(code="email_marketing")
    purpose.display_order = 99

    consent_purpose_save(purpose=purpose)

    assert purpose.version == 1
    assert ConsentPurposeVersion.objects.filter(purpose=purpose).count() == 1
