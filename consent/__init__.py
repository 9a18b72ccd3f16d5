"""Consent per purpose: the append-only consent ledger, subscriptions, one-click unsubscribe,
cookie consent, policy versions and re-consent (policy §2.5, §5, §9)."""
