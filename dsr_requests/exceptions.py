"""Domain errors of rights requests (STYLE.md §5): a stable code, a message without personal
data. The admin shows them as messages, the API as 400/409."""

from django.utils.translation import gettext_lazy as _

from velux_privacy.errors import DomainError


class RightsRequestError(DomainError):
    code = "rights_request_error"
    default_message = _("This step cannot be taken on the request.")


class TransitionRefused(RightsRequestError):
    """The request's state does not allow the step (dsr_requests.workflow)."""

    code = "transition_not_allowed"
    default_message = _("The request's state does not allow this step.")


class NotAllowed(RightsRequestError):
    """The acting login may not take this step on this request (roles)."""

    code = "not_allowed"
    default_message = _("You may not take this step on this request.")


class ExtensionRefused(RightsRequestError):
    code = "extension_not_allowed"
    default_message = _(
        "The deadline can be extended only within the first month, by two months at most "
        "in all, and with a reason."
    )


class IntakeInvalid(RightsRequestError):
    """What was submitted misses something the request needs (e.g. a complaint without
    the complainant's name)."""

    code = "intake_invalid"
    default_message = _("The request is missing something it needs.")


class ConfirmationInvalid(RightsRequestError):
    """A confirmation link that is unknown, used already, or expired."""

    code = "confirmation_invalid"
    default_message = _(
        "This confirmation link is not valid any more. It may have expired or have been "
        "used already."
    )


class AttachmentRefused(RightsRequestError):
    code = "attachment_refused"
    default_message = _("This file cannot be added to the request.")


class ExportRefused(RightsRequestError):
    """A step of an access or portability export that its state does not allow (not built
    yet, released already), or a row that is not the subject's (dsr_requests.exports)."""

    code = "export_refused"
    default_message = _("This cannot be done on the request's export now.")
