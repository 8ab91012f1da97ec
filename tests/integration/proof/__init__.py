"""Proof suites: the bad-input corpus and the secret canary across every command (issue 13)."""
