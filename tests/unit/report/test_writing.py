"""write_all: every report file written through the mask (the secret canary), and signed when a key is given."""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import urllib.parse

from cryptography.hazmat.primitives.asymmetric import ed25519

from deploykit.report import jsonfile, signing, writing
from tests.unit.report import samples

CANARY = 'canary-7f3a<&>"s3cret'


def _mask(text: str) -> str:
    return text.replace(CANARY, "***")


def _strings(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
    elif isinstance(data, str):
        yield data


def _readings(data: bytes) -> list[str]:
    """The file as text, XML-unescaped, every JSON string, URL-decoded and every base64 token decoded."""
    text = data.decode("utf-8", "replace")
    readings = [text, html.unescape(text), urllib.parse.unquote(text)]
    try:
        readings += list(_strings(json.loads(text)))
    except ValueError:
        pass
    for token in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            readings.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    return readings


def _hits(paths) -> list[str]:
    return [path.name for path in paths for reading in _readings(path.read_bytes()) if CANARY in reading]


def test_no_written_file_holds_the_canary(tmp_path):
    """A secret in log lines, reasons, names and URLs appears in no report file, however encoded."""
    paths = writing.write_all(samples.rolled_back(secret=CANARY), tmp_path, mask=_mask,
                              signing_key=ed25519.Ed25519PrivateKey.generate())
    assert len(paths) == 6
    assert _hits(paths) == []


def test_the_canary_search_finds_an_unmasked_secret(tmp_path):
    """Without a mask the canary is found in every file that carries text, so the search above means something."""
    paths = writing.write_all(samples.rolled_back(secret=CANARY), tmp_path)
    assert set(_hits(paths)) == {"report.json", "junit.xml", "summary.md", "deploy.env", "timeline.svg"}


def test_writes_every_report_file(tmp_path):
    """The report folder gets the five files CI reads, created if missing."""
    folder = tmp_path / "reports" / "production"
    paths = writing.write_all(samples.succeeded(), folder)
    assert [path.name for path in paths] == ["report.json", "junit.xml", "summary.md", "deploy.env", "timeline.svg"]
    assert all(path.parent == folder and path.stat().st_size for path in paths)


def test_report_sig_verifies_the_written_report_json(tmp_path):
    """The written signature matches the written (masked) report.json."""
    key = ed25519.Ed25519PrivateKey.generate()
    paths = writing.write_all(samples.rolled_back(secret=CANARY), tmp_path, mask=_mask, signing_key=key)
    assert paths[-1].name == "report.sig"
    report_bytes = (tmp_path / "report.json").read_bytes()
    signing.verify(report_bytes, paths[-1].read_bytes(), signing.public_key_base64(key))
    assert jsonfile.parse(report_bytes).releases[1].failure.logs[1] == "connecting with password ***"
