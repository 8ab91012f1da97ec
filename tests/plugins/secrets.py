"""Shared fixtures for secrets: real sops and gpg, the example keys, a fresh GnuPG home per test.

    CANARY            a distinctive secret value: it must never appear in output or files
    AGE_RECIPIENT     recipient of keys/example/age.key
    PGP_FINGERPRINT   fingerprint of keys/example/pgp.private.asc
    secrets_env       environment for a test: fresh empty GNUPGHOME (0700), HOME in tmp,
                      SOPS_AGE_KEY_FILE = the example age key, no CI, no DEPLOYKIT_* keys;
                      also applied to os.environ (monkeypatch); returns the dict for subprocesses
    pgp_env           like secrets_env, with the example PGP private key imported (no age key)
    sops_project      a folder with an age-only .sops.yaml for secrets/; `.encrypt(name, text)`
                      writes a file there and encrypts it in place with real sops
    run_deploykit     run `python -m deploykit ARGS` in a subprocess, like a user in a shell
    fresh_redactor    (autouse) an empty run redactor per test, as one process is one run
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_KEYS = REPO / "keys" / "example"
AGE_KEY_FILE = EXAMPLE_KEYS / "age.key"
UNRELATED_AGE_KEY_FILE = EXAMPLE_KEYS / "unrelated-age.key"
PGP_PRIVATE_KEY = EXAMPLE_KEYS / "pgp.private.asc"
PGP_PUBLIC_KEY = EXAMPLE_KEYS / "pgp.public.asc"
AGE_RECIPIENT = "age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3"
PGP_FINGERPRINT = "567D9CD24E65722B205BF19D6F6759F05B53A3D7"
SOPS = Path(sys.executable).parent / "sops"

CANARY = "canary-9f3c1e7b-do-not-leak"

_KEY_VARIABLES = (
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_RECIPIENTS",
    "SOPS_PGP_FP",
    "DEPLOYKIT_PGP_KEY",
    "DEPLOYKIT_PGP_KEY_FILE",
    "DEPLOYKIT_AGE_KEY",
    "DEPLOYKIT_AGE_KEY_FILE",
    "DEPLOYKIT_ALLOW_UNENCRYPTED_SECRETS",
    "DEPLOYKIT_SOPS",
    "CI",
)


def kill_agent(home: Path) -> None:
    """Stop a gpg-agent a test started in `home`."""
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def _base_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gnupg_home: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    for name in _KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GNUPGHOME", str(gnupg_home))
    return dict(os.environ)


@pytest.fixture(autouse=True)
def fresh_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is one run: secrets registered by an earlier test in the same worker would mask its output."""
    from deploykit.secrets import redaction

    monkeypatch.setattr(redaction, "_current", redaction.Redactor())


@pytest.fixture
def gnupg_home(tmp_path: Path) -> Iterator[Path]:
    """A fresh, empty GnuPG home (0700); its agent, if any started, is stopped afterwards."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    yield home
    kill_agent(home)


@pytest.fixture
def secrets_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gnupg_home: Path) -> dict[str, str]:
    """os.environ for an age-key user (also returned, for subprocesses)."""
    _base_env(tmp_path, monkeypatch, gnupg_home)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(AGE_KEY_FILE))
    return dict(os.environ)


@pytest.fixture
def pgp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gnupg_home: Path) -> dict[str, str]:
    """os.environ for a PGP-key user: the example private key imported into the fresh GnuPG home."""
    env = _base_env(tmp_path, monkeypatch, gnupg_home)
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--import", str(PGP_PRIVATE_KEY)],
        env=env,
        capture_output=True,
        check=True,
    )
    return dict(os.environ)


@dataclasses.dataclass
class SopsProject:
    """A project folder with a .sops.yaml (age recipient) governing secrets/."""

    root: Path
    env: dict[str, str]

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def encrypt(self, name: str, text: str, *, recipients: tuple[str, ...] = ("--age", AGE_RECIPIENT)) -> Path:
        """Write `text` to `name` and encrypt it in place with real sops."""
        path = self.write(name, text)
        subprocess.run(
            [str(SOPS), "encrypt", *recipients, "--in-place", str(path)],
            env=self.env,
            capture_output=True,
            check=True,
        )
        return path


@pytest.fixture
def sops_project(tmp_path: Path, secrets_env: dict[str, str]) -> SopsProject:
    """A folder with `.sops.yaml` encrypting secrets/*.{yaml,json,env} to the example age key."""
    root = tmp_path / "project"
    root.mkdir()
    (root / ".sops.yaml").write_text(
        "creation_rules:\n"
        "  - path_regex: secrets/.*\\.(yaml|yml|json|env)$\n"
        f"    age: {AGE_RECIPIENT}\n",
        encoding="utf-8",
    )
    return SopsProject(root=root, env=secrets_env)


@pytest.fixture
def run_deploykit():
    """Run `python -m deploykit ARGS` as a user would; returns the CompletedProcess (text)."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60):
        return subprocess.run(
            [sys.executable, "-m", "deploykit", *args],
            env=env if env is not None else dict(os.environ),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run
