"""What a document added to a request may be: scanned letters, e-mails and proofs of mandate,
checked by size, by name and by their first bytes (never by the type the browser claims)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]
    signatures: tuple[bytes, ...]  # empty: a text format, checked as text


ALLOWED_TYPES = (
    FileType("application/pdf", ("pdf",), (b"%PDF-",)),
    FileType("image/jpeg", ("jpg", "jpeg"), (b"\xff\xd8\xff",)),
    FileType("image/png", ("png",), (b"\x89PNG\r\n\x1a\n",)),
    FileType("image/tiff", ("tif", "tiff"), (b"II*\x00", b"MM\x00*")),
    # An e-mail as saved by a mail program: text, starting with its headers.
    FileType("message/rfc822", ("eml",), ()),
)
ALLOWED_EXTENSIONS = tuple(ext for t in ALLOWED_TYPES for ext in t.extensions)


def file_type_detect(upload: UploadedFile) -> FileType | None:
    """The allowed type `upload` is, by its name and its content; None when it is none of
    them (or its content does not match its name)."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    for file_type in ALLOWED_TYPES:
        if extension not in file_type.extensions:
            continue
        if file_type.signatures:
            return file_type if head.startswith(file_type.signatures) else None
        return file_type if _looks_like_an_email(head) else None
    return None


def _looks_like_an_email(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    if "\x00" in text:
        return False
    first = text.lstrip().split("\n", 1)[0]
    name, colon, _rest = first.partition(":")
    return bool(colon) and name.replace("-", "").isalnum()


def max_bytes() -> int:
    return settings.RIGHTS_REQUEST_ATTACHMENT_MAX_MB * 1024 * 1024
