"""The answer to an access (GDPR Art. 15) or portability (Art. 20) request: building the
export, staff's review before release (Art. 15(4)), the release, the person's download and the
expiry of the file. Services and selectors of the export, kept apart from services.py (one
topic, one module, as Zulip's actions are).

The flow, on the execution steps of dsr_requests.execution:

1. "Complete" on a verified access or portability request starts the execution: the executor
   (`export_execute_task`, registered in apps.py, queue `exports`) runs the step
   `export_build`: the ZIP of subjects.exports into private storage, recorded on a
   `RequestExport` (file, size, SHA-256, categories and counts). The request stays in
   progress, waiting for staff's review.
2. Staff review the rows of each category on the request's review page (admin) and may
   withhold a row that would reveal other people, with a reason (`export_row_withhold`,
   audited), or put it back (`export_row_restore`).
3. "Release" (`rights_request_export_release`) records staff's decision and runs the executor
   again: the step `export_release` rebuilds the file if the withheld rows changed, opens
   the download for EXPORT_LINK_DAYS and completes the request
   (`rights_request_execution_done`): the person gets the completion e-mail in their language
   with the link, and the count and reason of what was withheld.
4. The person downloads through `dsr_requests.views.export_download`: only their own (signed
   in as the request's subject, or having opened the request's follow link) and only with a
   valid signed token (`export_download_url`); every download is audited.
5. Every night `exports_expire` deletes the files whose link expired.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dsr_requests import execution
from dsr_requests.exceptions import ExportRefused, TransitionRefused
from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    ExportWithholding,
    RequestExport,
    RightsRequest,
    export_upload_to,
)
from dsr_requests.workflow import CLOSED_STATES, HOLDING_KINDS, Kind, State
from subjects.datamap import Category, ExportField, datamap
from subjects.exports import Withheld, portable_categories, subject_export_write
from velux_privacy.models import User

logger = logging.getLogger(__name__)

# The signed download link (django.core.signing): its own salt, so no other signed value of
# the portal can pass for it.
DOWNLOAD_TOKEN_SALT = "dsr_requests.export.download"  # noqa: S105 (a salt, not a secret)
STEP_BUILD = "export_build"
STEP_RELEASE = "export_release"
REVIEW_ROWS_PER_PAGE = 25
HASH_CHUNK = 1024 * 1024


# Building (the executor's steps)


def rights_request_export_execute(*, rights_request_id: int) -> None:
    """The executor of access and portability requests (the task's work). Builds the export
    once (step `export_build`); once staff released it, finishes the release (step
    `export_release`). A rerun skips the steps done; a request no longer in progress is left
    alone."""
    state = RightsRequest.objects.filter(pk=rights_request_id).values_list("state", flat=True)
    if not state or state[0] != State.IN_PROGRESS:
        logger.info("rights request %s: not in progress, export skipped", rights_request_id)
        return
    execution.steps_plan(rights_request_id=rights_request_id, names=[STEP_BUILD, STEP_RELEASE])
    execution.step_run(
        rights_request_id=rights_request_id,
        name=STEP_BUILD,
        run=lambda: export_build(rights_request_id=rights_request_id),
    )
    if RequestExport.objects.filter(
        rights_request_id=rights_request_id, release_requested_at__isnull=False
    ).exists():
        execution.step_run(
            rights_request_id=rights_request_id,
            name=STEP_RELEASE,
            run=lambda: _export_release_finish(rights_request_id=rights_request_id),
        )


def export_build(*, rights_request_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Write the request's export (the rows staff withheld left out) into private storage and
    record it on its `RequestExport`; a file built before is deleted after commit. Returns
    what the step records: ids, size, hash and counts, no personal data."""
    now = now or timezone.now()
    rights_request = RightsRequest.objects.select_related("subject").get(pk=rights_request_id)
    if rights_request.subject is None:
        raise ExportRefused(code="no_subject")
    withheld, applied = _withheld_for(rights_request)
    manifest = subject_export_write(
        subject=rights_request.subject,
        storage_name=export_upload_to(None, "export.zip"),
        language=rights_request.language,
        portability=rights_request.kind == Kind.PORTABILITY,
        withheld=withheld,
        now=now,
    )
    stored = manifest.storage_name
    try:
        digest = _sha256_of(stored)
        with transaction.atomic():
            export, _created = RequestExport.objects.select_for_update().get_or_create(
                rights_request=rights_request,
                defaults={"language": rights_request.language},
            )
            previous = export.file.name
            export.portability = manifest.portability
            export.language = manifest.language
            export.file.name = stored
            export.size = default_storage.size(stored)
            export.sha256 = digest
            export.categories = manifest.as_dict()["categories"]
            export.withheld_applied = applied
            export.built_at = now
            export.builds += 1
            export.file_deleted_at = None
            export.save()
            _audit_system(
                rights_request,
                AuditAction.EXPORT_BUILT,
                now,
                {
                    "export": export.pk,
                    "build": export.builds,
                    "rows": export.rows,
                    "withheld": export.withheld,
                    "size": export.size,
                },
            )
            if previous and previous != stored:
                transaction.on_commit(lambda: default_storage.delete(previous))
    except BaseException:
        default_storage.delete(stored)
        raise
    logger.info(
        "rights request %s: export %s built (%s bytes)", rights_request.pk, export.pk, export.size
    )
    return {
        "export": export.pk,
        "build": export.builds,
        "size": export.size,
        "sha256": export.sha256,
        "rows": export.rows,
        "withheld": export.withheld,
    }


def _withheld_for(rights_request: RightsRequest) -> tuple[dict[str, Withheld], list[list[str]]]:
    """Staff's withholdings as subjects.exports takes them (by category: the rows and the
    reasons, one after the other when they differ), and as sorted [key, row id] pairs."""
    rows: dict[str, set[str]] = defaultdict(set)
    reasons: dict[str, list[str]] = defaultdict(list)
    for item in rights_request.export_withholdings.order_by("withheld_at", "pk"):
        rows[item.category].add(item.row_id)
        if item.reason not in reasons[item.category]:
            reasons[item.category].append(item.reason)
    withheld = {
        key: Withheld(row_ids=frozenset(ids), reason=" / ".join(reasons[key]))
        for key, ids in rows.items()
    }
    applied = sorted([key, row_id] for key, ids in rows.items() for row_id in ids)
    return withheld, applied


def _sha256_of(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# The review (GDPR Art. 15(4))


@dataclass(frozen=True)
class ReviewCategory:
    key: str
    label: str
    rows: int
    withheld: int
    may_see: bool


@dataclass
class ReviewRows:
    """One page of one category's rows, as staff review them."""

    category: Category
    fields: tuple[ExportField, ...]
    # {"pk", "cells": [(label, value)…], "withholding": ExportWithholding or None}
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    withholdings: dict[str, ExportWithholding] = field(default_factory=dict)


def export_categories(*, rights_request: RightsRequest) -> list[Category]:
    """The categories the request's export covers: all of the map (access), or those Art. 20
    covers (portability)."""
    if rights_request.kind == Kind.PORTABILITY:
        return portable_categories()
    return datamap.categories()


def export_fields(*, rights_request: RightsRequest, category: Category) -> tuple[ExportField, ...]:
    if rights_request.kind == Kind.PORTABILITY:
        return category.provided_fields()
    return category.fields


def export_review_categories(
    *, rights_request: RightsRequest, may_see=lambda category: True
) -> list[ReviewCategory]:
    """Each category the export holds rows of, with its rows and withheld rows counted."""
    withheld: dict[str, int] = defaultdict(int)
    for key in rights_request.export_withholdings.values_list("category", flat=True):
        withheld[key] += 1
    found = []
    for category in export_categories(rights_request=rights_request):
        if not export_fields(rights_request=rights_request, category=category):
            continue
        total = category.rows_for(rights_request.subject).count()
        if not total:
            continue
        found.append(
            ReviewCategory(
                key=category.key,
                label=str(category.label),
                rows=total,
                withheld=withheld.get(category.key, 0),
                may_see=may_see(category),
            )
        )
    return found


def export_review_rows(
    *,
    rights_request: RightsRequest,
    category_key: str,
    page: int = 1,
    per_page: int = REVIEW_ROWS_PER_PAGE,
) -> ReviewRows | None:
    """One page of a category's rows of the request's subject (None: no such category in this
    export). Only the subject's rows: the page never shows anybody else's."""
    category = _export_category(rights_request, category_key)
    if category is None:
        return None
    fields = export_fields(rights_request=rights_request, category=category)
    rows = category.rows_for(rights_request.subject)
    total = rows.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    values = rows.order_by(*category.page_order).values("pk", *(f.name for f in fields))
    withholdings = {
        w.row_id: w
        for w in rights_request.export_withholdings.filter(category=category.key).select_related(
            "withheld_by"
        )
    }
    shown = []
    for row in values[(page - 1) * per_page : page * per_page]:
        pk = str(row["pk"])
        shown.append(
            {
                "pk": pk,
                "cells": [(str(f.label), _display(f, row[f.name])) for f in fields],
                "withholding": withholdings.get(pk),
            }
        )
    return ReviewRows(
        category=category,
        fields=fields,
        rows=shown,
        total=total,
        page=page,
        pages=pages,
        withholdings=withholdings,
    )


@dataclass(frozen=True)
class ReviewRow:
    category: Category
    row_id: str
    cells: list[tuple[str, Any]]  # (label, value)


def export_review_row(
    *, rights_request: RightsRequest, category_key: str, row_id: str
) -> ReviewRow | None:
    """One row of the request's subject in a category of the export, as labelled values;
    None when the row is not theirs or not in the export."""
    category = _export_category(rights_request, category_key)
    if category is None or not _row_exists(category, rights_request, row_id):
        return None
    fields = export_fields(rights_request=rights_request, category=category)
    row = (
        category.rows_for(rights_request.subject)
        .filter(pk=row_id)
        .values(*(f.name for f in fields))[0]
    )
    return ReviewRow(
        category=category,
        row_id=str(row_id),
        cells=[(str(f.label), _display(f, row[f.name])) for f in fields],
    )


def _display(export_field: ExportField, value: Any) -> Any:
    if export_field.choices is not None and value in export_field.choices:
        return export_field.choices[value]
    return value


def _export_category(rights_request: RightsRequest, key: str) -> Category | None:
    for category in export_categories(rights_request=rights_request):
        if category.key == key and export_fields(rights_request=rights_request, category=category):
            return category
    return None


def _locked_for_review(rights_request: RightsRequest, actor: User) -> RightsRequest:
    """The request locked, after checking the actor may work it and it waits for review."""
    from dsr_requests.services import _lock

    locked = _lock(rights_request, None, actor)
    if locked.kind not in HOLDING_KINDS or locked.state != State.IN_PROGRESS:
        raise TransitionRefused()
    return locked


def _export_under_review(rights_request: RightsRequest) -> RequestExport:
    export = RequestExport.objects.select_for_update().filter(rights_request=rights_request).first()
    if export is None or export.built_at is None:
        raise ExportRefused(
            _("The export is not built yet: wait for it, or retry the failed step."),
            code="export_not_built",
        )
    if export.release_requested_at is not None:
        raise ExportRefused(_("The export was released already."), code="export_released")
    return export


@transaction.atomic
def export_row_withhold(
    *,
    rights_request: RightsRequest,
    actor: User,
    category_key: str,
    row_id: str,
    reason: str,
    now: datetime | None = None,
) -> ExportWithholding:
    """Leave one row of the subject's data out of the export because it would reveal other
    people (GDPR Art. 15(4)), with the reason the person is given. Only a row of the
    request's own subject, before the release. Audited (ids only; the reason stays on the
    row). Raises NotAllowed, TransitionRefused, ExportRefused."""
    now = now or timezone.now()
    rights_request = _locked_for_review(rights_request, actor)
    _export_under_review(rights_request)
    if not reason.strip():
        raise ExportRefused(
            _("Write why the row is withheld: the person is told."),
            code="reason_required",
            fields={"reason": [_("Write why the row is withheld: the person is told.")]},
        )
    category = _export_category(rights_request, category_key)
    if category is None or not _row_exists(category, rights_request, row_id):
        raise ExportRefused(_("This row is not in the export."), code="row_not_in_export")
    withholding, created = ExportWithholding.objects.get_or_create(
        rights_request=rights_request,
        category=category.key,
        row_id=str(row_id),
        defaults={"reason": reason.strip(), "withheld_by": actor, "withheld_at": now},
    )
    if not created:
        withholding.reason = reason.strip()
        withholding.withheld_by = actor
        withholding.withheld_at = now
        withholding.save(update_fields=["reason", "withheld_by", "withheld_at"])
    _audit_staff(
        rights_request,
        AuditAction.ROW_WITHHELD,
        actor,
        now,
        {"category": category.key, "row": str(row_id), "withholding": withholding.pk},
    )
    return withholding


@transaction.atomic
def export_row_restore(
    *, rights_request: RightsRequest, actor: User, withholding_id: int, now: datetime | None = None
) -> None:
    """Put a withheld row back in the export (before the release). Audited."""
    now = now or timezone.now()
    rights_request = _locked_for_review(rights_request, actor)
    _export_under_review(rights_request)
    withholding = rights_request.export_withholdings.filter(pk=withholding_id).first()
    if withholding is None:
        raise ExportRefused(_("This row is not withheld."), code="not_withheld")
    details = {"category": withholding.category, "row": withholding.row_id}
    withholding.delete()
    _audit_staff(rights_request, AuditAction.ROW_RESTORED, actor, now, details)


def _row_exists(category: Category, rights_request: RightsRequest, row_id: str) -> bool:
    try:
        return category.rows_for(rights_request.subject).filter(pk=row_id).exists()
    except (ValueError, TypeError, ValidationError):
        return False


# The release


@transaction.atomic
def rights_request_export_release(
    *, rights_request: RightsRequest, actor: User, now: datetime | None = None
) -> RequestExport:
    """Staff release the reviewed export: recorded and audited now; after commit the
    executor rebuilds the file if rows were withheld since it was built, opens the download
    and completes the request (the person is told, with the link). Raises NotAllowed,
    TransitionRefused, ExportRefused (not built yet, released already)."""
    now = now or timezone.now()
    rights_request = _locked_for_review(rights_request, actor)
    export = _export_under_review(rights_request)
    export.release_requested_at = now
    export.released_by = actor
    export.save(update_fields=["release_requested_at", "released_by"])
    _audit_staff(
        rights_request,
        AuditAction.EXPORT_RELEASED,
        actor,
        now,
        {"export": export.pk, "withheld": rights_request.export_withholdings.count()},
    )
    pk, kind = rights_request.pk, rights_request.kind
    transaction.on_commit(lambda: execution.execution_start(rights_request_id=pk, kind=kind))
    return export


def _export_release_finish(*, rights_request_id: int, now: datetime | None = None) -> dict:
    """The step `export_release`: the file rebuilt when the withheld rows changed since it
    was built, the download opened for EXPORT_LINK_DAYS, the request completed."""
    from dsr_requests.services import rights_request_execution_done

    rights_request = RightsRequest.objects.get(pk=rights_request_id)
    export = RequestExport.objects.get(rights_request=rights_request)
    if export.is_released:
        return {"export": export.pk, "released": True}
    _withheld, applied = _withheld_for(rights_request)
    if applied != export.withheld_applied:
        export_build(rights_request_id=rights_request_id)
    now = now or timezone.now()
    with transaction.atomic():
        export = RequestExport.objects.select_for_update().get(pk=export.pk)
        if export.is_released:
            return {"export": export.pk, "released": True}
        export.released_at = now
        export.expires_at = now + timedelta(days=settings.EXPORT_LINK_DAYS)
        export.download_nonce = secrets.token_hex(16)
        export.save(update_fields=["released_at", "expires_at", "download_nonce"])
        rights_request_execution_done(
            rights_request=rights_request, outcome=_outcome(rights_request, export), now=now
        )
    return {"export": export.pk, "released": True, "build": export.builds}


def _outcome(rights_request: RightsRequest, export: RequestExport) -> str:
    """The answer recorded on the request, in the person's language."""
    with translation.override(rights_request.language):
        counted = ngettext(
            "%(rows)s item in %(categories)s category",
            "%(rows)s items in %(categories)s categories",
            export.rows,
        ) % {"rows": export.rows, "categories": len(export.categories)}
        if rights_request.kind == Kind.PORTABILITY:
            text = _("The data you provided is ready to download: %(counted)s.")
        else:
            text = _("The copy of your personal data is ready to download: %(counted)s.")
        return str(text) % {"counted": counted}


# The download


def download_token_make(export: RequestExport) -> str:
    return signing.dumps(
        {"r": export.rights_request_id, "n": export.download_nonce}, salt=DOWNLOAD_TOKEN_SALT
    )


def export_download_url(
    *, rights_request: RightsRequest, absolute: bool = False, language: str | None = None
) -> str | None:
    """The signed, expiring link to the request's released export, or None (not released,
    expired, file gone). The link alone opens nothing: the view also wants the owner
    (`export_for_download`). For the privacy centre's "my requests" and the e-mail
    (`absolute`: with PUBLIC_BASE_URL). Uses the export read with the request where the
    caller's query joined it (`select_related("export")`)."""
    relation = RightsRequest._meta.get_field("export")
    if relation.is_cached(rights_request):
        export = relation.get_cached_value(rights_request)
    else:
        export = RequestExport.objects.filter(rights_request_id=rights_request.pk).first()
    if export is None or not _downloadable(export, timezone.now()):
        return None
    with translation.override(language or translation.get_language() or rights_request.language):
        path = reverse(
            "dsr_requests:export_download", kwargs={"token": download_token_make(export)}
        )
    if absolute:
        return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
    return path


def _downloadable(export: RequestExport, now: datetime) -> bool:
    return bool(
        export.released_at
        and export.file
        and export.download_nonce
        and export.expires_at is not None
        and export.expires_at > now
    )


def export_for_download(
    *,
    token: str,
    user: User | None,
    followed_requests: Iterable[Any] = (),
    now: datetime | None = None,
) -> RequestExport | None:
    """The export a download link names, if `token` is valid (signed by us, not older than
    EXPORT_LINK_DAYS, of the current release) and the browser is its owner's: signed in as
    the request's subject, or having opened the request's follow link (the session's
    `followed_requests`). None otherwise: the view answers 404, whoever asks."""
    now = now or timezone.now()
    try:
        data = signing.loads(
            token, salt=DOWNLOAD_TOKEN_SALT, max_age=timedelta(days=settings.EXPORT_LINK_DAYS)
        )
        pk, nonce = int(data["r"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    export = (
        RequestExport.objects.select_related("rights_request__subject")
        .filter(rights_request_id=pk)
        .first()
    )
    if export is None or not nonce or not secrets.compare_digest(export.download_nonce, nonce):
        return None
    if not _downloadable(export, now):
        return None
    rights_request = export.rights_request
    if rights_request.subject_id is None or rights_request.anonymised_at is not None:
        return None
    signed_in_owner = (
        user is not None
        and user.is_authenticated
        and rights_request.subject.user_id is not None
        and rights_request.subject.user_id == user.pk
    )
    followed = set()
    for value in followed_requests or ():
        try:
            followed.add(int(value))
        except (TypeError, ValueError):
            continue
    if not signed_in_owner and rights_request.pk not in followed:
        return None
    return export


def export_download_open(*, export: RequestExport, now: datetime | None = None):
    """The export's file opened for its owner to read; counted and audited (the person)."""
    now = now or timezone.now()
    handle = export.file.open("rb")
    with transaction.atomic():
        RequestExport.objects.filter(pk=export.pk).update(downloads=F("downloads") + 1)
        _audit(
            export.rights_request,
            AuditAction.EXPORT_DOWNLOADED,
            None,
            AuditEvent.ActorKind.PERSON,
            now,
            {"export": export.pk},
        )
    return handle


# The expiry


def exports_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete the files of exports whose download link expired, or whose request was closed
    (withdrawn, rejected) before their release, and clear their file (the
    row stays with the request, its counts as the record of what was given); then any file
    under exports/ older than a day that no export holds (an erasure deletes rows by set, a
    failed build may leave one). Batches, each its own transaction; a rerun finds nothing.
    Returns how many files went. Scheduled nightly (CELERY_BEAT_SCHEDULE)."""
    now = now or timezone.now()
    removed = 0
    while True:
        names = []
        with transaction.atomic():
            expired = list(
                RequestExport.objects.select_for_update(skip_locked=True)
                .select_related("rights_request")
                .filter(
                    # A link expired, or a request closed (withdrawn, rejected) before the
                    # release: that file has no expiry and holds all of the person's data.
                    Q(expires_at__lte=now)
                    | Q(released_at__isnull=True, rights_request__state__in=sorted(CLOSED_STATES))
                )
                .exclude(file="")[:batch_size]
            )
            if not expired:
                break
            for export in expired:
                names.append(export.file.name)
                export.file.name = ""
                export.download_nonce = ""
                export.file_deleted_at = now
                export.save(update_fields=["file", "download_nonce", "file_deleted_at"])
                _audit_system(
                    export.rights_request, AuditAction.EXPORT_EXPIRED, now, {"export": export.pk}
                )
        # Once no row holds them: a failure before this leaves files the sweep below takes.
        for name in names:
            default_storage.delete(name)
        removed += len(names)
    removed += _orphan_files_delete(now)
    logger.info("deleted %s export files", removed)
    return removed


def _orphan_files_delete(now: datetime) -> int:
    cutoff = now - timedelta(days=1)
    kept = set(RequestExport.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    for name in _stored_files("exports"):
        if name in kept or default_storage.get_modified_time(name) > cutoff:
            continue
        default_storage.delete(name)
        removed += 1
    return removed


def _stored_files(folder: str):
    if not default_storage.exists(folder):
        return
    directories, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_files(f"{folder}/{directory}")


# Audit helpers (the request's trail: ids and counts only)


def _audit(
    rights_request: RightsRequest,
    action: str,
    actor: User | None,
    actor_kind: str,
    now: datetime,
    details: dict[str, Any],
) -> AuditEvent:
    return AuditEvent.objects.create(
        rights_request=rights_request,
        reference=rights_request.reference,
        action=action,
        actor=actor,
        actor_kind=actor_kind,
        at=now,
        from_state=rights_request.state,
        to_state=rights_request.state,
        details=details,
    )


def _audit_staff(rights_request, action, actor, now, details) -> AuditEvent:
    return _audit(rights_request, action, actor, AuditEvent.ActorKind.STAFF, now, details)


def _audit_system(rights_request, action, now, details) -> AuditEvent:
    return _audit(rights_request, action, None, AuditEvent.ActorKind.SYSTEM, now, details)


def export_email_context(*, rights_request: RightsRequest) -> dict[str, Any]:
    """What the completion e-mail says of a released export (in the current language): the
    download link and until when it works, and per category how many rows were withheld and
    why (GDPR Art. 15(4): never silently). Empty for a request without one."""
    export = RequestExport.objects.filter(rights_request_id=rights_request.pk).first()
    if export is None or not export.is_released:
        return {}
    return {
        "export_url": export_download_url(rights_request=rights_request, absolute=True) or "",
        "export_expires_at": export.expires_at,
        "export_link_days": settings.EXPORT_LINK_DAYS,
        "export_withheld": [
            {"label": c["label"], "rows": c["withheld"], "reason": c["withheld_reason"]}
            for c in export.categories
            if c.get("withheld")
        ],
    }
