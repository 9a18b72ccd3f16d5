"""The consent app's domain errors: a stable code, a message without personal data."""

from django.utils.translation import gettext_lazy as _

from velux_privacy.errors import DomainError


class ConsentError(DomainError):
    code = "consent_error"
    default_message = _("This consent change cannot be recorded.")


class UnknownConsentPurpose(ConsentError):
    code = "unknown_purpose"
    default_message = _("There is no such consent.")


class ConsentPurposeNotOffered(ConsentError):
    code = "purpose_not_offered"
    default_message = _("This consent is no longer offered; it can only be withdrawn.")


class ConsentChannelRefused(ConsentError):
    code = "channel_refused"
    default_message = _("This consent cannot be recorded through that channel.")


class ContactRefused(ConsentError):
    """A message to a person VELUX may not contact (consent.selectors.consent_contact_decision
    said no); `code` is the decision's reason."""

    code = "contact_refused"
    default_message = _("VELUX may not contact this person for this purpose.")


class PolicyVersionAlreadyPublished(ConsentError):
    code = "policy_already_published"
    default_message = _("This policy version is already published.")


class DoNotCallImportRefused(ConsentError):
    code = "do_not_call_import_refused"
    default_message = _("The Do Not Call Me file could not be imported.")


class InvalidUnsubscribeToken(ConsentError):
    code = "invalid_token"
    default_message = _("This unsubscribe link is not valid.")
