"""Rights requests and complaints (policy §5, §10; GDPR Art. 12–22): intake, identity
verification, the state machine with its legal clock, the staff queue, execution, and the
audit trail."""
