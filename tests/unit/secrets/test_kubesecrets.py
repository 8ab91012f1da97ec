"""The values of a Kubernetes Secret object that `track` registers for masking."""

import base64
import json

from deploykit.secrets import kubesecrets


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_data_is_decoded_and_string_data_taken_as_written():
    """A pod that prints a Secret's value would print it in clear: the base64 form was registered, not the value."""
    secret = {"apiVersion": "v1", "kind": "Secret", "data": {"a": b64("from-data-1")}, "stringData": {"b": "from-string"}}
    assert kubesecrets.values_of(secret) == ["from-data-1", "from-string"]


def test_base64_wrapped_over_lines_is_decoded_as_the_api_server_does():
    """A long token written by `base64` (76 columns a line) would stay registered as base64 only."""
    token = "token-" + "x" * 100
    secret = {"data": {"token": base64.encodebytes(token.encode()).decode()}}
    assert kubesecrets.values_of(secret) == [token]


def test_data_that_is_not_base64_text_is_masked_as_written():
    """A binary or malformed data value would be dropped, or raise, instead of masked as it is written."""
    binary = base64.b64encode(b"\xff\xfe binary key").decode()
    secret = {"data": {"binary": binary, "raw": "not base64 at all"}}
    assert kubesecrets.values_of(secret) == [binary, "not base64 at all"]


def test_docker_config_credentials_are_values_too():
    """The registry password inside a dockerconfigjson Secret would print in clear where an app logs it."""
    config = {"auths": {"registry.example.com": {"username": "robot", "password": "pull-pass-1",
                                                 "auth": b64("robot:pull-pass-1")},
                        "ghcr.io": {"identitytoken": "ghcr-token-2"}}}
    secret = {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64(json.dumps(config))}}
    values = kubesecrets.values_of(secret)
    assert {"pull-pass-1", b64("robot:pull-pass-1"), "robot:pull-pass-1", "ghcr-token-2"} <= set(values)
    assert "robot" not in values  # a user name is not a secret; masking it would mangle unrelated output


def test_legacy_dockercfg_credentials_are_values_too():
    """The password in a kubernetes.io/dockercfg Secret (registries at the top level) would print in clear."""
    config = {"registry.example.com": {"username": "robot", "password": "old-pass-3"}}
    secret = {"type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": json.dumps(config)}}
    assert "old-pass-3" in kubesecrets.values_of(secret)


def test_malformed_secrets_yield_what_can_be_read_without_raising():
    """A Secret with odd fields would stop tracking with a traceback instead of masking what it can."""
    assert kubesecrets.values_of({"data": None, "stringData": ["x"]}) == []
    assert kubesecrets.values_of({"data": {"a": None}, "stringData": {"b": None}}) == []  # not the text "None"
    assert kubesecrets.values_of({"type": "kubernetes.io/dockerconfigjson",
                                  "stringData": {".dockerconfigjson": "{not json"}}) == ["{not json"]
    assert kubesecrets.values_of({"type": "kubernetes.io/dockerconfigjson",
                                  "stringData": {".dockerconfigjson": '{"auths": ["x", 1]}'}}) == ['{"auths": ["x", 1]}']
