"""Reading a sops file's format, encryption state and recipients without decrypting it."""

import pytest

from deploykit import errors
from deploykit.secrets import metadata

YAML_FILE = b"""\
password: ENC[AES256_GCM,data:l7x4,iv:ZYbT,tag:+gXh,type:str]
sops:
    age:
        - recipient: age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            -----END AGE ENCRYPTED FILE-----
    pgp:
        - fp: 567D9CD24E65722B205BF19D6F6759F05B53A3D7
    kms:
        - arn: arn:aws:kms:eu-west-1:111122223333:key/abc
    lastmodified: "2026-11-21T22:59:31Z"
    mac: ENC[AES256_GCM,data:Z7uu,iv:wNrn,tag:/7LB,type:str]
    version: 3.11.0
"""

DOTENV_FILE = b"""\
DB_PASSWORD=ENC[AES256_GCM,data:KtwO,iv:iCWL,tag:O1jT,type:str]
sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n-----END AGE ENCRYPTED FILE-----\\n
sops_age__list_0__map_recipient=age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3
sops_lastmodified=2026-11-21T22:59:37Z
sops_mac=ENC[AES256_GCM,data:AOpN,iv:zMnk,tag:hKsF,type:str]
sops_pgp__list_0__map_fp=567D9CD24E65722B205BF19D6F6759F05B53A3D7
sops_version=3.11.0
"""


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.yaml", "yaml"), ("a.YML", "yaml"), ("a.json", "json"), ("prod.env", "dotenv"), (".env", "dotenv")],
)
def test_format_follows_the_file_name(name, fmt):
    """sops and deploykit would disagree on how to parse a secret file."""
    assert metadata.file_format(name) == fmt


def test_unsupported_format_is_a_clear_error():
    """A binary or .ini secret would fail deep inside sops with an unrelated message."""
    with pytest.raises(errors.SecretsError, match=r"keys\.ini: unsupported secret file format"):
        metadata.file_format("keys.ini")


def test_yaml_recipients_are_listed_in_order():
    """A "no usable key" error could not say which keys would open the file."""
    info = metadata.read(YAML_FILE, fmt="yaml")
    assert [r.label for r in info.recipients] == [
        "age age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3",
        "PGP 567D9CD24E65722B205BF19D6F6759F05B53A3D7",
        "AWS KMS arn:aws:kms:eu-west-1:111122223333:key/abc",
    ]
    assert info.version == "3.11.0"


def test_dotenv_metadata_is_unflattened():
    """An encrypted .env file would be taken for plaintext and refused."""
    info = metadata.read(DOTENV_FILE, fmt="dotenv")
    assert [r.kind for r in info.recipients] == ["age", "pgp"]


def test_json_metadata_is_read():
    """An encrypted JSON file would be taken for plaintext and refused."""
    text = b'{"a": "ENC[...]", "sops": {"age": [{"recipient": "age1xyz"}], "mac": "ENC[...]"}}'
    assert metadata.read(text, fmt="json").recipients == (metadata.Recipient("age", "age1xyz"),)


def test_key_groups_are_kept_apart():
    """A Shamir file's groups would be reported as one list, hiding that each group needs a key."""
    text = b"""\
a: ENC[x]
sops:
    key_groups:
        - age:
            - recipient: age1one
        - pgp:
            - fp: ABCDEF
    shamir_threshold: 2
    mac: ENC[y]
"""
    info = metadata.read(text, fmt="yaml")
    assert [[r.ident for r in g] for g in info.key_groups] == [["age1one"], ["ABCDEF"]]
    assert info.shamir_threshold == 2
    assert "group 2: PGP ABCDEF" in info.describe()


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        (b"password: hunter22\n", "yaml"),
        (b'{"password": "hunter22"}', "json"),
        (b"PASSWORD=hunter22\n", "dotenv"),
        (b"sops: just a key named sops\n", "yaml"),
        (b"[unclosed", "yaml"),
        (b"\xff\xfe", "json"),
    ],
)
def test_plaintext_is_not_encrypted(text, fmt):
    """A plaintext secret file would be passed on as if sops had protected it."""
    assert not metadata.is_encrypted(text, fmt=fmt)
