"""The scheduled deletions and housekeeping (policy §2.5, §6): the two-month unsubscribe purge,
the two-year inactivity deletion, export clean-up, deadline reminders, and deletion receipts."""
