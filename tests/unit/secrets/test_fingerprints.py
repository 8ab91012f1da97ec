"""Keyed fingerprints of secret values."""

import pytest

from deploykit.secrets import fingerprints

KEY = b"release-key-0123456789"


def test_same_value_same_key_gives_same_fingerprint():
    """A release record would report a changed secret on every run."""
    assert fingerprints.fingerprint("hunter22", key=KEY) == fingerprints.fingerprint("hunter22", key=KEY)


def test_different_values_give_different_fingerprints():
    """A changed password would go unnoticed by the plan."""
    assert fingerprints.fingerprint("hunter22", key=KEY) != fingerprints.fingerprint("hunter23", key=KEY)


def test_fingerprint_depends_on_the_key():
    """Anyone could precompute fingerprints of common passwords without the key."""
    assert fingerprints.fingerprint("hunter22", key=KEY) != fingerprints.fingerprint("hunter22", key=b"other")


def test_fingerprint_format_names_the_algorithm():
    """Records could not tell which scheme made a fingerprint once the scheme changes."""
    value = fingerprints.fingerprint("hunter22", key=KEY)
    assert value.startswith("hmac-sha256:")
    assert len(value) == len("hmac-sha256:") + 32
    assert "hunter22" not in value


def test_number_and_string_differ():
    """A type change of a secret (5432 -> "5432") would be invisible."""
    assert fingerprints.fingerprint(5432, key=KEY) != fingerprints.fingerprint("5432", key=KEY)


def test_empty_key_is_refused():
    """An unkeyed hash of a short password is reversible by brute force."""
    with pytest.raises(ValueError):
        fingerprints.fingerprint("hunter22", key=b"")
