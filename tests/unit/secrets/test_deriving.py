"""deriving.derived: the secret text a chart can make of a decrypted value, registered with the redactor."""

import base64
import json
import time

from hypothesis import given
from hypothesis import strategies as st

from deploykit.secrets import deriving


def test_strings_of_a_json_document_are_derived():
    """A private key inside a JSON key file would print unmasked once the renderer re-reads the JSON as YAML."""
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"
    derived = deriving.derived(json.dumps({"private_key": key, "nested": [{"token": "tok-123456"}]}))
    assert key in derived
    assert "tok-123456" in derived


def test_string_scalars_of_a_yaml_document_are_derived_but_not_numbers():
    """A quoted password in a YAML config secret would print unquoted and unmasked; its port would mask every 5432."""
    derived = deriving.derived('user: app\npassword: "s3cr3t-pass"\nport: 5432\n')
    assert "s3cr3t-pass" in derived
    assert "5432" not in derived


def test_base64_text_is_derived():
    """A base64 secret decoded with `b64dec` would print in clear."""
    assert "plain-secret-text" in deriving.derived(base64.b64encode(b"plain-secret-text").decode())


def test_base64_that_decodes_to_binary_is_not_derived():
    """A random password that happens to be valid base64 would register binary garbage as secret text."""
    assert deriving.derived(base64.b64encode(bytes(range(200, 236))).decode()) == ()


def test_derivation_is_recursive():
    """A base64 docker config (JSON holding a password) would leave the inner password unmasked."""
    config = base64.b64encode(json.dumps({"auths": {"reg": {"password": "inner-pass-99"}}}).encode()).decode()
    assert "inner-pass-99" in deriving.derived(config)


def test_template_literals_and_tag_contents_are_derived():
    """A secret rendered with `tpl` would print its literal text; a failing tag would be quoted in the error."""
    derived = deriving.derived("pw-literal@{{ Release.Name }}{% Xy9Kq2mZ %}")
    assert "pw-literal@" in derived
    assert "Release.Name" in derived
    assert "Xy9Kq2mZ" in derived


def test_plain_values_derive_nothing():
    """An ordinary password would register extra text and over-mask output."""
    assert deriving.derived("hunter22-plain") == ()
    assert deriving.derived(5432) == ()


def test_alias_bombs_are_not_expanded():
    """A YAML secret full of aliases would hang the decryption step."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    start = time.perf_counter()
    deriving.derived(bomb)
    assert time.perf_counter() - start < 2


def test_deeply_nested_flow_collections_do_not_crash():
    """Thousands of `[` in a secret would crash the interpreter inside libyaml."""
    assert deriving.derived("[" * 5000 + "\n") == ()


@given(st.text(max_size=200))
def test_never_raises(text):
    """Any secret value at all would stop decryption with a traceback if deriving raised."""
    assert isinstance(deriving.derived(text), tuple)
