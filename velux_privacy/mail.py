"""E-mail of the portal, one way for every app (DESIGN.md: templates per language).

A message is three templates beside each other, `<app>/email/<name>.subject.txt` (one line),
`<name>.txt` and `<name>.html` (which extends `email/base.html`), rendered in the person's
language. Apps build a message with `email_build` inside the Celery task that sends it after
commit, and record the send on their own model (a task takes ids, never an address).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def email_build(
    *,
    template: str,
    context: Mapping[str, Any],
    language: str,
    to: Sequence[str],
    headers: Mapping[str, str] | None = None,
    reply_to: Sequence[str] = (),
) -> EmailMultiAlternatives:
    """The message `template` (e.g. "dsr_requests/email/acknowledgement") rendered in
    `language`, plain text with an HTML alternative, from DEFAULT_FROM_EMAIL."""
    with translation.override(language):
        full_context = {"LANGUAGE_CODE": language, **context}
        subject = render_to_string(f"{template}.subject.txt", full_context)
        text = render_to_string(f"{template}.txt", full_context)
        html = render_to_string(f"{template}.html", full_context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        headers=dict(headers or {}),
        reply_to=list(reply_to),
    )
    message.attach_alternative(html, "text/html")
    return message
