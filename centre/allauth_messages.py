"""allauth messages that its own code translates, and that allauth's Dutch and German
catalogues word informally ("je", "Du"): listed here so that `makemessages` puts them in the
project's catalogues (locale/), which Django reads before allauth's (LOCALE_PATHS), with the
formal register of the rest of the portal. The error messages allauth's adapter holds are
reworded in `centre.accounts.AccountAdapter` instead.

tests/centre/test_accounts.py fails when allauth's Python code gains another such message.
"""

from django.utils.translation import gettext_noop

ALLAUTH_MESSAGES = (
    gettext_noop("You must type the same password each time."),
    gettext_noop("You must type the same email each time."),
    gettext_noop("Use your password"),
)
