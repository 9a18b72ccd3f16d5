"""The personal data the subjects app holds (and the logins it links to), in the data map."""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subjects.datamap import Anonymise, KeepReason, KeepRule, RowAction, datamap
from subjects.models import (
    Application,
    BrowsingEvent,
    BusinessContact,
    ContactRequest,
    DataSubject,
    DeviceIdentifier,
    LegalHold,
    Order,
    OrderLine,
    PurposeCode,
    SurveyResponse,
)
from velux_privacy.calendar import local_date, start_of_year

P = PurposeCode


def _order_in_books(prefix: str = ""):
    """Orders still in the books: accounting documents are kept 7 years from 1 January after
    the year they belong to (Art. III.88 WER; the financial year is the calendar year). An
    order belongs to the year of its delivery, or of its placing when it was never delivered.
    Years are Brussels years (dates of law, DESIGN.md)."""

    def rows(context):
        first_year_kept = local_date(context.now).year - settings.ACCOUNTING_RETENTION_YEARS
        since = start_of_year(first_year_kept)
        delivered_since = {f"{prefix}delivered_at__gte": since}
        placed_since = {f"{prefix}delivered_at__isnull": True, f"{prefix}placed_at__gte": since}
        return Q(**delivered_since) | Q(**placed_since)

    return rows


def _contract_in_force(context):
    """A contract that has not ended (Brussels date), or that started and has no end."""
    today = local_date(context.now)
    return Q(contract_end__gte=today) | Q(contract_start__isnull=False, contract_end__isnull=True)


datamap.register(
    DataSubject,
    key="identity",
    label=_("identity and contact details"),
    # Who the person is serves every purpose they are in.
    purposes=list(P.values),
    subject_path="",
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

datamap.register(
    settings.AUTH_USER_MODEL,
    key="login",
    label=_("login"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="data_subject",
    fields=["email", "first_name", "last_name", "date_joined", "last_login"],
    provided=["email", "first_name", "last_name"],
)

datamap.register(
    "account.EmailAddress",
    key="login_email_addresses",
    label=_("login e-mail addresses"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="user__data_subject",
    fields=["email", "verified", "primary"],
    provided=["email"],
)

datamap.register(
    "account.EmailConfirmation",
    key="login_email_confirmations",
    label=_("login e-mail confirmations"),
    purposes=[P.CUSTOMERS, P.ANSWERING_REQUESTS],
    subject_path="email_address__user__data_subject",
    fields=["created", "sent"],
)

datamap.register(
    BusinessContact,
    key="business_contacts",
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
        KeepRule(KeepReason.OPEN_ORDER, lambda c: Q(order__status=Order.Status.OPEN)),
        KeepRule(KeepReason.ACCOUNTING_PERIOD, _order_in_books("order__")),
    ],
)

datamap.register(
    Order,
    key="orders",
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
        KeepRule(KeepReason.OPEN_ORDER, lambda c: Q(status=Order.Status.OPEN)),
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
    purposes=[P.COMMERCIAL_COMMUNICATION, P.BUSINESS_DEVELOPMENT],
    consent_purpose=P.COMMERCIAL_COMMUNICATION,
    subject_path="subject",
    fields=["kind", "value", "first_seen_at", "last_seen_at"],
)

datamap.register(
    BrowsingEvent,
    key="browsing_history",
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
    purposes=[P.SURVEYS],
    subject_path="subject",
    fields=["submitted_at", "survey", "installer_name", "rating", "answers", "comment"],
    provided=["survey", "installer_name", "rating", "answers", "comment"],
    order_by=["-submitted_at"],
)

datamap.register(
    Application,
    key="applications",
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
    purposes=[P.LEGAL_OBLIGATIONS],
    subject_path="subject",
    fields=["placed_at", "legal_reference", "reason", "authority", "released_at"],
    keep=[KeepRule(KeepReason.LEGAL_HOLD, lambda c: Q(released_at__isnull=True))],
)

datamap.register_subject_hold(
    KeepReason.LEGAL_HOLD,
    lambda subject: LegalHold.objects.filter(subject=subject, released_at__isnull=True).exists(),
)

# Staff actions in the admin log: written by staff logins, which have no data subject. An
# entry names the object it is about (allauth's EmailAddress by its e-mail): erasure re-labels
# the entries about every row it deletes or anonymises (subjects.services).
datamap.declare_no_personal_data(
    "admin.LogEntry", why="staff actions; erasure re-labels the entries about erased rows"
)
