"""Import the Do Not Call Me list's file (Bel-me-niet-meer / Ne-m'appelez-plus)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consent.exceptions import ConsentError
from consent.models import DoNotCallImport
from consent.services import do_not_call_import


class Command(BaseCommand):
    help = (
        "Import the Do Not Call Me list from FILE (CSV or text, one number per line or in the "
        "first column). --mode replace (default): the file is the whole list, numbers not in "
        "it are taken off. --mode add: only add."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mode", choices=DoNotCallImport.Mode.values, default=DoNotCallImport.Mode.REPLACE
        )
        parser.add_argument("--encoding", default="utf-8-sig")

    def handle(self, *args, file: Path, mode: str, encoding: str, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        with file.open(encoding=encoding, errors="replace", newline="") as lines:
            try:
                run = do_not_call_import(lines=lines, mode=mode, file_name=file.name)
            except ConsentError as error:
                raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(
            f"import {run.pk} ({run.mode}): {run.lines_read} lines, {run.numbers_valid} numbers, "
            f"{run.lines_rejected} not understood, {run.numbers_added} new, "
            f"{run.numbers_removed} taken off"
        )
