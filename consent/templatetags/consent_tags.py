"""Template tags of the consent app."""

from django import template

from consent.selectors import policy_version_in_force

register = template.Library()


@register.inclusion_tag("consent/policy_in_force.html")
def policy_in_force() -> dict:
    """The version and date of the privacy policy in force (§9), with a link to its text."""
    return {"policy": policy_version_in_force()}
