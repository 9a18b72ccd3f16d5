"""Marketing e-mail and the one-click unsubscribe of RFC 8058 (SPECS.md §3)."""

import re

import pytest
from django.core import mail
from django.test import Client

from consent.exceptions import ContactRefused
from consent.models import ConsentEvent, Newsletter, NewsletterSubscription
from consent.services import (
    consent_give,
    marketing_message_build,
    newsletter_subscribe,
    unsubscribe_token_make,
)

pytestmark = pytest.mark.django_db
WEB = ConsentEvent.Channel.WEB


@pytest.fixture
def offers(subject):
    newsletter = Newsletter.objects.select_related("purpose").get(code="offers")
    newsletter_subscribe(subject=subject, newsletter=newsletter, channel=WEB)
    return newsletter


@pytest.fixture
def url(subject, offers):
    return f"/unsubscribe/{unsubscribe_token_make(subject=subject, newsletter=offers)}/"


def _build(subject, newsletter):
    return marketing_message_build(
        subject=subject,
        newsletter=newsletter,
        subject_line="Nieuw: dakramen met zonnepaneel",
        body_text="Ontdek de nieuwe VELUX-dakramen.",
        body_html="<p>Ontdek de nieuwe <strong>VELUX</strong>-dakramen.</p>",
    )


def test_a_marketing_message_carries_both_rfc_8058_headers(subject, offers, settings):
    settings.PUBLIC_BASE_URL = "https://privacy.velux.be"

    message = _build(subject, offers)

    https = re.findall(r"<(https://[^>]+)>", message.extra_headers["List-Unsubscribe"])
    assert len(https) == 1
    assert https[0].startswith("https://privacy.velux.be/unsubscribe/")
    assert (
        "<mailto:privacy@velux.be?subject=unsubscribe%20"
        in message.extra_headers["List-Unsubscribe"]
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert subject.email not in https[0]
    assert https[0] in message.body
    assert https[0] in message.alternatives[0][0]
    assert "Uitschrijven" in message.alternatives[0][0]  # the person's language: Dutch


def test_no_marketing_message_without_the_subscription(subject, offers):
    inspiration = Newsletter.objects.select_related("purpose").get(code="inspiration")

    with pytest.raises(ContactRefused) as refused:
        _build(subject, inspiration)

    assert refused.value.code == "not_subscribed"


def test_a_one_click_post_without_cookies_unsubscribes_at_once(subject, offers, url):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Location" not in response
    assert not response.cookies
    assert not NewsletterSubscription.objects.filter(subject=subject, newsletter=offers).exists()
    event = ConsentEvent.objects.filter(subject=subject).order_by("-pk").first()
    assert (event.channel, event.action, event.newsletter) == ("one_click", "withdrawn", offers)
    assert event.actor_kind == ConsentEvent.ActorKind.SUBJECT


def test_the_rfcs_multipart_body_with_its_errata_unsubscribes(subject, offers, url):
    # RFC 8058 §8.3 with errata 5117/8927: the boundary is "-FormBoundaryjWmhtjORrn".
    body = (
        b"---FormBoundaryjWmhtjORrn\r\n"
        b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n'
        b"\r\n"
        b"One-Click\r\n"
        b"---FormBoundaryjWmhtjORrn--\r\n"
    )

    response = Client(enforce_csrf_checks=True).generic(
        "POST", url, body, content_type="multipart/form-data; boundary=-FormBoundaryjWmhtjORrn"
    )

    assert response.status_code == 200
    assert not NewsletterSubscription.objects.filter(subject=subject).exists()


def test_repeating_the_post_is_harmless(subject, offers, url):
    client = Client()
    client.post(url, {"List-Unsubscribe": "One-Click"})
    entries = ConsentEvent.objects.count()

    response = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert ConsentEvent.objects.count() == entries


def test_one_click_leaves_only_that_newsletter(subject, offers, url):
    inspiration = Newsletter.objects.get(code="inspiration")
    newsletter_subscribe(subject=subject, newsletter=inspiration, channel=WEB)

    Client().post(url, {"List-Unsubscribe": "One-Click"})

    assert list(
        NewsletterSubscription.objects.filter(subject=subject).values_list(
            "newsletter__code", flat=True
        )
    ) == ["inspiration"]


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_get_head_and_options_never_unsubscribe(subject, offers, url, method):
    response = getattr(Client(), method)(url)

    assert response.status_code in (200, 405)
    assert NewsletterSubscription.objects.filter(subject=subject, newsletter=offers).exists()


def test_get_shows_what_stops_in_the_persons_language(subject, offers, url):
    subject.preferred_language = "fr"
    subject.save()

    response = Client(HTTP_ACCEPT_LANGUAGE="de").get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in content
    assert "Offres et promotions" in content
    assert 'name="List-Unsubscribe" value="One-Click"' in content


@pytest.mark.parametrize(
    "body",
    ["", "List-Unsubscribe=Yes", "Unsubscribe=One-Click", "List-Unsubscribe=one-click"],
)
def test_any_other_body_does_not_act(subject, offers, url, body):
    response = Client().post(url, data=body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert NewsletterSubscription.objects.filter(subject=subject, newsletter=offers).exists()


@pytest.mark.parametrize(
    "tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "x" + t]
)
def test_a_tampered_token_changes_nothing(subject, offers, url, tamper):
    token = url.split("/")[2]
    forged = f"/unsubscribe/{tamper(token)}/"

    get = Client().get(forged)
    post = Client().post(forged, {"List-Unsubscribe": "One-Click"})

    assert (get.status_code, post.status_code) == (404, 400)
    assert "This link does not work" in get.content.decode() or "werkt niet" in (
        get.content.decode()
    )
    assert NewsletterSubscription.objects.filter(subject=subject, newsletter=offers).exists()


def test_a_newsletter_token_cannot_withdraw_a_consent(subject, offers):
    from django.core import signing

    token = unsubscribe_token_make(subject=subject, newsletter=offers)
    content = signing.Signer(salt="consent.unsubscribe.newsletter").unsign_object(token)
    # The same ids signed for another use do not pass.
    forged = signing.Signer(salt="another.use").sign_object(content)

    response = Client().post(f"/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 400


def test_a_consent_token_withdraws_that_consent(subject):
    consent_give(subject=subject, purpose="phone_marketing", channel=WEB)
    token = unsubscribe_token_make(subject=subject, purpose="phone_marketing")

    Client().post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})

    assert subject.consent_states.get(purpose__code="phone_marketing").status == "withdrawn"


def test_the_message_goes_out_through_the_mail_backend(subject, offers):
    _build(subject, offers).send()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lotte@example.com"]
    assert mail.outbox[0].subject == "Nieuw: dakramen met zonnepaneel"
