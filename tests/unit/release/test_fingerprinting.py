"""Secret-free forms for records: every printed form of a secret replaced by its keyed fingerprint."""

import base64

from deploykit.release import fingerprinting

KEY = b"k" * 32


def test_every_printed_form_of_a_secret_becomes_its_fingerprint():
    """A record would hold the password, or its base64 form from a Secret's data."""
    fp = fingerprinting.Fingerprinter(KEY, {"s3cr3t-Value"})
    encoded = base64.b64encode(b"s3cr3t-Value").decode()
    text = fp.text(f"password: s3cr3t-Value\ndata: {encoded}\njson: \"s3cr3t-Value\"")
    assert "s3cr3t-Value" not in text and encoded not in text
    assert text.count("hmac-sha256:") == 3


def test_fingerprints_depend_on_the_key():
    """A reader without the key could recompute fingerprints of guessed passwords."""
    one = fingerprinting.Fingerprinter(KEY, {"hunter22"}).text("hunter22")
    other = fingerprinting.Fingerprinter(b"j" * 32, {"hunter22"}).text("hunter22")
    assert one != other and one.startswith("hmac-sha256:")


def test_a_short_secret_is_replaced_only_as_a_whole_token():
    """A 3-letter password would mangle every word containing it, or stay in the record in clear."""
    fp = fingerprinting.Fingerprinter(KEY, {"abc"})
    text = fp.text("password: abc\nname: abcdef")
    assert "name: abcdef" in text and "password: abc\n" not in text


def test_inputs_digest_changes_with_any_input():
    """A changed secret would go unnoticed and the upgrade be skipped as a no-op."""
    base = fingerprinting.inputs_digest(key=KEY, chart_digest="c1", values={"password": "a"})
    assert base == fingerprinting.inputs_digest(key=KEY, chart_digest="c1", values={"password": "a"})
    assert base != fingerprinting.inputs_digest(key=KEY, chart_digest="c1", values={"password": "b"})
    assert base != fingerprinting.inputs_digest(key=KEY, chart_digest="c2", values={"password": "a"})


def test_a_case_changed_secret_is_masked_in_the_record():
    """`{{ password | upper }}` would be stored in the record in clear."""
    fp = fingerprinting.Fingerprinter(KEY, {"s3cr3t-Value"})
    assert "S3CR3T-VALUE" not in fp.text("shout: S3CR3T-VALUE")
    assert fp.text("shout: S3CR3T-VALUE") == fingerprinting.Fingerprinter(KEY, {"s3cr3t-Value"}).text("shout: S3CR3T-VALUE")
