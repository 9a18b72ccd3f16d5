"""The personal data the consent app holds, in the data map.

- The ledger is the proof of what was consented, when (policy §1; GDPR Art. 7(1)): it is part
  of the person's identity here, so it stays as long as they do (the unsubscribe purge does
  not take it while other data keeps them), and an erasure anonymises it: the subject is
  unlinked and the staff note blanked, the keyed hash of the e-mail stays, so an auditor given
  the address can still prove what was consented, without the ledger holding personal data.
- The current state goes with the identity: it only repeats the ledger's last word.
- Newsletter subscriptions exist only by the §2.5 e-mail marketing consent: the unsubscribe
  purge takes them (consent_purpose), and so does any erasure.
- Re-consent requests say the person was asked again: they go with the identity.
"""

from django.utils.translation import gettext_lazy as _

from consent.models import (
    ConsentEvent,
    ConsentState,
    NewsletterSubscription,
    ReconsentRequest,
)
from subjects.datamap import Anonymise, datamap
from subjects.models import PurposeCode

P = PurposeCode
CONSENT_PURPOSES = [P.COMMERCIAL_COMMUNICATION, P.BUSINESS_DEVELOPMENT]

datamap.register(
    ConsentEvent,
    key="consent_ledger",
    retention=_(
        "As long as we hold data about you: it proves what you agreed to and when. When "
        "you ask for erasure it stays without anything that names you."
    ),
    source=_(
        "From you, by the consent page, the cookie banner, an unsubscribe link or staff who "
        "recorded your letter, call or visit."
    ),
    label=_("consent history"),
    purposes=CONSENT_PURPOSES,
    subject_path="subject",
    with_identity=True,
    fields=[
        "recorded_at",
        ("purpose__code", _("consent")),
        ("purpose_version__number", _("text version")),
        ("newsletter__code", _("newsletter or alert")),
        "action",
        "channel",
        "actor_kind",
        ("policy_version__number", _("privacy policy in force")),
        "language",
        "receipt_id",
    ],
    provided=["action"],
    # A consent is given or withdrawn (with its evidence), never corrected.
    rectifiable=False,
    erasure=Anonymise({"subject": None, "note": ""}),
    order_by=["-recorded_at", "-pk"],
)

datamap.register(
    ConsentState,
    key="consent_states",
    retention=_("As long as we hold data about you; it repeats the history's last word."),
    source=_("From your consent history."),
    label=_("consents now"),
    purposes=CONSENT_PURPOSES,
    subject_path="subject",
    with_identity=True,
    rectifiable=False,  # the ledger's last word: changed by giving or withdrawing
    fields=[
        ("purpose__code", _("consent")),
        "status",
        ("purpose_version__number", _("text version")),
        "given_at",
        "changed_at",
    ],
    provided=["status"],
)

datamap.register(
    NewsletterSubscription,
    key="newsletter_subscriptions",
    retention=_(
        "Until you unsubscribe; deleted with your other marketing data within two months "
        "(privacy policy, section 2.5)."
    ),
    source=_("From you, when you subscribed."),
    purposes=[P.COMMERCIAL_COMMUNICATION],
    consent_purpose=P.COMMERCIAL_COMMUNICATION,
    subject_path="subject",
    fields=[("newsletter__code", _("newsletter or alert")), "subscribed_at"],
    provided=["newsletter__code"],
)

datamap.register(
    ReconsentRequest,
    key="reconsent_requests",
    retention=_("Until you answer, and then with your identity."),
    source=_("Made by us when a change of the privacy policy asked you again for a consent."),
    purposes=CONSENT_PURPOSES,
    subject_path="subject",
    with_identity=True,
    fields=[
        ("policy_version__number", _("privacy policy version")),
        "created_at",
        "emailed_at",
        "answered_at",
    ],
)

for model, why in [
    ("consent.ConsentPurpose", "the consent register: purposes and their texts"),
    ("consent.ConsentPurpose_recipients", "which vendors a consent purpose names"),
    ("consent.ConsentPurposeVersion", "the texts of the consent register as shown"),
    ("consent.Newsletter", "the newsletters and alerts offered"),
    ("consent.PolicyVersion", "the privacy policy's versions"),
    ("consent.PolicyVersion_changed_purposes", "which consents a policy version changes"),
    ("consent.DoNotCallImport", "counts of each import of the Do Not Call Me list, by staff"),
    (
        "consent.DoNotCallNumber",
        "keyed hashes of the numbers on the national Do Not Call Me list, linked to no data "
        "subject; the list is the law's (Art. VI.113 WER) and never erased on a request",
    ),
]:
    datamap.declare_no_personal_data(model, why=why)
