"""Decrypting values files with real sops: formats, keys, failures, the run's redactor."""

import base64
import os
from pathlib import Path

import pytest

from deploykit import errors
from deploykit.secrets import decrypting, redaction
from tests.plugins.secrets import CANARY, PGP_FINGERPRINT, UNRELATED_AGE_KEY_FILE

YAML_TEXT = f"db:\n  password: {CANARY}\n  port: 5432\nhosts: [a.example, b.example]\nenabled: true\n"


def test_age_encrypted_yaml_is_decrypted_in_memory(sops_project):
    """A values file encrypted with the example age key would not be usable in a deploy."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    decrypted = decrypting.decrypt_file(path)
    assert decrypted.data == {"db": {"password": CANARY, "port": 5432}, "hosts": ["a.example", "b.example"], "enabled": True}
    assert decrypted.encrypted
    assert dict(decrypted.leaves())["db.password"] == CANARY


def test_pgp_encrypted_file_is_decrypted(sops_project, pgp_env):
    """A team on PGP keys could not deploy their secrets."""
    path = sops_project.encrypt("secrets/pgp.yaml", YAML_TEXT, recipients=("--pgp", PGP_FINGERPRINT))
    assert decrypting.decrypt_file(path, env=pgp_env).data["db"]["password"] == CANARY


def test_json_secret_file_is_decrypted(sops_project):
    """A JSON secret file would be refused or misparsed."""
    path = sops_project.encrypt("secrets/app.json", f'{{"token": "{CANARY}", "n": 1.5}}')
    assert decrypting.decrypt_file(path).data == {"token": CANARY, "n": 1.5}


def test_dotenv_secret_file_is_decrypted(sops_project):
    """A .env secret file would be refused or misparsed."""
    path = sops_project.encrypt("secrets/app.env", f"API_TOKEN={CANARY}\nURL=https://x.example/?a=b\n")
    assert decrypting.decrypt_file(path).data == {"API_TOKEN": CANARY, "URL": "https://x.example/?a=b"}


def test_decrypted_leaves_are_masked_by_the_run_redactor(sops_project):
    """The decrypted password, or its base64 in a Secret, would be printed by any later command."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    decrypting.decrypt_file(path)
    line = f"password={CANARY} data={base64.b64encode(CANARY.encode()).decode()}"
    assert CANARY not in redaction.mask(line)
    assert redaction.mask(line) == f"password={redaction.MASK} data={redaction.MASK}"


def test_wrong_key_is_no_key_error_naming_recipients(sops_project, monkeypatch):
    """A CI job with the wrong key would fail with sops's raw output, or hang."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(UNRELATED_AGE_KEY_FILE))
    with pytest.raises(errors.NoKeyError) as caught:
        decrypting.decrypt_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3" in message
    assert "SOPS_AGE_KEY_FILE" in message


def test_tampered_file_is_mac_mismatch(sops_project):
    """A secret file edited by hand would be decrypted with its forged content."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    lines = [line for line in path.read_text().splitlines() if not line.startswith("enabled:")]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(errors.MacMismatchError, match="modified outside sops"):
        decrypting.decrypt_file(path)


def test_corrupted_ciphertext_is_mac_mismatch(sops_project):
    """A damaged value would surface as an obscure AES-GCM failure."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    text = path.read_text()
    start = text.index("data:", text.index("password:")) + len("data:")
    path.write_text(text[:start] + ("A" if text[start] != "A" else "B") + text[start + 1 :])
    with pytest.raises(errors.MacMismatchError):
        decrypting.decrypt_file(path)


def test_unencrypted_file_declared_secret_is_refused(sops_project):
    """A plaintext file in secrets/ would be deployed as if sops protected it."""
    path = sops_project.write("secrets/plain.yaml", YAML_TEXT)
    with pytest.raises(errors.NotEncryptedError) as caught:
        decrypting.decrypt_file(path)
    assert "NOT sops-encrypted" in str(caught.value)
    assert CANARY not in str(caught.value)


def test_opt_out_allows_unencrypted_locally_with_a_warning(sops_project, caplog):
    """A local experiment with a plaintext secrets file would be impossible, or silent."""
    path = sops_project.write("secrets/plain.yaml", YAML_TEXT)
    decrypted = decrypting.decrypt_file(path, allow_unencrypted=True)
    assert decrypted.data["db"]["password"] == CANARY and not decrypted.encrypted
    assert "NOT encrypted" in caplog.text


def test_opt_out_is_ignored_in_ci(sops_project, monkeypatch):
    """A CI job could ship plaintext secrets by setting the local-only opt-out."""
    path = sops_project.write("secrets/plain.yaml", YAML_TEXT)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(decrypting.ALLOW_UNENCRYPTED_ENV, "1")
    with pytest.raises(errors.NotEncryptedError, match="ignored in CI"):
        decrypting.decrypt_file(path)


def test_each_file_is_decrypted_once_per_run(sops_project):
    """A file named twice (or by two stages) would cost a sops call each time."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    first, second = decrypting.decrypt_files([path, Path(os.path.relpath(path))])
    assert first is second
    assert decrypting.decrypt_file(path) is first


def test_changed_file_is_decrypted_again(sops_project):
    """An edited secret file would keep serving stale values within a process."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    decrypting.decrypt_file(path)
    sops_project.encrypt("secrets/app.yaml", YAML_TEXT.replace("5432", "6543"))
    assert decrypting.decrypt_file(path).data["db"]["port"] == 6543


def test_many_files_keep_their_order(sops_project):
    """Values layers would be merged in the wrong order after parallel decryption."""
    paths = [sops_project.encrypt(f"secrets/f{i}.yaml", f"index: {i}\nname: file-number-{i}\n") for i in range(6)]
    results = decrypting.decrypt_files(list(reversed(paths)), jobs=3)
    assert [r.data["index"] for r in results] == [5, 4, 3, 2, 1, 0]


def test_original_ciphertext_is_kept_for_rollback(sops_project):
    """A rollback could not decrypt the secrets of an earlier revision again."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    original = path.read_bytes()
    decrypted = decrypting.decrypt_file(path)
    assert decrypted.ciphertext == original
    assert CANARY.encode() not in decrypted.ciphertext


def test_repr_and_errors_hold_no_value(sops_project):
    """Debug output of a decrypted file would print its secrets."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    decrypted = decrypting.decrypt_file(path)
    assert CANARY not in repr(decrypted)
    assert CANARY not in repr([decrypted])


def test_no_plaintext_file_appears_while_decrypting(sops_project, tmp_path, monkeypatch):
    """helm-secrets-style `.dec` files would be left on disk with the plaintext."""
    monkeypatch.chdir(sops_project.root)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    decrypting.decrypt_file(path)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert not any(CANARY.encode() in p.read_bytes() for p in after)


def test_top_level_must_be_a_mapping(sops_project):
    """A secret file holding a list would crash the values merge with a TypeError."""
    path = sops_project.write("secrets/list.json", "[1, 2]")
    with pytest.raises(errors.SecretsError, match="mapping at the top level"):
        decrypting.decrypt_file(path, allow_unencrypted=True)


def test_too_short_leaves_are_reported_by_path(sops_project):
    """Lint could not say which secret is too short to be masked."""
    path = sops_project.encrypt("secrets/app.yaml", "pin: '12'\nflag: true\ntoken: long-enough-token\n")
    assert decrypting.decrypt_file(path).too_short() == ["pin", "flag"]


def test_stored_ciphertext_decrypts_again_without_the_file(sops_project):
    """A rollback could not recover the secrets of a revision whose file has changed or gone."""
    path = sops_project.encrypt("secrets/app.yaml", YAML_TEXT)
    stored = decrypting.decrypt_file(path).ciphertext
    path.unlink()
    again = decrypting.decrypt_ciphertext(stored, fmt="yaml", source="release web v3: secrets/app.yaml")
    assert again.data["db"]["password"] == CANARY


def test_stored_plaintext_is_refused_as_ciphertext():
    """A record holding plaintext by mistake would be used as if it were encrypted."""
    with pytest.raises(errors.NotEncryptedError, match="release web v3"):
        decrypting.decrypt_ciphertext(YAML_TEXT.encode(), fmt="yaml", source="release web v3")


def test_first_failure_in_order_is_raised_among_many(sops_project):
    """With several files, the error would name an arbitrary file, or be a CancelledError."""
    good = [sops_project.encrypt(f"secrets/g{i}.yaml", f"v: value-{i}\n") for i in range(4)]
    bad = sops_project.write("secrets/plain.yaml", "v: plain-value\n")
    tampered = sops_project.encrypt("secrets/t.yaml", "v: tampered-value\nw: other-value\n")
    tampered.write_text("\n".join(l for l in tampered.read_text().splitlines() if not l.startswith("w:")) + "\n")
    with pytest.raises(errors.MacMismatchError, match="t.yaml"):
        decrypting.decrypt_files([*good, tampered, *good], jobs=2)
    with pytest.raises(errors.NotEncryptedError, match="plain.yaml"):
        decrypting.decrypt_files([bad, tampered])
