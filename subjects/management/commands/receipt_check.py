"""`manage.py receipt_check EMAIL`: was this person erased, when, and why (for an auditor).

Receipts hold a keyed hash of the normalised e-mail, never the address: the address given
here is hashed the same way (RECEIPT_HASH_KEY) and looked up; nothing is stored or logged.
"""

import json

from django.core.management.base import BaseCommand, CommandParser

from subjects.models import DeletionReceipt
from subjects.services import subject_hash


class Command(BaseCommand):
    help = "Tell whether and when the person with this e-mail address was erased."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the person's e-mail address, in any case")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, email: str, json: bool = False, **options) -> None:
        receipts = DeletionReceipt.objects.filter(subject_hash=subject_hash(email)).order_by(
            "erased_at", "pk"
        )
        if json:
            for receipt in receipts:
                self.stdout.write(_as_json(receipt))
            return
        if not receipts:
            self.stdout.write("No erasure is recorded for this address.")
            return
        for receipt in receipts:
            outcome = (
                "erased"
                if receipt.subject_deleted and not receipt.rows_kept
                else f"erased in part, {receipt.rows_kept} rows kept"
            )
            reference = f" {receipt.cause_reference}" if receipt.cause_reference else ""
            self.stdout.write(
                f"{receipt.erased_at.isoformat()}  {outcome}  "
                f"({receipt.get_cause_display()}{reference}; receipt #{receipt.pk})"
            )


def _as_json(receipt: DeletionReceipt) -> str:
    return json.dumps(
        {
            "receipt": receipt.pk,
            "erased_at": receipt.erased_at.isoformat(),
            "cause": receipt.cause,
            "cause_reference": receipt.cause_reference,
            "subject_deleted": receipt.subject_deleted,
            "rows_kept": receipt.rows_kept,
            "summary": receipt.summary,
        },
        sort_keys=True,
    )
