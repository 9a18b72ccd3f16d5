"""What "my data" says about each category of the data map besides its rows: how long it is
kept and where it comes from (GDPR Art. 15(1)(d) and (g)).

These texts belong with the categories in the data map (subjects/privacy.py); until the map
has a place for them, the centre keeps them here, by category key. A test fails when a
category of the map has no entry, so a new category cannot reach "my data" without them.
Texts state what the software does (the keep rules of subjects/privacy.py, the schedules of
policy §2.5 and §6); the statutory periods of orders are read from settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CategoryNotes:
    retention: str | Promise
    source: str | Promise


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


orders_retention = lazy(_orders_retention, str)()
marketing_retention = lazy(_marketing_retention, str)()

_FROM_YOU_ACCOUNT = _("From you, when you created your account in this privacy centre.")
_ACCOUNT_KEPT = _(
    "As long as you keep your account. Deleted with it when you ask for erasure, or after "
    "two years without signing in."
)

NOTES: dict[str, CategoryNotes] = {
    "identity": CategoryNotes(
        retention=_(
            "As long as we hold other data about you on this page, and no longer. Deleted "
            "after two years without activity on our websites (privacy policy, section 6), "
            "or when you ask for erasure."
        ),
        source=_(
            "From you: when you contacted us, ordered, answered a survey, applied or created "
            "an account."
        ),
    ),
    "login": CategoryNotes(retention=_ACCOUNT_KEPT, source=_FROM_YOU_ACCOUNT),
    "login_email_addresses": CategoryNotes(retention=_ACCOUNT_KEPT, source=_FROM_YOU_ACCOUNT),
    "login_email_confirmations": CategoryNotes(
        retention=_ACCOUNT_KEPT,
        source=_("Made by us when we sent you a link to confirm your e-mail address."),
    ),
    "login_sessions": CategoryNotes(
        retention=_(
            "Until you sign out, or at most two weeks. Expired sessions are deleted every night."
        ),
        source=_("Made by us each time you sign in."),
    ),
    "business_contacts": CategoryNotes(
        retention=_(
            "While the contract with you or your company is in force; afterwards deleted when "
            "you ask for erasure or after two years without activity."
        ),
        source=_("From you or your company, for the contract with VELUX."),
    ),
    "contact_requests": CategoryNotes(
        retention=_(
            "Until your request has been answered; afterwards deleted when you ask for "
            "erasure or after two years without activity."
        ),
        source=_(
            "From you: your question at a branch, by phone, e-mail or post, or in a form on "
            "our websites."
        ),
    ),
    "orders": CategoryNotes(
        retention=orders_retention,
        source=_(
            "From you when you ordered, and from the delivery and payment of the order (of "
            "a payment card we only ever receive its brand and last four digits)."
        ),
    ),
    "order_lines": CategoryNotes(
        retention=_("As long as the order they belong to."),
        source=_("From you when you ordered."),
    ),
    "device_identifiers": CategoryNotes(
        retention=marketing_retention,
        source=_("Collected by cookies on our websites and apps, with your consent."),
    ),
    "browsing_history": CategoryNotes(
        retention=marketing_retention,
        source=_("Collected by cookies on our websites, with your consent."),
    ),
    "survey_responses": CategoryNotes(
        retention=_(
            "Deleted after two years without activity on our websites (privacy policy, "
            "section 6), or earlier when you ask for erasure."
        ),
        source=_("From you, when you answered a survey or rated an installer."),
    ),
    "applications": CategoryNotes(
        retention=_(
            "While your application is being considered; afterwards no longer than needed "
            "for it (privacy policy, section 6), and deleted when you ask for erasure."
        ),
        source=_(
            "From you, and, where the application says so, from former employers, "
            "references or public sources (privacy policy, section 2.7)."
        ),
    ),
    "legal_holds": CategoryNotes(
        retention=_("As long as the law named in the hold requires."),
        source=_("Recorded by VELUX when the law requires us to keep data."),
    ),
    "processing_limits": CategoryNotes(
        retention=_(
            "As long as the restriction or objection applies, and then with your identity."
        ),
        source=_("Recorded by us when you restricted or objected to a use of your data."),
    ),
    "erasures_pending": CategoryNotes(
        retention=_("Until the reason to keep the data ends; then the erasure is finished."),
        source=_("Recorded by us when an erasure had to wait for a reason to keep data to end."),
    ),
}

_UNKNOWN = CategoryNotes(
    retention=_("No longer than its purpose needs (privacy policy, section 6)."),
    source=_("Ask us: we tell you where this data comes from."),
)


def category_notes(key: str) -> CategoryNotes:
    """The notes of the data map category `key` (a general text where none is written yet)."""
    return NOTES.get(key, _UNKNOWN)
