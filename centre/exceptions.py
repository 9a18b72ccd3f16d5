"""Domain errors of the privacy centre (STYLE.md §5)."""

from django.utils.translation import gettext_lazy as _

from velux_privacy.errors import DomainError


class NotYourData(DomainError):
    """A page was asked to show a data subject that is not the signed-in person's."""

    code = "not_your_data"
    default_message = _("This data belongs to someone else.")
