"""report.sig: ed25519 signatures over report.json, keys from $DEPLOYKIT_REPORT_KEY or a file, PEM or base64 raw."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from deploykit import errors
from deploykit.report import jsonfile, signing
from tests.unit.report import samples

REPORT = jsonfile.render(samples.succeeded())


@pytest.fixture
def key():
    return ed25519.Ed25519PrivateKey.generate()


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _raw(key) -> str:
    return base64.b64encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())).decode()


def _public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("form", [_pem, _raw], ids=["pem", "base64-raw"])
def test_key_from_the_environment_signs_what_the_public_key_verifies(key, form):
    """A stage signed with $DEPLOYKIT_REPORT_KEY (PEM or base64) is accepted with the matching public key."""
    signer = signing.load_private_key({signing.KEY_VARIABLE: form(key)})
    signature = signing.sign(REPORT, signer)
    signing.verify(REPORT, signature, signing.public_key_base64(key))
    signing.verify(REPORT, signature, _public_pem(key))


def test_key_file_is_read_when_given(key, tmp_path):
    """A key file works where the environment variable is not set."""
    path = tmp_path / "report.key"
    path.write_text(_pem(key))
    signing.verify(REPORT, signing.sign(REPORT, signing.load_private_key({}, path=path)), signing.public_key_base64(key))


def test_signature_file_is_one_line_of_base64(key):
    """report.sig is base64 of the 64-byte signature and a newline, as docs/reports.md says."""
    signature = signing.sign(REPORT, key)
    assert signature.endswith(b"\n") and signature.count(b"\n") == 1 and len(base64.b64decode(signature)) == 64


def test_raw_signature_bytes_verify_too(key):
    """A signature written raw (64 bytes) by another tool is accepted."""
    signing.verify(REPORT, key.sign(REPORT), key.public_key())


def test_a_changed_report_fails_verification(key):
    """Editing report.json after signing (a failed stage turned into success) is caught."""
    signature = signing.sign(REPORT, key)
    with pytest.raises(errors.ReportError, match="does not match report.json"):
        signing.verify(REPORT.replace(b'"success"', b'"failed"'), signature, key.public_key())


def test_another_key_fails_verification(key):
    """A report signed by a key other than the trusted one is refused."""
    other = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(errors.ReportError, match="another key signed it"):
        signing.verify(REPORT, signing.sign(REPORT, other), key.public_key())


def test_a_damaged_signature_says_so(key):
    """A truncated report.sig is named as damaged, not as a mismatch."""
    with pytest.raises(errors.ReportError, match="is not an ed25519 signature"):
        signing.verify(REPORT, b"c2lnbmF0dXJl\n", key.public_key())


def test_missing_key_says_which_variable_to_set():
    """Signing without a key tells the user to set DEPLOYKIT_REPORT_KEY."""
    with pytest.raises(errors.ReportError, match="no report signing key") as caught:
        signing.load_private_key({})
    assert signing.KEY_VARIABLE in caught.value.hint


def test_a_bad_key_error_does_not_show_the_key():
    """A malformed key is reported without echoing its content into the CI log."""
    material = "c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3OA=="  # 31 bytes: not a key
    with pytest.raises(errors.ReportError, match=r"\$DEPLOYKIT_REPORT_KEY is not an ed25519 private key") as caught:
        signing.load_private_key({signing.KEY_VARIABLE: material})
    assert material not in str(caught.value) and material not in repr(caught.value)


def test_a_pem_key_of_another_algorithm_is_refused():
    """An RSA or EC key in the variable gets a clear ed25519 error."""
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(errors.ReportError, match="another algorithm"):
        signing.load_private_key({signing.KEY_VARIABLE: pem})


def test_a_bad_public_key_is_a_report_error():
    """A garbled public key is a report error naming what it expected."""
    with pytest.raises(errors.ReportError, match="not an ed25519 public key"):
        signing.verify(REPORT, b"x", "not-a-key")
