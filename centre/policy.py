"""The version of the privacy policy in force, as the pages show it.

The consent app's policy versions (issue 7) will say which version is in force and since
when; until then this is the published text of May 2021 (docs/privacybeleid-velux-be-nl.txt).
Pages get it as one template variable, `policy_version`, so the swap is one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PolicyVersion:
    label: str
    published_on: date
    # Only the month is known of the published text ("bijgewerkt in mei 2021").
    month_only: bool = False


def policy_version_current() -> PolicyVersion:
    return PolicyVersion(label="2021-05", published_on=date(2021, 5, 1), month_only=True)
