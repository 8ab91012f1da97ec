"""The redactor masks a secret however many escaping layers a template stacks on it, and outside the BMP."""

import json
import re
import urllib.parse

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deploykit.secrets import redaction

KEY_EMOJI = "pw-Zk9q\U0001F511x"
SPECIALS = 'pw-Zk9q"\\\t\x01x'


def masked(text: str, *secrets: str) -> str:
    redactor = redaction.Redactor()
    redactor.register_all(secrets)
    return redactor.mask(text)


def yaml_double_quoted(text: str) -> str:
    return yaml.dump(text, default_style='"', width=1 << 16).rstrip("\n").removesuffix("\n...")


def json_ascii(text: str) -> str:
    return json.dumps(text)


def json_unicode(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def python_repr(text: str) -> str:
    return repr(text)


def python_ascii(text: str) -> str:
    return ascii(text)


def url(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def yaml_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# What may stay around a masked secret: the quotes each writer put around it, themselves escaped.
LEFTOVER = r"(?:[\"'\\\\]|%(?:25)*(?:22|27|5C))*"

WRITERS = [yaml_double_quoted, json_ascii, json_unicode, python_repr, python_ascii, yaml_single_quoted]


@pytest.mark.parametrize("writer", [yaml_double_quoted, json_ascii, python_ascii, url], ids=lambda w: w.__name__)
def test_a_character_outside_the_bmp_is_masked_in_its_escaped_form(writer):
    """A password holding an emoji, printed as `\\U0001F511` or `\\ud83d\\udd11`, would show in clear."""
    printed = writer(KEY_EMOJI)
    assert "\U0001F511" not in printed  # the writer did escape it
    assert "Zk9q" not in masked(printed, KEY_EMOJI)


@pytest.mark.parametrize("first", WRITERS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("second", WRITERS, ids=lambda w: w.__name__)
def test_a_secret_encoded_twice_is_masked(first, second):
    """`Values | to_json | quote` or `fail(x | to_json | to_json)` would print a password holding " \\ or a tab."""
    printed = second(first(SPECIALS))
    assert "Zk9q" not in masked(f"message: {printed}", SPECIALS)


@settings(max_examples=150, deadline=None)
@given(
    secret=st.text(min_size=4, max_size=24),
    layers=st.lists(st.sampled_from([*WRITERS, url]), min_size=1, max_size=4),
)
def test_any_stack_of_escaping_layers_is_masked(secret, layers):
    """Some value, escaped by some stack of JSON, YAML, repr and URL writers, would slip past the mask."""
    assume(not redaction.is_too_short(secret) and secret.strip() == secret and len(secret.splitlines()) == 1)
    printed = secret
    for writer in layers:
        printed = writer(printed)
    assume(secret.lower() not in "before after <redacted>")
    result = masked(f"before {printed} after", secret)
    assert re.fullmatch(LEFTOVER + re.escape(redaction.MASK) + LEFTOVER, result.removeprefix("before ").removesuffix(" after")), result


def test_plain_text_next_to_escapes_is_not_masked():
    """Masking backslashes or quotes around a secret's escaped form would eat unrelated output."""
    printed = json.dumps({"a": 'x\\"', "b": SPECIALS})
    assert masked(printed, SPECIALS) == json.dumps({"a": 'x\\"', "b": redaction.MASK})


def test_a_long_secret_folded_by_a_yaml_writer_is_masked():
    """A passphrase with spaces, folded across two lines by a YAML writer, would show in two halves."""
    phrase = "correct horse battery staple " * 4 + "Zk9q"
    printed = yaml.dump({"passphrase": phrase}, width=40)
    assert "\n" in printed.strip()
    assert "Zk9q" not in masked(printed, phrase)


def test_masking_many_secrets_with_escapes_stays_fast():
    """Hundreds of secrets with quotes and emoji would make every printed line slow to mask."""
    import random
    import string
    import time

    generator = random.Random(11)
    alphabet = string.ascii_letters + string.digits + "\"'\\/<>&%+= \t\U0001F511é"
    secrets = ["".join(generator.choices(alphabet, k=24)) for _ in range(500)]
    text = "".join(generator.choices(string.ascii_letters + " \n\\\"'%&", k=200_000)) + json.dumps(json.dumps(secrets[42]))
    redactor = redaction.Redactor()
    redactor.register_all(secrets)
    redactor.mask("warm up: compile the pattern")
    start = time.process_time()
    result = redactor.mask(text)
    elapsed = time.process_time() - start
    assert redaction.MASK in result[-30:]
    assert elapsed < 1.0


def test_a_dot_in_a_secret_matches_only_a_dot():
    """A secret `Release.Name` would mask `release-name` and every other text one character apart."""
    assert masked("name: release-name", "Release.Name") == "name: release-name"
