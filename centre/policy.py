"""The version of the privacy policy in force, as the pages show it: the consent app's policy
version published last (consent.selectors.policy_version_in_force, §9). Pages get it as one
template variable, `policy_version`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consent.selectors import policy_version_in_force


@dataclass(frozen=True)
class PolicyVersion:
    label: str
    published_on: date
    # Only the month is known of the text published in May 2021 ("bijgewerkt in mei 2021").
    month_only: bool = False


# The published text (docs/privacybeleid-velux-be-nl.txt), for a database where no version
# has been published yet.
_PUBLISHED_TEXT = PolicyVersion(label="2021-05", published_on=date(2021, 5, 1), month_only=True)


def policy_version_current() -> PolicyVersion:
    version = policy_version_in_force()
    if version is None:
        return _PUBLISHED_TEXT
    month_only = version.number == _PUBLISHED_TEXT.label and version.effective_on.day == 1
    return PolicyVersion(
        label=version.number, published_on=version.effective_on, month_only=month_only
    )
