"""The redactor: which forms of a secret are masked, and the masking stream."""

import base64
import io
import json
import logging

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deploykit.secrets import redaction

SECRET = "s3cr3t-Pa$$word/with'quote\"and\\slash"


def masked(value: str, *secrets: str) -> str:
    redactor = redaction.Redactor()
    for secret in secrets:
        redactor.register(secret)
    return redactor.mask(value)


def test_plain_value_is_masked():
    """A decrypted password would be printed as is in a log line."""
    assert masked(f"password={SECRET};", SECRET) == f"password={redaction.MASK};"


def test_base64_form_is_masked():
    """A Secret object's data (base64) would show the password to anyone who decodes it."""
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert redaction.MASK in masked(f"password: {encoded}", SECRET)
    assert encoded not in masked(f"password: {encoded}", SECRET)


def test_base64_of_a_concatenation_is_masked_at_every_alignment():
    """`user:password` encoded for basic auth would leak the password in the encoded header."""
    for prefix in ("u:", "us:", "use:"):
        encoded = base64.b64encode(f"{prefix}{SECRET}@host".encode()).decode()
        result = masked(encoded, SECRET)
        assert redaction.MASK in result, prefix


def test_json_escaped_form_is_masked():
    """A value with quotes would leak through `to_json` output, whose escaping differs from the value."""
    document = json.dumps({"password": SECRET})
    assert masked(document, SECRET) == json.dumps({"password": redaction.MASK})


def test_yaml_single_quoted_form_is_masked():
    """A value with a quote would leak in YAML single-quoted output ('' doubling)."""
    quoted = "'" + SECRET.replace("'", "''") + "'"
    assert masked(f"password: {quoted}", SECRET) == f"password: '{redaction.MASK}'"


def test_each_line_of_a_multiline_secret_is_masked():
    """A private key printed as a YAML block scalar would leak line by line."""
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END KEY-----"
    block = "key: |\n" + "\n".join("  " + line for line in key.splitlines())
    result = masked(block, key)
    assert "MIIEvQIBADANBgkqhkiG9w0B" not in result
    assert "AQEFAASCBKcwggSjAgEAAoIB" not in result


def test_longer_secret_masked_whole_when_it_contains_a_shorter_one():
    """A part of a longer secret would be left visible when a shorter secret matched first."""
    assert masked("token=abcd-efgh-ijkl", "abcd", "abcd-efgh-ijkl") == f"token={redaction.MASK}"


def test_too_short_values_are_not_registered():
    """Registering "1" or "true" would mask every digit and boolean in every output."""
    redactor = redaction.Redactor()
    assert not redactor.register("1")
    assert not redactor.register(True)
    assert not redactor.register("yes")
    assert redactor.mask("replicas: 1, enabled: true") == "replicas: 1, enabled: true"


def test_too_short_rule():
    """Lint would warn about long values, or stay silent about "abc" and "on"."""
    assert redaction.is_too_short("abc")
    assert redaction.is_too_short("on")
    assert redaction.is_too_short(7)
    assert not redaction.is_too_short("abcd")
    assert not redaction.is_too_short("")
    assert not redaction.is_too_short(5432)


def test_numbers_are_masked_in_their_text_form():
    """A numeric secret (a PIN, a port kept secret) would be printed unmasked."""
    assert masked("pin 98765 ok", 98765) == f"pin {redaction.MASK} ok"


def test_redactor_repr_shows_no_value():
    """Debug output of the redactor itself would print every secret."""
    redactor = redaction.Redactor()
    redactor.register(SECRET)
    assert SECRET not in repr(redactor)


def test_masking_stream_masks_a_secret_written_in_pieces():
    """A secret printed in two write() calls would slip past a per-call mask."""
    redactor = redaction.Redactor()
    redactor.register(SECRET)
    sink = io.StringIO()
    stream = redaction.MaskingStream(sink, redactor=redactor)
    stream.write("value=" + SECRET[:5])
    stream.write(SECRET[5:] + "\n")
    stream.flush()
    assert sink.getvalue() == f"value={redaction.MASK}\n"


def test_masking_stream_flush_passes_partial_line():
    """A prompt without a newline would never appear."""
    sink = io.StringIO()
    stream = redaction.MaskingStream(sink, redactor=redaction.Redactor())
    stream.write("Continue? ")
    assert sink.getvalue() == ""
    stream.flush()
    assert sink.getvalue() == "Continue? "


def test_masking_stream_refuses_bytes():
    """click would treat the stream as binary and write around the mask."""
    stream = redaction.MaskingStream(io.StringIO(), redactor=redaction.Redactor())
    try:
        stream.write(b"")  # type: ignore[arg-type]
    except TypeError:
        return
    raise AssertionError("bytes accepted")


def test_logging_filter_masks_formatted_message():
    """A log line built with %-arguments would carry the secret into a log file."""
    redaction.register(SECRET)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "connecting with %s", (SECRET,), None)
    redaction.RedactingFilter().filter(record)
    assert SECRET not in record.getMessage()


def test_masking_stream_passes_carriage_return_progress_lines():
    """A progress line redrawn with \\r would stay invisible until the next newline."""
    sink = io.StringIO()
    stream = redaction.MaskingStream(sink, redactor=redaction.Redactor())
    stream.write("\rwaiting 3/5")
    stream.write("\rwaiting 4/5\r")
    assert sink.getvalue() == "\rwaiting 3/5\rwaiting 4/5\r"


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=4, max_size=40), before=st.text(max_size=30), after=st.text(max_size=30))
def test_masked_text_never_contains_the_secret(secret, before, after):
    """Some secret, or some text around it, would defeat the mask."""
    assume(not redaction.is_too_short(secret) and secret.strip() == secret and secret.lower() not in redaction.MASK)
    assume(not redaction.is_word(secret))  # a short word is masked only as a whole word (next test)
    redactor = redaction.Redactor()
    redactor.register(secret)
    assert secret not in redactor.mask(before + secret + after)


@settings(max_examples=200, deadline=None)
@given(
    secret=st.from_regex(r"[A-Za-z0-9]{4,8}", fullmatch=True),
    before=st.text(max_size=30).map(lambda text: text + " "),
    after=st.text(max_size=30).map(lambda text: "." + text),
)
def test_a_short_word_secret_is_masked_between_separators(secret, before, after):
    """A short secret (`admin`) next to punctuation or spaces would print unmasked."""
    assume(not redaction.is_too_short(secret) and secret.lower() not in redaction.MASK)
    redactor = redaction.Redactor()
    redactor.register(secret)
    assert f" {secret}." not in redactor.mask(before + secret + after)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=12, max_size=40), before=st.binary(max_size=10), after=st.binary(max_size=10))
def test_base64_of_text_around_a_secret_is_masked(secret, before, after):
    """A secret base64-encoded together with other data (basic auth, a config blob) would leak."""
    assume(not redaction.is_too_short(secret) and secret.strip() == secret)
    redactor = redaction.Redactor()
    redactor.register(secret)
    encoded = base64.b64encode(before + secret.encode() + after).decode()
    assert redaction.MASK in redactor.mask(encoded)


@given(text=st.text(max_size=200))
def test_text_without_secrets_is_unchanged(text):
    """Masking would alter output that holds no secret."""
    redactor = redaction.Redactor()
    redactor.register("a-registered-secret-value")
    assume("a-registered-secret-value" not in text)
    assert redactor.mask(text) == text


def test_many_secrets_in_a_large_output_are_all_masked():
    """With hundreds of secrets registered, one of them in a large rendered output would slip through."""
    import random
    import string

    generator = random.Random(7)
    redactor = redaction.Redactor()
    secrets = ["".join(generator.choices(string.ascii_letters + string.digits, k=24)) for _ in range(500)]
    redactor.register_all(secrets)
    text = "".join(generator.choices(string.ascii_letters + " \n", k=200_000)) + secrets[42]
    masked_text = redactor.mask(text)
    assert masked_text.endswith(redaction.MASK)
    assert not any(secret in masked_text for secret in secrets)


def test_deeply_nested_forms_still_mask():
    """Secrets sharing long prefixes (a..., aa..., aaa...) would break the pattern compiler."""
    redactor = redaction.Redactor()
    redactor.register_all("k" * n for n in range(4, 600))  # deep enough for the fallback pattern
    assert redactor.mask("x" + "k" * 800 + "x") == "x" + redaction.MASK + redaction.MASK + "x"
