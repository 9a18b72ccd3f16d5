"""What every page needs from consent: whether the signed-in person is asked to confirm their
consents again after a material policy change (policy §9: asked again at their next visit,
on whatever page they land)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def reconsent(request: HttpRequest) -> dict:
    """`reconsent_open`: the person has a re-consent request not answered yet. Lazy: read
    only on a page that shows it, never for anonymous visitors or staff; with the person's
    subject (`subject_of_viewer`), in no query of its own where the page read that already."""

    def _open() -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff:
            return False
        from consent.selectors import subject_of_viewer

        subject = subject_of_viewer(user)
        return bool(subject is not None and subject.reconsent_open)

    return {"reconsent_open": SimpleLazyObject(_open)}
