"""The rights of policy §5 (GDPR Art. 15–21, 7(3)) and the complaint of §10, as the centre
shows them: each has a page saying what it is and how to use it.

Until the request forms exist (issues 8 and 10: filing and following requests), each page
says how to use the right by e-mail, phone or post; the URL names stay when the forms replace
the "how to use it" part of the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Right:
    key: str
    title: str | Promise  # what the person does, as a link text
    summary: str | Promise  # one sentence for the home page
    law: str | Promise  # the article it rests on

    @property
    def url_name(self) -> str:
        return f"centre:right_{self.key}" if self.key != "complaint" else "centre:complaint"

    @property
    def template_name(self) -> str:
        return f"centre/rights/{self.key}.html"


RIGHTS: tuple[Right, ...] = (
    Right(
        key="access",
        title=_("See your data and get a copy"),
        summary=_("What we hold about you, why, who receives it and how long we keep it."),
        law=_("GDPR Article 15"),
    ),
    Right(
        key="rectification",
        title=_("Correct your data"),
        summary=_("Have data that is wrong or incomplete corrected."),
        law=_("GDPR Article 16"),
    ),
    Right(
        key="erasure",
        title=_("Have your data erased"),
        summary=_("Ask us to delete your data where nothing requires us to keep it."),
        law=_("GDPR Article 17"),
    ),
    Right(
        key="restriction",
        title=_("Limit the use of your data"),
        summary=_("Have us only store your data, and not use it, while something is checked."),
        law=_("GDPR Article 18"),
    ),
    Right(
        key="objection",
        title=_("Object to the use of your data"),
        summary=_("Stop uses that rest on our legitimate interest, such as consumer insight."),
        law=_("GDPR Article 21"),
    ),
    Right(
        key="portability",
        title=_("Take your data elsewhere"),
        summary=_("Receive the data you gave us in a machine-readable file."),
        law=_("GDPR Article 20"),
    ),
    Right(
        key="consent",
        title=_("Withdraw your consent or unsubscribe"),
        summary=_("Stop newsletters and other marketing at any time, free of charge."),
        law=_("GDPR Article 7(3)"),
    ),
    Right(
        key="complaint",
        title=_("Ask a question or make a complaint"),
        summary=_(
            "We answer within one month. You may also turn to the Data Protection Authority."
        ),
        law=_("privacy policy, section 10; GDPR Article 77"),
    ),
)

RIGHTS_BY_KEY = {right.key: right for right in RIGHTS}
