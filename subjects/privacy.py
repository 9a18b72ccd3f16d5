"""The personal data the subjects app holds (and the logins it links to), in the data map."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from subjects.datamap import Anonymise, KeepReason, KeepRule, RowAction, datamap
from subjects.models import (
    Application,
    BrowsingEvent,
    BusinessContact,
    ContactRequest,
    DataSubject,
    DeviceIdentifier,
    ErasurePending,
    LegalHold,
    Order,
    OrderLine,
    ProcessingLimit,
    PurposeCode,
    SurveyResponse,
)
from subjects.selectors import login_recorded_actions_q
from velux_privacy.calendar import add_months, local_date, start_of_day, start_of_year

P = PurposeCode

# What the person is told of each category (my data, the access export): how long it is kept
# and where it comes from (GDPR Art. 15(1)(d) and (g)), as the keep rules below do it.


def _orders_retention() -> str:
    return gettext(
        "For the accounting law: %(accounting)s years from 1 January after the year of "
        "delivery (Art. III.88 Code of Economic Law), and %(vat)s years from 1 January after "
        "the year of the invoice (Art. 60 VAT Code). An order that is still open is kept "
        "until it is completed. If you ask for erasure before the end of these periods, we "
        "keep the order without your name, address and card digits."
    ) % {
        "accounting": settings.ACCOUNTING_RETENTION_YEARS,
        "vat": settings.VAT_RETENTION_YEARS,
    }


def _marketing_retention() -> str:
    return gettext(
        "Only while you consent to commercial communication (privacy policy, section 2.5). "
        "After you withdraw that consent or unsubscribe, it is deleted within two months."
    )


_orders_retention_text = lazy(_orders_retention, str)()
_marketing_retention_text = lazy(_marketing_retention, str)()

_FROM_YOU_ACCOUNT = _("From you, when you created your account in this privacy centre.")
_ACCOUNT_KEPT = _(
    "As long as you keep your account. Deleted with it when you ask for erasure, or after "
    "two years without signing in."
)


def _years_kept_since(context, years: int):
    """1 January of the first year still kept when records are kept `years` years from
    1 January after the year they belong to, in Brussels years (dates of law, DESIGN.md)."""
    return start_of_year(local_date(context.now).year - years)


def _order_in_vat_period(prefix: str = ""):
    """Invoiced orders: the VAT Code keeps invoices, books and VAT documents 10 years from 1
    January after the invoice's year (Art. 60 §4 WBTW, since 1 January 2023 by the law of 20
    November 2022; VAT_RETENTION_YEARS)."""

    def rows(context):
        since = _years_kept_since(context, settings.VAT_RETENTION_YEARS).date()
        return Q(**{f"{prefix}invoiced_on__gte": since})

    return rows


def _order_in_books(prefix: str = ""):
    """Orders still in the books: accounting documents are kept 7 years from 1 January after
    the year they belong to (Art. III.88 WER, ACCOUNTING_RETENTION_YEARS; the financial year is
    the calendar year). An order belongs to the year of its delivery, or of its placing when
    it was never delivered."""

    def rows(context):
        since = _years_kept_since(context, settings.ACCOUNTING_RETENTION_YEARS)
        delivered_since = {f"{prefix}delivered_at__gte": since}
        placed_since = {f"{prefix}delivered_at__isnull": True, f"{prefix}placed_at__gte": since}
        return Q(**delivered_since) | Q(**placed_since)

    return rows


def _open_order(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": Order.Status.OPEN})


def _contract_in_force(context):
    """A contract that has not ended (Brussels date), or that started and has no end."""
    today = local_date(context.now)
    return Q(contract_end__gte=today) | Q(contract_start__isnull=False, contract_end__isnull=True)


def _has(model, condition: Q, *, to_subject: str = "subject", outer: str = "pk") -> Q:
    """The subjects (or rows reaching one through `outer`) that have a `model` row matching
    `condition`: an EXISTS, so a batch condition never repeats rows."""
    return Q(Exists(model._base_manager.filter(condition, **{to_subject: OuterRef(outer)})))


def _is_staff(prefix: str = "") -> Q:
    return Q(**{f"{prefix}is_staff": True}) | Q(**{f"{prefix}is_superuser": True})


def _login_in_use(context):
    """A login made or signed in within the inactivity period (§6: two years) is still in
    use: an erasure for some purposes only (the unsubscribe purge) leaves it, and the person.
    A login made yesterday whose address is still to be confirmed is in use too."""
    months = settings.INACTIVITY_ERASURE_MONTHS
    since = start_of_day(add_months(local_date(context.now), -months))
    return Q(last_login__gte=since) | Q(date_joined__gte=since)


def _staff_or_recorded(outer: str = "pk", prefix: str = "") -> Q:
    """A staff login, or one whose holder's actions something records (a former staff
    member's): never erased (DESIGN.md), with its e-mail addresses."""
    return _is_staff(prefix) | login_recorded_actions_q(outer=outer)


datamap.register(
    DataSubject,
    key="identity",
    retention=_(
        "As long as we hold other data about you on this page, and no longer. Deleted "
        "after two years without activity on our websites (privacy policy, section 6), "
        "or when you ask for erasure."
    ),
    source=_(
        "From you: when you contacted us, ordered, answered a survey, applied or created "
        "an account."
    ),
    label=_("identity and contact details"),
    # Who the person is serves every purpose they are in.
    purposes=list(P.values),
    subject_path="",
    # While other rows that are kept need the person, the person stays; with only an open
    # order, reduced to what delivering it needs (name, e-mail, phone, language): the delivery
    # address is on the order. Anything else still pointing at the person keeps them whole.
    keep=[
        KeepRule(
            KeepReason.CONTRACT_IN_FORCE, lambda c: _has(BusinessContact, _contract_in_force(c))
        ),
        KeepRule(
            KeepReason.OPEN_CONTACT_REQUEST,
            lambda c: _has(ContactRequest, Q(status=ContactRequest.Status.OPEN)),
        ),
        KeepRule(
            KeepReason.OPEN_APPLICATION,
            lambda c: _has(Application, Q(status__in=Application.OPEN_STATUSES)),
        ),
        KeepRule(
            KeepReason.OPEN_ORDER,
            lambda c: _has(Order, _open_order()),
            action=RowAction.ANONYMISE,
            anonymise=Anonymise(
                {"street": "", "postal_code": "", "city": "", "last_activity_at": None}
            ),
        ),
    ],
    fields=[
        "email",
        "first_name",
        "last_name",
        "phone",
        "street",
        "postal_code",
        "city",
        "country",
        "preferred_language",
        "created_at",
        "last_activity_at",
    ],
    provided=[
        "email",
        "first_name",
        "last_name",
        "phone",
        "street",
        "postal_code",
        "city",
        "country",
        "preferred_language",
    ],
)

# The person's login and what hangs on it: part of the identity. Found by the link and by
# the person's e-mail (a login signed up but not yet linked is theirs too). It goes only with
# the identity: while the person stays (an open order, a contract), so does their login, and
# they can still follow the order online. Staff logins, and those whose actions something
# records, are never erased (DESIGN.md: a staff login is nobody's data subject).
datamap.register(
    settings.AUTH_USER_MODEL,
    key="login",
    retention=_ACCOUNT_KEPT,
    source=_FROM_YOU_ACCOUNT,
    label=_("login"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="data_subject",
    match_email="email",
    with_identity=True,
    in_use=_login_in_use,
    fields=["email", "first_name", "last_name", "date_joined", "last_login"],
    provided=["email", "first_name", "last_name"],
    keep=[KeepRule(KeepReason.STAFF_LOGIN, lambda c: _staff_or_recorded())],
)

datamap.register(
    "account.EmailAddress",
    key="login_email_addresses",
    retention=_ACCOUNT_KEPT,
    source=_FROM_YOU_ACCOUNT,
    label=_("login e-mail addresses"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="user__data_subject",
    # Its own address, and every address of a login found by the person's address.
    match_email=("email", "user__email"),
    with_identity=True,
    fields=["email", "verified", "primary"],
    provided=["email"],
    keep=[KeepRule(KeepReason.STAFF_LOGIN, lambda c: _staff_or_recorded("user", "user__"))],
)

datamap.register(
    "account.EmailConfirmation",
    key="login_email_confirmations",
    retention=_ACCOUNT_KEPT,
    source=_("Made by us when we sent you a link to confirm your e-mail address."),
    label=_("login e-mail confirmations"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="email_address__user__data_subject",
    match_email=("email_address__email", "email_address__user__email"),
    with_identity=True,
    fields=["created", "sent"],
    keep=[KeepRule(KeepReason.STAFF_LOGIN, lambda c: _is_staff("email_address__user__"))],
)

datamap.register(
    "velux_privacy.LoginSession",
    key="login_sessions",
    retention=_(
        "Until you sign out, or at most two weeks. Expired sessions are deleted every night."
    ),
    source=_("Made by us each time you sign in."),
    label=_("sign-in sessions"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="user__data_subject",
    match_email="user__email",
    with_identity=True,
    fields=["expire_date"],
    keep=[KeepRule(KeepReason.STAFF_LOGIN, lambda c: _is_staff("user__"))],
)

datamap.register(
    BusinessContact,
    key="business_contacts",
    retention=_(
        "While the contract with you or your company is in force; afterwards deleted when "
        "you ask for erasure or after two years without activity."
    ),
    source=_("From you or your company, for the contract with VELUX."),
    purposes=[P.COMMERCIAL_ACTIVITY],
    subject_path="subject",
    fields=[
        "relationship",
        "company_name",
        "vat_number",
        "job_title",
        "contract_reference",
        "contract_start",
        "contract_end",
        "notes",
        "created_at",
    ],
    provided=["company_name", "vat_number", "job_title"],
    keep=[
        KeepRule(KeepReason.CONTRACT_IN_FORCE, _contract_in_force),
    ],
)

datamap.register(
    ContactRequest,
    key="contact_requests",
    retention=_(
        "Until your request has been answered; afterwards deleted when you ask for "
        "erasure or after two years without activity."
    ),
    source=_(
        "From you: your question at a branch, by phone, e-mail or post, or in a form on "
        "our websites."
    ),
    purposes=[P.ANSWERING_REQUESTS],
    subject_path="subject",
    fields=[
        "received_at",
        "channel",
        "kind",
        "product_interest",
        "message",
        "status",
        "answered_at",
    ],
    provided=["channel", "kind", "product_interest", "message"],
    keep=[
        KeepRule(
            KeepReason.OPEN_CONTACT_REQUEST,
            lambda c: Q(status=ContactRequest.Status.OPEN),
        )
    ],
    order_by=["-received_at"],
)

datamap.register(
    OrderLine,
    key="order_lines",
    retention=_("As long as the order they belong to."),
    source=_("From you when you ordered."),
    purposes=[P.CUSTOMERS],
    subject_path="order__subject",
    fields=[
        ("order__number", _("order number")),
        "product_code",
        "description",
        "quantity",
        "unit_price",
    ],
    provided=["product_code", "quantity"],
    # Lines hold no personal data of their own: they stay with an order that stays.
    keep=[
        KeepRule(KeepReason.OPEN_ORDER, lambda c: _open_order("order__")),
        KeepRule(KeepReason.VAT_PERIOD, _order_in_vat_period("order__")),
        KeepRule(KeepReason.ACCOUNTING_PERIOD, _order_in_books("order__")),
    ],
)

datamap.register(
    Order,
    key="orders",
    retention=_orders_retention_text,
    source=_(
        "From you when you ordered, and from the delivery and payment of the order (of "
        "a payment card we only ever receive its brand and last four digits)."
    ),
    purposes=[P.CUSTOMERS],
    subject_path="subject",
    fields=[
        "number",
        "placed_at",
        "status",
        "total_amount",
        "currency",
        "delivery_street",
        "delivery_postal_code",
        "delivery_city",
        "delivery_country",
        "installer_name",
        "distributor_name",
        "payment_card_brand",
        "payment_card_last4",
        "delivered_at",
        "invoiced_on",
    ],
    provided=[
        "delivery_street",
        "delivery_postal_code",
        "delivery_city",
        "delivery_country",
    ],
    anonymise=Anonymise(
        {
            "subject": None,
            "delivery_street": "",
            "delivery_postal_code": "",
            "delivery_city": "",
            "payment_card_last4": "",
            "anonymised_at": lambda c: c.now,
        }
    ),
    keep=[
        KeepRule(KeepReason.OPEN_ORDER, lambda c: _open_order()),
        KeepRule(KeepReason.VAT_PERIOD, _order_in_vat_period(), action=RowAction.ANONYMISE),
        KeepRule(KeepReason.ACCOUNTING_PERIOD, _order_in_books(), action=RowAction.ANONYMISE),
    ],
    order_by=["-placed_at"],
)

# Cookie and device identifiers and the browsing they track serve marketing (§2.5) and
# business development (§2.4), but are collected only with the §2.5 consent (tracking cookies
# need consent): when it is withdrawn, the unsubscribe purge erases them.
datamap.register(
    DeviceIdentifier,
    key="device_identifiers",
    retention=_marketing_retention_text,
    source=_("Collected by cookies on our websites and apps, with your consent."),
    purposes=[P.COMMERCIAL_COMMUNICATION, P.BUSINESS_DEVELOPMENT],
    consent_purpose=P.COMMERCIAL_COMMUNICATION,
    subject_path="subject",
    fields=["kind", "value", "first_seen_at", "last_seen_at"],
)

datamap.register(
    BrowsingEvent,
    key="browsing_history",
    retention=_marketing_retention_text,
    source=_("Collected by cookies on our websites, with your consent."),
    label=_("browsing history"),
    purposes=[P.COMMERCIAL_COMMUNICATION, P.BUSINESS_DEVELOPMENT],
    consent_purpose=P.COMMERCIAL_COMMUNICATION,
    subject_path="subject",
    # Not the device's identifier: nothing yet guarantees the device is this person's own.
    fields=["occurred_at", "event_type", "path"],
    order_by=["-occurred_at"],
)

datamap.register(
    SurveyResponse,
    key="survey_responses",
    retention=_(
        "Deleted after two years without activity on our websites (privacy policy, "
        "section 6), or earlier when you ask for erasure."
    ),
    source=_("From you, when you answered a survey or rated an installer."),
    purposes=[P.SURVEYS],
    subject_path="subject",
    fields=["submitted_at", "survey", "installer_name", "rating", "answers", "comment"],
    provided=["survey", "installer_name", "rating", "answers", "comment"],
    order_by=["-submitted_at"],
)

datamap.register(
    Application,
    key="applications",
    retention=_(
        "While your application is being considered; afterwards no longer than needed "
        "for it (privacy policy, section 6), and deleted when you ask for erasure."
    ),
    source=_(
        "From you, and, where the application says so, from former employers, "
        "references or public sources (privacy policy, section 2.7)."
    ),
    purposes=[P.CANDIDATES],
    subject_path="subject",
    fields=[
        "submitted_at",
        "kind",
        "position",
        "experience",
        "references",
        "checks",
        "source",
        "status",
        "decided_at",
    ],
    provided=["kind", "position", "experience", "references"],
    keep=[
        KeepRule(
            KeepReason.OPEN_APPLICATION,
            lambda c: Q(status__in=Application.OPEN_STATUSES),
        )
    ],
)

datamap.register(
    LegalHold,
    key="legal_holds",
    retention=_("As long as the law named in the hold requires."),
    source=_("Recorded by VELUX when the law requires us to keep data."),
    purposes=[P.LEGAL_OBLIGATIONS],
    subject_path="subject",
    fields=["placed_at", "legal_reference", "reason", "authority", "released_at"],
    keep=[KeepRule(KeepReason.LEGAL_HOLD, lambda c: LegalHold.active_q(now=c.now))],
)

datamap.register_subject_hold(
    KeepReason.LEGAL_HOLD, lambda now: _has(LegalHold, LegalHold.active_q(now=now))
)

# GDPR Art. 18(2): restricted data is only stored. No scheduled erasure (unsubscribe purge,
# inactivity) takes it while the restriction is in force (Art. 18(1)(b), (c): the person may
# need it); the person's own erasure request passes over it (IGNORABLE_HOLDS). The erasure
# kept back is finished once the restriction ends (the daily re-check of pending erasures).
datamap.register_subject_hold(
    KeepReason.RESTRICTION,
    lambda now: _has(
        ProcessingLimit,
        ProcessingLimit.active_q(now=now) & Q(kind=ProcessingLimit.Kind.RESTRICTION),
    ),
)

# Restrictions and objections, and erasures still to finish, are about the person's identity:
# they go with it, and never keep it on their own.
datamap.register(
    ProcessingLimit,
    key="processing_limits",
    retention=_("As long as the restriction or objection applies, and then with your identity."),
    source=_("Recorded by us when you restricted or objected to a use of your data."),
    purposes=[P.LEGAL_OBLIGATIONS],
    subject_path="subject",
    with_identity=True,
    fields=["kind", "purpose", "reason", "reference", "started_at", "ended_at"],
    order_by=["-started_at"],
)

datamap.register(
    ErasurePending,
    key="erasures_pending",
    retention=_("Until the reason to keep the data ends; then the erasure is finished."),
    source=_("Recorded by us when an erasure had to wait for a reason to keep data to end."),
    purposes=[P.LEGAL_OBLIGATIONS],
    subject_path="subject",
    with_identity=True,
    fields=["cause", "cause_reference", "kept_for", "recorded_at"],
)

datamap.declare_no_personal_data(
    "subjects.DeletionReceipt",
    why="the proof of an erasure: counts and a keyed hash of the e-mail, never the data",
)
for register_model in ("subjects.Purpose", "subjects.Recipient"):
    datamap.declare_no_personal_data(register_model, why="the policy's registers (§2, §4)")
datamap.declare_no_personal_data(
    "subjects.Recipient_purposes", why="which purposes a recipient serves"
)

# Staff actions in the admin log: written by staff logins, which have no data subject. An
# entry names the object it is about (allauth's EmailAddress by its e-mail): erasure re-labels
# the entries about every row it deletes or anonymises (subjects.services).
datamap.declare_no_personal_data(
    "admin.LogEntry", why="staff actions; erasure re-labels the entries about erased rows"
)
