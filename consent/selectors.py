"""Reads of the consent app: "may VELUX contact this subject for this purpose now", the
person's consents and history, consent receipts (Kantara CR v1.1), the cookie banner's
configuration, the policy version in force."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    DoNotCallNumber,
    Newsletter,
    NewsletterSubscription,
    PolicyVersion,
    ReconsentRequest,
)
from consent.phone import do_not_call_hash, phone_normalise
from consent.tokens import token_read
from subjects.compiled import (
    Compiled,
    stand_in_subject,
    statement_fill,
    statements_run,
    values_compile,
)
from subjects.models import DataSubject, ProcessingLimit
from subjects.selectors import subject_processing_allowed, subject_processing_limits
from velux_privacy.snapshots import Snapshot

_VIEWER_SUBJECT = "_privacy_viewer_subject"


def subject_of_viewer(viewer) -> DataSubject | None:
    """The data subject the signed-in `viewer` is linked to (None for an anonymous visitor or
    an account linked to no one), with `reconsent_open`: whether a re-consent request waits
    for their answer. Read once per request, in one query (compiled once per process,
    prepared on PostgreSQL: every signed-in page asks), and kept on the viewer (a new
    instance on every request): the pages that show the person's data and the banner that
    asks them to confirm their consents (`consent.context_processors.reconsent`) share it."""
    if viewer is None or not viewer.is_authenticated:
        return None
    try:
        return getattr(viewer, _VIEWER_SUBJECT)
    except AttributeError:
        pass
    statement = _viewer_statement()
    [fetched] = statements_run([(statement.sql, statement_fill(statement.params, viewer))])
    subject = None
    for values in statement.rows(fetched):
        reconsent_open = values.pop("reconsent_open")
        subject = DataSubject.from_db(connection.alias, list(values), list(values.values()))
        subject.reconsent_open = bool(reconsent_open)
    setattr(viewer, _VIEWER_SUBJECT, subject)
    return subject


_viewer_statements: dict[tuple[str, str], Compiled] = {}


def _viewer_statement() -> Compiled:
    """`subject_of_viewer`'s query, compiled with the stand-in's id as the login's."""
    key = (connection.alias, connection.vendor)
    statement = _viewer_statements.get(key)
    if statement is None:
        queryset = (
            DataSubject.objects.filter(user_id=stand_in_subject().pk)
            .annotate(
                reconsent_open=Exists(
                    ReconsentRequest.objects.filter(
                        subject=OuterRef("pk"), answered_at__isnull=True
                    )
                )
            )
            .order_by("pk")
            .values(*(f.attname for f in DataSubject._meta.concrete_fields), "reconsent_open")
        )[:1]
        statement = _viewer_statements[key] = values_compile(queryset, key="subject_of_viewer")
    return statement


def _published_versions_load() -> tuple[PolicyVersion, ...]:
    return tuple(
        PolicyVersion.objects.filter(published_at__isnull=False).order_by("-published_at", "-pk")
    )


# The versions published, newest first, kept between requests until one changes (every page
# names the version in force).
_published_versions = Snapshot("policy-versions", _published_versions_load, [PolicyVersion])


def policy_version_in_force(*, now: datetime | None = None) -> PolicyVersion | None:
    """The policy version published last (at or before `now`): the one in force (§9)."""
    now = now or timezone.now()
    return next((v for v in _published_versions.get() if v.published_at <= now), None)


def reconsent_due_q(now: datetime | None = None) -> Q:
    """ConsentState rows given before a material policy change that changes their consent was
    published: they stop counting until the person answers (§9)."""
    material = PolicyVersion.objects.filter(
        Q(changed_purposes=OuterRef("purpose")) | Q(changed_purposes__isnull=True),
        material=True,
        published_at__isnull=False,
        published_at__lte=now or timezone.now(),
        published_at__gt=OuterRef("given_at"),
    )
    return Q(status=ConsentState.Status.GIVEN) & Q(Exists(material))


# May VELUX contact this subject for this purpose now?


class ContactReason(models.TextChoices):
    ALLOWED = "allowed", _("allowed: the person consented")
    NO_CONSENT = "no_consent", _("no consent given")
    WITHDRAWN = "consent_withdrawn", _("consent withdrawn")
    RECONSENT_PENDING = (
        "reconsent_pending",
        _("asked again after a material policy change, not answered yet"),
    )
    RESTRICTED = "restricted", _("processing restricted (GDPR Art. 18)")
    OBJECTED = "objected", _("the person objected (GDPR Art. 21)")
    DO_NOT_CALL = "do_not_call", _("the number is on the Do Not Call Me list")
    NO_PHONE_NUMBER = "no_phone_number", _("no valid phone number held")
    NOT_SUBSCRIBED = "not_subscribed", _("not subscribed to this newsletter")
    NOT_OFFERED = "not_offered", _("this newsletter is no longer sent")


@dataclass(frozen=True)
class ContactDecision:
    allowed: bool
    reason: str  # a ContactReason

    @property
    def message(self) -> str:
        return str(ContactReason(self.reason).label)


def consent_contact_decision(
    *,
    subject: DataSubject,
    purpose: str | ConsentPurpose,
    newsletter: Newsletter | None = None,
    now: datetime | None = None,
) -> ContactDecision:
    """Whether VELUX may contact `subject` for the consent `purpose` (a code or the purpose)
    now, and why not. Every sender, marketing_message_build and the API ask this; nothing else
    decides it.

    In order: a restriction or objection in force for the purpose's policy purpose
    (subjects.selectors.subject_processing_allowed); for phone marketing, a number on the Do
    Not Call Me list whatever the consent says (or no valid number); the consent itself
    (none, withdrawn, or waiting for an answer after a material policy change); for a
    newsletter, the subscription. At most four queries.
    """
    if not isinstance(purpose, ConsentPurpose):
        purpose = ConsentPurpose.objects.get(code=purpose)
    now = now or timezone.now()
    if not subject_processing_allowed(subject=subject, purpose=purpose.policy_purpose, now=now):
        kinds = set(
            subject_processing_limits(
                subject=subject, purpose=purpose.policy_purpose, now=now
            ).values_list("kind", flat=True)
        )
        restricted = ProcessingLimit.Kind.RESTRICTION in kinds
        return ContactDecision(
            False, ContactReason.RESTRICTED if restricted else ContactReason.OBJECTED
        )
    if purpose.contact_channel == ConsentPurpose.ContactChannel.PHONE:
        number = phone_normalise(subject.phone) if subject.phone else None
        if number is None:
            return ContactDecision(False, ContactReason.NO_PHONE_NUMBER)
        if DoNotCallNumber.objects.filter(number_hash=do_not_call_hash(number)).exists():
            return ContactDecision(False, ContactReason.DO_NOT_CALL)
    state = (
        ConsentState.objects.filter(subject=subject, purpose=purpose)
        .annotate(reconsent_due=ExpressionWrapper(reconsent_due_q(now), BooleanField()))
        .values("status", "reconsent_due")
        .first()
    )
    if state is None:
        return ContactDecision(False, ContactReason.NO_CONSENT)
    if state["status"] != ConsentState.Status.GIVEN:
        return ContactDecision(False, ContactReason.WITHDRAWN)
    if state["reconsent_due"]:
        return ContactDecision(False, ContactReason.RECONSENT_PENDING)
    if newsletter is not None:
        if not newsletter.is_active:
            return ContactDecision(False, ContactReason.NOT_OFFERED)
        if not NewsletterSubscription.objects.filter(
            subject=subject, newsletter=newsletter
        ).exists():
            return ContactDecision(False, ContactReason.NOT_SUBSCRIBED)
    return ContactDecision(True, ContactReason.ALLOWED)


def consent_purposes_limited(
    *,
    subject: DataSubject | None,
    purposes: list[ConsentPurpose],
    now: datetime | None = None,
) -> set[str]:
    """The codes of `purposes` whose policy purpose a restriction or objection of `subject`
    in force now stops (GDPR Art. 18, 21): the cookie banner keeps them off and locked, so no
    analytics or chat (§2.4) nor tracking (§2.5) runs on them whatever the consent says. One
    query per policy purpose concerned (at most two); none without a subject."""
    if subject is None:
        return set()
    stopped = {
        policy_purpose
        for policy_purpose in {p.policy_purpose for p in purposes}
        if not subject_processing_allowed(subject=subject, purpose=policy_purpose, now=now)
    }
    return {p.code for p in purposes if p.policy_purpose in stopped}


# The person's consents


@dataclass
class NewsletterChoice:
    newsletter: Newsletter
    subscribed: bool


@dataclass
class ConsentChoice:
    """One consent as the person's page shows it."""

    purpose: ConsentPurpose
    state: ConsentState | None
    reconsent_due: bool
    newsletters: list[NewsletterChoice] = field(default_factory=list)

    @property
    def given(self) -> bool:
        return self.state is not None and self.state.status == ConsentState.Status.GIVEN

    @property
    def counts(self) -> bool:
        return self.given and not self.reconsent_due


def consent_choices_for_subject(
    *, for_subject: DataSubject, now: datetime | None = None
) -> list[ConsentChoice]:
    """Every consent offered (and any no longer offered that the person still holds), with
    the person's state, whether it waits for a re-consent, and the newsletters under it.
    Four queries."""
    states = {
        state.purpose_id: state
        for state in ConsentState.objects.filter(subject=for_subject)
        .select_related("purpose_version", "last_event")
        .annotate(reconsent_due=ExpressionWrapper(reconsent_due_q(now), BooleanField()))
    }
    purposes = ConsentPurpose.objects.filter(
        Q(is_active=True)
        | Q(pk__in=[pk for pk, s in states.items() if s.status == ConsentState.Status.GIVEN])
    ).prefetch_related("recipients")
    subscribed = set(
        NewsletterSubscription.objects.filter(subject=for_subject).values_list(
            "newsletter_id", flat=True
        )
    )
    newsletters: dict[int, list[Newsletter]] = {}
    for newsletter in Newsletter.objects.filter(Q(is_active=True) | Q(pk__in=subscribed)):
        newsletters.setdefault(newsletter.purpose_id, []).append(newsletter)
    choices = []
    for purpose in purposes:
        state = states.get(purpose.pk)
        choices.append(
            ConsentChoice(
                purpose=purpose,
                state=state,
                reconsent_due=bool(state is not None and state.reconsent_due),
                newsletters=[
                    NewsletterChoice(n, n.pk in subscribed) for n in newsletters.get(purpose.pk, [])
                ],
            )
        )
    return choices


def consent_history_for_subject(*, for_subject: DataSubject) -> QuerySet[ConsentEvent]:
    """The person's ledger, newest first."""
    return (
        ConsentEvent.objects.filter(subject=for_subject)
        .select_related("purpose_version", "newsletter", "policy_version", "purpose")
        .order_by("-recorded_at", "-pk")
    )


def consent_event_for_subject(*, for_subject: DataSubject, receipt_id) -> ConsentEvent | None:
    """One entry of the person's own ledger by its receipt ID; None for anybody else's."""
    return (
        consent_history_for_subject(for_subject=for_subject).filter(receipt_id=receipt_id).first()
    )


# Consent receipts: Kantara Initiative Consent Receipt Specification v1.1.0

RECEIPT_VERSION = "KI-CR-v1.1.0"
CONTROLLER = {
    "piiController": "VELUX Belgium",
    "onBehalf": False,
    "contact": "VELUX Belgium privacy team",
    "address": {
        "streetAddress": "Boulevard de l'Europe 121",
        "addressLocality": "Bierges",
        "postalCode": "1301",
        "addressCountry": "BE",
    },
    "email": "info-be@velux.com",
    "phone": "tel:+32-10-420909",
    "piiControllerUrl": "https://www.velux.be",
}


def consent_receipt(*, entry: ConsentEvent) -> dict[str, Any]:
    """The Kantara CR v1.1 receipt of one ledger entry: what was consented (or withdrawn),
    when (seconds since the epoch), how, under which policy (the version in force then: an old
    receipt keeps its old policyUrl), by whom, to whom it may go. The purpose text is the
    version the person saw, in the language they saw it in."""
    version = entry.purpose_version
    language = entry.language or (entry.subject.preferred_language if entry.subject else "nl")
    name = getattr(version, f"name_{language}", None) or version.name
    text = getattr(version, f"description_{language}", None) or version.description
    if entry.newsletter is not None:
        newsletter_name = (
            getattr(entry.newsletter, f"name_{language}", None) or entry.newsletter.name
        )
        name = f"{name}: {newsletter_name}"
    recipients = [r.name for r in entry.purpose.recipients.all()]
    method = str(ConsentEvent.Channel(entry.channel).label)
    if entry.action == ConsentEvent.Action.WITHDRAWN:
        method = f"withdrawal: {method}"
    receipt = {
        "version": RECEIPT_VERSION,
        "jurisdiction": "BE",
        "consentTimestamp": int(entry.recorded_at.timestamp()),
        "collectionMethod": method,
        "consentReceiptID": str(entry.receipt_id),
        "language": language,
        "piiPrincipalId": entry.subject.email if entry.subject else entry.subject_hash,
        "piiControllers": [CONTROLLER],
        "policyUrl": (
            entry.policy_version.url if entry.policy_version else settings.PUBLIC_BASE_URL
        ),
        "services": [
            {
                "service": name,
                "purposes": [
                    {
                        "purpose": text,
                        "purposeCategory": list(entry.purpose.purpose_categories),
                        "consentType": "EXPLICIT",
                        "piiCategory": list(entry.purpose.pii_categories),
                        "primaryPurpose": True,
                        "termination": (
                            "Until withdrawn, at any time, on the consent page or through the "
                            "unsubscribe link in every message."
                        ),
                        "thirdPartyDisclosure": bool(recipients),
                        **({"thirdPartyName": ", ".join(recipients)} if recipients else {}),
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
    }
    return receipt


# The cookie banner


def banner_purposes() -> list[ConsentPurpose]:
    return list(
        ConsentPurpose.objects.filter(is_active=True, in_cookie_banner=True).prefetch_related(
            "recipients"
        )
    )


def banner_version(purposes: list[ConsentPurpose]) -> str:
    """The version of what the banner shows: it changes when a category, its text or the
    vendors it names do (a choice covers the vendors the person was shown, no others), and
    the banner then asks again. Reads the purposes' recipients (prefetched by
    `banner_purposes`)."""
    basis = ",".join(
        f"{p.code}.{p.version}:" + "|".join(sorted(f"{r.pk}.{r.name}" for r in p.recipients.all()))
        for p in sorted(purposes, key=lambda p: p.code)
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


# One-click unsubscribe


@dataclass(frozen=True)
class UnsubscribeTarget:
    """What an unsubscribe link stops: one newsletter, or one consent, of one subject."""

    subject: DataSubject
    purpose: ConsentPurpose
    newsletter: Newsletter | None


def unsubscribe_target(*, token: str) -> UnsubscribeTarget | None:
    """The subject and newsletter (or consent) a signed token names; None for a token that is
    not ours or names nothing that exists (an erased person): the caller cannot tell which."""
    content = token_read(token)
    if content is None:
        return None
    subject = DataSubject.objects.filter(pk=content.subject_id).first()
    if subject is None:
        return None
    if content.kind == "newsletter":
        newsletter = (
            Newsletter.objects.select_related("purpose").filter(pk=content.target_id).first()
        )
        if newsletter is None:
            return None
        return UnsubscribeTarget(subject, newsletter.purpose, newsletter)
    purpose = ConsentPurpose.objects.filter(pk=content.target_id).first()
    if purpose is None:
        return None
    return UnsubscribeTarget(subject, purpose, None)
