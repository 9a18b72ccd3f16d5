"""Writes of the consent app: the ledger and its current state, newsletter subscriptions, the
unsubscribe clock, one-click unsubscribe, marketing e-mail, policy versions and re-consent,
the Do Not Call Me list.

The ledger (`ConsentEvent`) is appended to, never changed; the current state (`ConsentState`,
`NewsletterSubscription`) is written beside it in the same transaction, under a lock on the
subject's row, so concurrent changes for one person serialise and the state always equals the
ledger's last word.

`consent_give` and `consent_withdraw` return the ledger entry that now says so, with a flag
`recorded`: True when this call appended it, False when the ledger already said so (giving a
consent that already counts, withdrawing one already withdrawn): nothing new is written then.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from consent.exceptions import (
    ConsentChannelRefused,
    ConsentPurposeNotOffered,
    ContactRefused,
    DoNotCallImportRefused,
    InvalidUnsubscribeToken,
    PolicyVersionAlreadyPublished,
    UnknownConsentPurpose,
)
from consent.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentPurposeVersion,
    ConsentState,
    DoNotCallImport,
    DoNotCallNumber,
    Newsletter,
    NewsletterSubscription,
    PolicyVersion,
    ReconsentRequest,
)
from consent.phone import do_not_call_hash, phone_normalise
from consent.selectors import (
    consent_contact_decision,
    policy_version_in_force,
    reconsent_due_q,
    unsubscribe_target,
)
from consent.tokens import token_make
from subjects.models import DataSubject, PurposeCode
from subjects.selectors import subjects_processing_limited_q
from subjects.services import subject_hash
from velux_privacy.calendar import add_months, local_date
from velux_privacy.mail import email_build

logger = logging.getLogger(__name__)

Action = ConsentEvent.Action
Channel = ConsentEvent.Channel

# Policy §2.5: two calendar months after the last marketing consent is withdrawn, what served
# marketing is erased (the retention app's unsubscribe purge reads the date).
UNSUBSCRIBE_PURGE_MONTHS = 2

# What evidence a ledger entry keeps (never the raw IP: `ip` is replaced by its keyed hash).
EVIDENCE_KEYS = frozenset(
    {"form", "page", "source", "banner_version", "language", "gpc", "ip", "note"}
)

# The ledger


def consent_give(
    *,
    subject: DataSubject,
    purpose: str | ConsentPurpose,
    channel: str,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> ConsentEvent:
    """Record that `subject` gives the consent `purpose` (its code) through `channel`.

    Records nothing new (returns the entry that says so, `recorded` False) when the consent is
    given already to the current text and still counts. A consent that stopped counting after
    a material policy change, or given to an older text, is given anew. Giving a §2.5 consent
    clears the unsubscribe clock. Raises UnknownConsentPurpose, ConsentPurposeNotOffered (a
    purpose no longer offered can only be withdrawn), ConsentChannelRefused.
    """
    with transaction.atomic():
        return _consent_change(
            subject=subject,
            purpose=_purpose_get(purpose),
            action=Action.GIVEN,
            channel=channel,
            evidence=evidence,
            actor=actor,
            now=now,
        )


def consent_withdraw(
    *,
    subject: DataSubject,
    purpose: str | ConsentPurpose,
    channel: str,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> ConsentEvent:
    """Record that `subject` withdraws (or, never having given it, refuses) the consent.

    Records nothing new when it is withdrawn already. Withdrawing e-mail marketing ends every
    newsletter under it (each in the ledger). When the person no longer holds any §2.5 consent,
    sets `DataSubject.marketing_purge_due_on` two calendar months after the withdrawal's
    Brussels date (policy §2.5). Withdrawal never undoes the record of what came before (§1).
    """
    with transaction.atomic():
        return _consent_change(
            subject=subject,
            purpose=_purpose_get(purpose),
            action=Action.WITHDRAWN,
            channel=channel,
            evidence=evidence,
            actor=actor,
            now=now,
        )


def newsletter_subscribe(
    *,
    subject: DataSubject,
    newsletter: Newsletter,
    channel: str,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> ConsentEvent:
    """Subscribe `subject` to one newsletter or alert. Asking for a newsletter is asking for
    marketing e-mail: the consent it falls under is given first when it does not count yet."""
    with transaction.atomic():
        locked = _subject_lock(subject, now)
        now = now or timezone.now()  # after the lock: the ledger's time order is its order
        if not newsletter.is_active:
            raise ConsentPurposeNotOffered(code="newsletter_not_offered")
        _consent_change(
            subject=locked,
            purpose=newsletter.purpose,
            action=Action.GIVEN,
            channel=channel,
            evidence=evidence,
            actor=actor,
            now=now,
            locked=True,
        )
        subscription = NewsletterSubscription.objects.filter(
            subject=locked, newsletter=newsletter
        ).first()
        if subscription is not None:
            return _unchanged(subscription.last_event)
        event = _append(
            subject=locked,
            purpose=newsletter.purpose,
            newsletter=newsletter,
            action=Action.GIVEN,
            channel=channel,
            evidence=evidence,
            actor=actor,
            now=now,
        )
        NewsletterSubscription.objects.create(
            subject=locked, newsletter=newsletter, last_event=event, subscribed_at=now
        )
        _reconsent_answered(locked, now)
        return event


def newsletter_unsubscribe(
    *,
    subject: DataSubject,
    newsletter: Newsletter,
    channel: str,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> ConsentEvent:
    """Unsubscribe `subject` from one newsletter or alert, and nothing else: the consent it
    falls under stays as it is, even when this was the last newsletter (§5)."""
    with transaction.atomic():
        locked = _subject_lock(subject, now)
        now = now or timezone.now()
        return _newsletter_leave(
            subject=locked,
            newsletter=newsletter,
            channel=channel,
            evidence=evidence,
            actor=actor,
            now=now,
        )


def consent_choices_apply(
    *,
    subject: DataSubject,
    purposes: Mapping[str, bool],
    newsletters: Mapping[str, bool] | None = None,
    channel: str,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """Apply a set of choices at once (the consent page, the cookie banner): each consent
    code to give (True) or withdraw (False), then each newsletter code. One transaction;
    returns the entries appended (the unchanged choices append nothing).

    A withdrawal wins: a newsletter asked for under a consent withdrawn in the same choices
    is not subscribed (subscribing would give that consent again, against the person's
    explicit "no")."""
    recorded: list[ConsentEvent] = []
    with transaction.atomic():
        locked = _subject_lock(subject, now)
        now = now or timezone.now()
        for code, given in purposes.items():
            event = _consent_change(
                subject=locked,
                purpose=_purpose_get(code),
                action=Action.GIVEN if given else Action.WITHDRAWN,
                channel=channel,
                evidence=evidence,
                actor=actor,
                now=now,
                locked=True,
            )
            recorded.extend(event.cascade)
        withdrawn = {code for code, given in purposes.items() if not given}
        for code, subscribed in (newsletters or {}).items():
            newsletter = Newsletter.objects.select_related("purpose").filter(code=code).first()
            if newsletter is None:
                raise UnknownConsentPurpose(code="unknown_newsletter")
            if subscribed and newsletter.purpose.code in withdrawn:
                continue
            if subscribed:
                event = newsletter_subscribe(
                    subject=locked,
                    newsletter=newsletter,
                    channel=channel,
                    evidence=evidence,
                    actor=actor,
                    now=now,
                )
            else:
                event = _newsletter_leave(
                    subject=locked,
                    newsletter=newsletter,
                    channel=channel,
                    evidence=evidence,
                    actor=actor,
                    now=now,
                )
            if event.recorded:
                recorded.append(event)
    return recorded


def consent_gpc_apply(
    *,
    subject: DataSubject,
    evidence: Mapping[str, Any] | None = None,
    actor=None,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """A Global Privacy Control signal from the person (`Sec-GPC: 1`): an opt-out of sale or
    sharing and of personalised advertising. Withdraws each consent marked `gpc_opt_out` that
    is given, in the ledger with channel GPC; never any other consent (GPC is not a
    withdrawal of every cookie consent, nor an erasure)."""
    recorded = []
    with transaction.atomic():
        locked = _subject_lock(subject, now)
        now = now or timezone.now()
        given = ConsentState.objects.filter(
            subject=locked, status=ConsentState.Status.GIVEN, purpose__gpc_opt_out=True
        ).select_related("purpose")
        for state in given:
            event = _consent_change(
                subject=locked,
                purpose=state.purpose,
                action=Action.WITHDRAWN,
                channel=Channel.GPC,
                evidence={**(evidence or {}), "gpc": True},
                actor=actor,
                now=now,
                locked=True,
            )
            recorded.extend(event.cascade)
    return recorded


def _purpose_get(purpose: str | ConsentPurpose) -> ConsentPurpose:
    """The purpose of a code, with the id of its current text version (one query)."""
    if isinstance(purpose, ConsentPurpose):
        return purpose
    found = (
        ConsentPurpose.objects.filter(code=purpose)
        .annotate(
            current_version_id=Subquery(
                ConsentPurposeVersion.objects.filter(
                    purpose=OuterRef("pk"), number=OuterRef("version")
                ).values("pk")[:1]
            )
        )
        .first()
    )
    if found is None:
        raise UnknownConsentPurpose()
    return found


def _subject_lock(subject: DataSubject, now: datetime | None = None) -> DataSubject:
    """The subject's row, locked until the transaction ends: every change of one person's
    consents takes this lock first, so they serialise. Read with it: the policy version in
    force and whether a re-consent request waits for the person's answer."""
    in_force = PolicyVersion.objects.filter(
        published_at__isnull=False, published_at__lte=now or timezone.now()
    ).order_by("-published_at", "-pk")
    return (
        DataSubject.objects.select_for_update(of=("self",))
        .annotate(
            policy_in_force_id=Subquery(in_force.values("pk")[:1]),
            reconsent_open=Exists(
                ReconsentRequest.objects.filter(subject=OuterRef("pk"), answered_at__isnull=True)
            ),
        )
        .get(pk=subject.pk)
    )


def _unchanged(event: ConsentEvent) -> ConsentEvent:
    event.recorded = False
    event.cascade = []
    return event


def _consent_change(
    *,
    subject: DataSubject,
    purpose: ConsentPurpose,
    action: str,
    channel: str,
    evidence: Mapping[str, Any] | None,
    actor,
    now: datetime | None,
    locked: bool = False,
) -> ConsentEvent:
    if not locked:
        subject = _subject_lock(subject, now)
    # Taken under the lock, so the ledger's time order is the order its entries were written.
    now = now or timezone.now()
    if action == Action.GIVEN and not purpose.is_active:
        raise ConsentPurposeNotOffered()
    if channel == Channel.GPC and (action == Action.GIVEN or not purpose.gpc_opt_out):
        raise ConsentChannelRefused(code="gpc_only_opts_out")
    state = (
        ConsentState.objects.select_related("last_event", "purpose_version")
        .filter(subject=subject, purpose=purpose)
        .annotate(reconsent_due=ExpressionWrapper(reconsent_due_q(now), BooleanField()))
        .first()
    )
    if state is not None:
        if action == Action.WITHDRAWN and state.status == ConsentState.Status.WITHDRAWN:
            return _unchanged(state.last_event)
        if (
            action == Action.GIVEN
            and state.status == ConsentState.Status.GIVEN
            and state.purpose_version.number == purpose.version
            and not state.reconsent_due
        ):
            return _unchanged(state.last_event)
    was_given = state is not None and state.status == ConsentState.Status.GIVEN
    event = _append(
        subject=subject,
        purpose=purpose,
        newsletter=None,
        action=action,
        channel=channel,
        evidence=evidence,
        actor=actor,
        now=now,
    )
    given = action == Action.GIVEN
    values = {
        "status": action,
        "purpose_version_id": event.purpose_version_id,
        "last_event": event,
        "given_at": now if given else None,
        "changed_at": now,
    }
    if state is None:
        # No race: the subject's lock is held, and the unique constraint is the last net.
        ConsentState.objects.create(subject=subject, purpose=purpose, **values)
    else:
        ConsentState.objects.filter(pk=state.pk).update(**values)
    cascade = [event]
    if not given and purpose.contact_channel == ConsentPurpose.ContactChannel.EMAIL:
        # Withdrawing e-mail marketing ends every newsletter under it.
        for subscription in NewsletterSubscription.objects.filter(
            subject=subject, newsletter__purpose=purpose
        ).select_related("newsletter"):
            cascade.append(
                _newsletter_leave(
                    subject=subject,
                    newsletter=subscription.newsletter,
                    channel=channel,
                    evidence=evidence,
                    actor=actor,
                    now=now,
                )
            )
    if purpose.is_marketing:
        _unsubscribe_clock(subject=subject, given=given, was_given=was_given, now=now)
    _reconsent_answered(subject, now)
    event.cascade = cascade
    return event


def _newsletter_leave(
    *,
    subject: DataSubject,
    newsletter: Newsletter,
    channel: str,
    evidence: Mapping[str, Any] | None,
    actor,
    now: datetime,
) -> ConsentEvent:
    subscription = NewsletterSubscription.objects.filter(
        subject=subject, newsletter=newsletter
    ).first()
    if subscription is None:
        last = (
            ConsentEvent.objects.filter(subject=subject, newsletter=newsletter)
            .order_by("-recorded_at", "-pk")
            .first()
        )
        if last is not None and last.action == Action.WITHDRAWN:
            return _unchanged(last)
    event = _append(
        subject=subject,
        purpose=newsletter.purpose,
        newsletter=newsletter,
        action=Action.WITHDRAWN,
        channel=channel,
        evidence=evidence,
        actor=actor,
        now=now,
    )
    if subscription is not None:
        subscription.delete()
    return event


def _append(
    *,
    subject: DataSubject,
    purpose: ConsentPurpose,
    newsletter: Newsletter | None,
    action: str,
    channel: str,
    evidence: Mapping[str, Any] | None,
    actor,
    now: datetime,
) -> ConsentEvent:
    if channel not in Channel.values:
        raise ConsentChannelRefused(code="unknown_channel")
    actor_kind = _actor_kind(subject=subject, channel=channel, actor=actor)
    cleaned, note = _evidence_clean(evidence)
    language = cleaned.get("language") or (
        "" if channel in ConsentEvent.STAFF_CHANNELS else translation.get_language() or ""
    )
    event = ConsentEvent(
        subject=subject,
        subject_hash=subject_hash(subject.email),
        purpose=purpose,
        purpose_version_id=_current_version_id(purpose),
        newsletter=newsletter,
        action=action,
        channel=channel,
        policy_version_id=_policy_in_force_id(subject, now),
        actor=actor,
        actor_kind=actor_kind,
        language=language[:8],
        evidence=cleaned,
        note=note,
        recorded_at=now,
    )
    event.save()
    event.recorded = True
    event.cascade = [event]
    return event


def _current_version_id(purpose: ConsentPurpose) -> int:
    known = getattr(purpose, "current_version_id", None)  # read with the purpose
    if known is not None:
        return known
    return ConsentPurposeVersion.objects.values_list("pk", flat=True).get(
        purpose=purpose, number=purpose.version
    )


def _policy_in_force_id(subject: DataSubject, now: datetime) -> int | None:
    if hasattr(subject, "policy_in_force_id"):  # read with the subject's lock
        return subject.policy_in_force_id
    policy = policy_version_in_force(now=now)
    return policy.pk if policy is not None else None


def _actor_kind(*, subject: DataSubject, channel: str, actor) -> str:
    kinds = ConsentEvent.ActorKind
    is_staff = actor is not None and (actor.is_staff or actor.is_superuser)
    if channel in ConsentEvent.STAFF_CHANNELS:
        if not is_staff:
            raise ConsentChannelRefused(code="staff_channel")
        return kinds.STAFF
    if actor is None:
        return kinds.SUBJECT if channel in (Channel.ONE_CLICK, Channel.EMAIL_LINK) else kinds.SYSTEM
    if subject.user_id is not None and actor.pk == subject.user_id:
        return kinds.SUBJECT
    return kinds.STAFF if is_staff else kinds.API_CLIENT


def ip_hash(ip: str) -> str:
    """A keyed hash of an IP address (the ledger's evidence never holds the address)."""
    key = settings.RECEIPT_HASH_KEY.encode()
    return hmac.new(key, f"ip:{ip}".encode(), hashlib.sha256).hexdigest()


def _evidence_clean(evidence: Mapping[str, Any] | None) -> tuple[dict[str, Any], str]:
    evidence = dict(evidence or {})
    unknown = set(evidence) - EVIDENCE_KEYS
    if unknown:
        raise ValueError(f"unknown evidence keys: {sorted(unknown)}")
    note = str(evidence.pop("note", "") or "")
    ip = evidence.pop("ip", None)
    if ip:
        evidence["ip_hash"] = ip_hash(str(ip))
    return {k: v for k, v in evidence.items() if v not in (None, "")}, note


def _unsubscribe_clock(*, subject: DataSubject, given: bool, was_given: bool, now: datetime):
    """Policy §2.5: the date the marketing data must be gone, once no §2.5 consent is held."""
    subjects = DataSubject.objects.filter(pk=subject.pk)
    if given:
        # The subject's row is locked and was read with the lock: its date is current.
        if subject.marketing_purge_due_on is not None:
            subjects.update(marketing_purge_due_on=None)
            subject.marketing_purge_due_on = None
        return
    if not was_given:
        return  # a refusal of what was never given: nothing to purge for it
    still_held = ConsentState.objects.filter(
        subject=subject,
        status=ConsentState.Status.GIVEN,
        purpose__policy_purpose=PurposeCode.COMMERCIAL_COMMUNICATION,
    ).exists()
    if not still_held:
        due = add_months(local_date(now), UNSUBSCRIBE_PURGE_MONTHS)
        subjects.update(marketing_purge_due_on=due)
        subject.marketing_purge_due_on = due


def _reconsent_answered(subject: DataSubject, now: datetime) -> None:
    """A re-consent request is answered once none of its consents waits for an answer."""
    if not getattr(subject, "reconsent_open", True):
        return  # read with the subject's lock: none was open
    open_requests = ReconsentRequest.objects.filter(subject=subject, answered_at__isnull=True)
    if not open_requests.exists():
        subject.reconsent_open = False
        return
    waiting = ConsentState.objects.filter(subject=subject).filter(reconsent_due_q(now)).exists()
    if not waiting:
        open_requests.update(answered_at=now)
        subject.reconsent_open = False


# The consent register


@transaction.atomic
def consent_purpose_save(*, purpose: ConsentPurpose, actor=None) -> ConsentPurpose:
    """Save a consent purpose from the admin. A change of its text (name or description in
    any language) makes a new version; earlier versions stay as they were shown."""
    from modeltranslation.utils import get_translation_fields

    text_fields = [*get_translation_fields("name"), *get_translation_fields("description")]
    latest = (
        ConsentPurposeVersion.objects.filter(purpose_id=purpose.pk).order_by("-number").first()
        if purpose.pk
        else None
    )
    changed = latest is None or any(
        getattr(latest, name) != getattr(purpose, name) for name in text_fields
    )
    if changed and latest is not None:
        purpose.version = latest.number + 1
    purpose.save()
    if changed:
        ConsentPurposeVersion.objects.create(
            purpose=purpose,
            number=purpose.version,
            created_by=actor,
            **{name: getattr(purpose, name) for name in ["name", "description", *text_fields]},
        )
    return purpose


# One-click unsubscribe (RFC 8058) and marketing e-mail


def unsubscribe_token_make(
    *, subject: DataSubject, newsletter: Newsletter | None = None, purpose: str | None = None
) -> str:
    """The signed token of the unsubscribe link for one subject and one newsletter (or one
    consent, by code): consent.tokens."""
    if newsletter is not None:
        return token_make(kind="newsletter", subject_id=subject.pk, target_id=newsletter.pk)
    return token_make(kind="purpose", subject_id=subject.pk, target_id=_purpose_get(purpose).pk)


def unsubscribe_apply(*, token: str, now: datetime | None = None) -> ConsentEvent:
    """The one-click unsubscribe (RFC 8058): leave the token's newsletter, or withdraw its
    consent, through the one-click channel, by the person (no login: the signed token is the
    proof). Repeating it records nothing new. Raises InvalidUnsubscribeToken."""
    target = unsubscribe_target(token=token)
    if target is None:
        raise InvalidUnsubscribeToken()
    if target.newsletter is not None:
        return newsletter_unsubscribe(
            subject=target.subject,
            newsletter=target.newsletter,
            channel=Channel.ONE_CLICK,
            evidence={"form": "one_click_unsubscribe", "source": "e-mail"},
            now=now,
        )
    return consent_withdraw(
        subject=target.subject,
        purpose=target.purpose,
        channel=Channel.ONE_CLICK,
        evidence={"form": "one_click_unsubscribe", "source": "e-mail"},
        now=now,
    )


def unsubscribe_url(token: str) -> str:
    """The absolute https address of the unsubscribe link, from PUBLIC_BASE_URL (never from a
    request: messages are built by tasks)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("consent_unsubscribe", args=[token])


def marketing_message_build(
    *,
    subject: DataSubject,
    newsletter: Newsletter,
    subject_line: str,
    body_text: str,
    body_html: str,
) -> EmailMultiAlternatives:
    """The one way a marketing e-mail is made (policy §8: every one carries an unsubscribe).

    Refuses (ContactRefused, its code the reason) unless consent.selectors'
    `consent_contact_decision` allows e-mail for this newsletter now. Returns the message in
    the person's language with `List-Unsubscribe` (the https link, then a mailto) and
    `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), and the visible link
    in both bodies. `body_html` is the sender's own markup, put in as it is.
    """
    decision = consent_contact_decision(
        subject=subject, purpose=newsletter.purpose, newsletter=newsletter
    )
    if not decision.allowed:
        raise ContactRefused(code=decision.reason)
    token = unsubscribe_token_make(subject=subject, newsletter=newsletter)
    url = unsubscribe_url(token)
    mailto = f"mailto:{settings.UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
    language = subject.preferred_language
    with translation.override(language):
        newsletter_name = str(Newsletter.objects.get(pk=newsletter.pk).name)
        consent_page = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("consent_page")
    return email_build(
        template="consent/email/marketing",
        context={
            "subject_line": subject_line,
            "body_text": body_text,
            "body_html": mark_safe(body_html),  # noqa: S308 - the sender's own markup
            "newsletter_name": newsletter_name,
            "unsubscribe_url": url,
            "consent_page_url": consent_page,
        },
        language=language,
        to=[subject.email],
        headers={
            "List-Unsubscribe": f"<{url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<{newsletter.code}.newsletters.{_public_host()}>",
        },
    )


def _public_host() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"


# Policy versions and re-consent (§9)

RECONSENT_BATCH_SIZE = 500


@transaction.atomic
def policy_version_publish(
    *, policy_version: PolicyVersion, actor, now: datetime | None = None
) -> int:
    """Publish a policy version: from now on it is the one in force. For a material change,
    lists the persons holding a consent it changes that was given before now (one re-consent
    request each): those consents stop counting until they answer (the selector says
    "reconsent_pending"), the consent page asks them, and an e-mail asks them (a Celery task
    per batch of RECONSENT_BATCH_SIZE, each send recorded on the request). Returns how many
    persons are asked. Raises PolicyVersionAlreadyPublished."""
    from consent.tasks import reconsent_email_batch_task

    now = now or timezone.now()
    locked = PolicyVersion.objects.select_for_update().get(pk=policy_version.pk)
    if locked.published_at is not None:
        raise PolicyVersionAlreadyPublished()
    locked.published_at = now
    locked.published_by = actor
    locked.save(update_fields=["published_at", "published_by"])
    policy_version.published_at, policy_version.published_by = now, actor
    if not locked.material:
        logger.info("policy version %s published (not material)", locked.pk)
        return 0
    changed = list(locked.changed_purposes.values_list("pk", flat=True)) or list(
        ConsentPurpose.objects.values_list("pk", flat=True)
    )
    subject_ids = (
        ConsentState.objects.filter(
            status=ConsentState.Status.GIVEN, purpose_id__in=changed, given_at__lt=now
        )
        .values_list("subject_id", flat=True)
        .distinct()
        .order_by("subject_id")
    )
    ReconsentRequest.objects.bulk_create(
        (
            ReconsentRequest(subject_id=pk, policy_version=locked, created_at=now)
            for pk in subject_ids.iterator()
        ),
        batch_size=1000,
        ignore_conflicts=True,
    )
    ids = list(
        ReconsentRequest.objects.filter(policy_version=locked)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), RECONSENT_BATCH_SIZE):
        batch = ids[start : start + RECONSENT_BATCH_SIZE]
        reconsent_email_batch_task.delay_on_commit(locked.pk, batch[0], batch[-1])
    logger.info("policy version %s published: %s persons asked again", locked.pk, len(ids))
    return len(ids)


def reconsent_emails_send(*, policy_version_id: int, first_id: int, last_id: int) -> int:
    """E-mail the re-consent requests of one batch not e-mailed yet (nor answered), each in
    the person's language; each send is recorded on its request in the transaction that
    claims it, so a rerun sends no one twice and a failed send is retried. Returns the sends.

    Nobody whose restriction or objection stops commercial communication (GDPR Art. 18, 21)
    is e-mailed: asking them for marketing consent is marketing. Their consent page still
    asks them at their next visit."""
    sent = 0
    pending = ReconsentRequest.objects.filter(
        policy_version_id=policy_version_id,
        pk__gte=first_id,
        pk__lte=last_id,
        emailed_at__isnull=True,
        answered_at__isnull=True,
    ).exclude(
        subjects_processing_limited_q(purpose=PurposeCode.COMMERCIAL_COMMUNICATION, outer="subject")
    )
    for request_id in pending.values_list("pk", flat=True):
        with transaction.atomic():
            claimed = (
                ReconsentRequest.objects.select_for_update(skip_locked=True)
                .select_related("subject", "policy_version")
                .filter(pk=request_id, emailed_at__isnull=True)
                .first()
            )
            if claimed is None:
                continue
            _reconsent_message(claimed).send()
            claimed.emailed_at = timezone.now()
            claimed.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def _reconsent_message(request: ReconsentRequest) -> EmailMultiAlternatives:
    subject = request.subject
    language = subject.preferred_language
    with translation.override(language):
        policy = PolicyVersion.objects.get(pk=request.policy_version_id)
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        return email_build(
            template="consent/email/reconsent",
            context={
                "policy": policy,
                "summary": str(policy.summary),
                "consent_page_url": base + reverse("consent_page"),
            },
            language=language,
            to=[subject.email],
        )


# The Do Not Call Me list (Code of Economic Law Art. VI.111-114)

DO_NOT_CALL_BATCH_SIZE = 5_000


def do_not_call_import(
    *,
    lines: Iterable[str],
    mode: str,
    file_name: str = "",
    actor=None,
    now: datetime | None = None,
) -> DoNotCallImport:
    """Import the list's file: one number per line, or CSV with the number in the first
    column (a header line, blank lines and lines that hold no phone number are counted as not
    understood). Numbers are normalised to E.164 (Belgian national forms understood) and
    stored only as keyed hashes, in batches of DO_NOT_CALL_BATCH_SIZE, memory flat.

    mode "replace": the file is the whole list; numbers not in it are taken off. "add": the
    file's numbers are added, none taken off. One transaction: a failed import changes nothing
    (and is recorded as failed). A replace with no valid number is refused, as it would empty
    the list. Returns the import with its counts.
    """
    if mode not in DoNotCallImport.Mode.values:
        raise DoNotCallImportRefused(code="unknown_mode")
    run = DoNotCallImport.objects.create(
        file_name=file_name[:255], mode=mode, imported_by=actor, started_at=now or timezone.now()
    )
    try:
        with transaction.atomic():
            counts = _do_not_call_load(run, lines)
            if mode == DoNotCallImport.Mode.REPLACE:
                if not counts["valid"]:
                    raise DoNotCallImportRefused(code="replace_with_empty_list")
                removed, _ = DoNotCallNumber.objects.exclude(last_import=run).delete()
                counts["removed"] = removed
            run.lines_read = counts["lines"]
            run.numbers_valid = counts["valid"]
            run.lines_rejected = counts["rejected"]
            run.numbers_added = counts["added"]
            run.numbers_removed = counts["removed"]
            run.status = DoNotCallImport.Status.DONE
            run.finished_at = timezone.now()
            run.save()
    except Exception:
        DoNotCallImport.objects.filter(pk=run.pk).update(
            status=DoNotCallImport.Status.FAILED, finished_at=timezone.now()
        )
        raise
    logger.info(
        "do-not-call import %s: %s valid, %s added, %s removed",
        run.pk,
        run.numbers_valid,
        run.numbers_added,
        run.numbers_removed,
    )
    return run


def _do_not_call_load(run: DoNotCallImport, lines: Iterable[str]) -> dict[str, int]:
    counts = {"lines": 0, "valid": 0, "rejected": 0, "added": 0, "removed": 0}
    before = DoNotCallNumber.objects.count()
    batch: set[str] = set()
    seen = 0
    for line in lines:
        counts["lines"] += 1
        raw = line.strip().lstrip("\ufeff")
        if not raw:
            continue
        number = phone_normalise(raw.split(",")[0].split(";")[0].strip().strip('"'))
        if number is None:
            counts["rejected"] += 1
            continue
        counts["valid"] += 1
        batch.add(do_not_call_hash(number))
        if len(batch) >= DO_NOT_CALL_BATCH_SIZE:
            seen += _do_not_call_write(run, batch)
            batch = set()
    if batch:
        seen += _do_not_call_write(run, batch)
    counts["added"] = DoNotCallNumber.objects.count() - before
    return counts


def _do_not_call_write(run: DoNotCallImport, hashes: set[str]) -> int:
    DoNotCallNumber.objects.bulk_create(
        [DoNotCallNumber(number_hash=h, last_import=run) for h in hashes],
        update_conflicts=True,
        unique_fields=["number_hash"],
        update_fields=["last_import"],
        batch_size=DO_NOT_CALL_BATCH_SIZE,
    )
    return len(hashes)
