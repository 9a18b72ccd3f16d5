"""The base of every app's domain errors (STYLE.md §5).

A domain error carries a stable `code` and a translatable message without personal data; one
handler at each edge (API, pages, admin) maps it.
"""

from django.utils.functional import Promise


class DomainError(Exception):
    code: str = "domain_error"
    default_message: str | Promise = ""

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message) or self.code)
