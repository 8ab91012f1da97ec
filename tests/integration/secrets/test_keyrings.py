"""Keys handed over by CI: ephemeral GnuPG homes that are wiped, age keys kept in memory."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from deploykit import errors
from deploykit.secrets import decrypting, keyrings, redaction
from tests.plugins.secrets import AGE_KEY_FILE, CANARY, PGP_FINGERPRINT, PGP_PRIVATE_KEY, PGP_PUBLIC_KEY

TEXT = f"password: {CANARY}\n"


@pytest.fixture
def new_keyrings(monkeypatch):
    """Ephemeral homes of this test still present (DEPLOYKIT_KEYRING_DIR is the test's own, short path)."""
    folder = Path(tempfile.mkdtemp(prefix="kr-", dir="/tmp"))
    monkeypatch.setenv(keyrings.KEYRING_DIR, str(folder))
    yield lambda: set(folder.iterdir())
    keyrings.close()
    shutil.rmtree(folder, ignore_errors=True)


def agent_running_for(home: Path) -> bool:
    """True when some gpg-agent serves `home` (read from /proc, like ps would)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if "gpg-agent" in cmdline and str(home) in cmdline and state != "Z":
            return True
    return False


def pgp_only_file(sops_project, pgp_env):
    path = sops_project.encrypt("secrets/pgp.yaml", TEXT, recipients=("--pgp", PGP_FINGERPRINT))
    kill_home = Path(pgp_env["GNUPGHOME"])
    subprocess.run(["gpgconf", "--homedir", str(kill_home), "--kill", "all"], check=False)
    return path


def test_handed_over_pgp_key_decrypts_and_is_wiped(sops_project, pgp_env, new_keyrings, gnupg_home, monkeypatch):
    """A CI job with DEPLOYKIT_PGP_KEY could not decrypt, or would leave the key on the runner."""
    path = pgp_only_file(sops_project, pgp_env)
    empty_home = gnupg_home.parent / "user-gnupg"
    empty_home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty_home))  # the user's own home holds no key
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("DEPLOYKIT_PGP_KEY", PGP_PRIVATE_KEY.read_text())
    assert decrypting.decrypt_file(path).data == {"password": CANARY}
    keyring = keyrings.current_keyring()
    assert keyring is not None and new_keyrings() == {keyring.home}
    assert stat.S_IMODE(keyring.home.stat().st_mode) == 0o700
    keyrings.close()
    assert not keyring.home.exists()
    assert not agent_running_for(keyring.home)
    assert list(empty_home.iterdir()) == []


def test_runner_home_gnupg_is_never_touched(sops_project, pgp_env, new_keyrings, monkeypatch):
    """A CI runner's ~/.gnupg would be created or filled with the deploy key."""
    path = pgp_only_file(sops_project, pgp_env)
    monkeypatch.delenv("GNUPGHOME")
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("DEPLOYKIT_PGP_KEY", PGP_PRIVATE_KEY.read_text())
    decrypting.decrypt_file(path)
    keyrings.close()
    assert not (Path(os.environ["HOME"]) / ".gnupg").exists()
    assert new_keyrings() == set()


def test_handed_over_age_key_needs_no_file(sops_project, new_keyrings, monkeypatch):
    """A CI job with DEPLOYKIT_AGE_KEY could not decrypt without writing the key to a file."""
    path = sops_project.encrypt("secrets/age.yaml", TEXT)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.setenv("DEPLOYKIT_AGE_KEY", AGE_KEY_FILE.read_text())
    assert decrypting.decrypt_file(path).data == {"password": CANARY}
    assert new_keyrings() == set()


def test_public_key_only_is_refused_and_wiped(new_keyrings, tmp_path):
    """Handing over the public half would fail later with a confusing no-key error."""
    with pytest.raises(errors.SecretsError, match="public PGP key only"):
        keyrings.sops_environment({"DEPLOYKIT_PGP_KEY": PGP_PUBLIC_KEY.read_text(), "HOME": str(tmp_path)})
    assert new_keyrings() == set()


def test_garbage_key_is_refused_without_echoing_it(new_keyrings, tmp_path):
    """A mangled CI variable would be echoed into the job log."""
    garbage = "not-a-key-" + CANARY
    with pytest.raises(errors.SecretsError) as caught:
        keyrings.sops_environment({"DEPLOYKIT_PGP_KEY": garbage, "HOME": str(tmp_path)})
    assert "DEPLOYKIT_PGP_KEY" in str(caught.value)
    assert CANARY not in str(caught.value)
    assert new_keyrings() == set()


def test_age_variable_without_identity_is_refused():
    """A public age recipient passed as the key would fail later as "no usable key"."""
    with pytest.raises(errors.SecretsError, match="holds no age identity"):
        keyrings.sops_environment({"DEPLOYKIT_AGE_KEY": "age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3"})


SCRIPT = """
import sys, time
from pathlib import Path
from deploykit.secrets import keyrings
env = keyrings.sops_environment()
Path(sys.argv[1]).write_text(env["GNUPGHOME"])
time.sleep(60)
"""


@pytest.mark.slow
def test_sigterm_wipes_the_keyring_and_stops_its_agent(tmp_path, secrets_env, gnupg_home):
    """A cancelled CI job (SIGTERM) would leave the private key and a gpg-agent on the runner."""
    marker = tmp_path / "home-path"
    env = {**secrets_env, "DEPLOYKIT_PGP_KEY": PGP_PRIVATE_KEY.read_text(), "TMPDIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, str(marker)], env=env)
    deadline = time.monotonic() + 30
    while not marker.exists() or not marker.read_text():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    home = Path(marker.read_text())
    assert (home / "private-keys-v1.d").is_dir()
    assert agent_running_for(home)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    assert not home.exists()
    assert not agent_running_for(home)


def test_handed_over_keys_are_masked_in_output(new_keyrings, tmp_path):
    """A private key passed by CI would be printed if it ever reached an error or a log line."""
    identity = next(line for line in AGE_KEY_FILE.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    armored = PGP_PRIVATE_KEY.read_text()
    keyrings.sops_environment({"DEPLOYKIT_AGE_KEY": identity, "DEPLOYKIT_PGP_KEY": armored, "HOME": str(tmp_path)})
    key_line = armored.splitlines()[5]
    assert redaction.mask(f"key {identity} / {key_line}") == f"key {redaction.MASK} / {redaction.MASK}"
