"""Which files are secret files: .sops.yaml creation rules and secrets/ folders."""

import pytest

from deploykit import errors
from deploykit.secrets import rules


def _config(root, text):
    (root / ".sops.yaml").write_text(text)


def test_nearest_config_upwards_is_found(tmp_path):
    """`encrypt` would use the wrong keys, or none, from a nested folder."""
    _config(tmp_path, "creation_rules: []\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "x.yaml").write_text("a: 1\n")
    assert rules.find_config(nested / "x.yaml") == (tmp_path / ".sops.yaml").resolve()


def test_path_regex_matches_relative_to_the_config(tmp_path):
    """A creation rule would match (or miss) depending on the working directory."""
    _config(tmp_path, "creation_rules:\n  - path_regex: ^env/prod\\.yaml$\n    age: age1x\n")
    (tmp_path / "env").mkdir()
    prod, dev = tmp_path / "env" / "prod.yaml", tmp_path / "env" / "dev.yaml"
    assert rules.is_declared_secret(prod)
    assert not rules.is_declared_secret(dev)


def test_files_in_a_secrets_folder_are_secret_without_config(tmp_path, monkeypatch):
    """A plaintext file in secrets/ would be used without complaint."""
    monkeypatch.chdir(tmp_path)
    assert rules.is_declared_secret(tmp_path / "secrets" / "db.yaml")
    assert rules.is_declared_secret(tmp_path / "deploy" / "secrets" / "nested" / "x.env")
    assert not rules.is_declared_secret(tmp_path / "values" / "staging.yaml")


def test_catch_all_rule_does_not_make_every_file_secret(tmp_path):
    """A rule without path_regex would make every values file "secret" and refuse them all."""
    _config(tmp_path, "creation_rules:\n  - age: age1x\n")
    assert not rules.is_declared_secret(tmp_path / "values.yaml")


def test_invalid_regex_names_the_config_and_rule(tmp_path):
    """A broken .sops.yaml would fail with a bare re.error."""
    _config(tmp_path, "creation_rules:\n  - age: a\n  - path_regex: '(['\n")
    with pytest.raises(errors.SecretsError, match=r"\.sops\.yaml: creation_rules\[1\]\.path_regex"):
        rules.is_declared_secret(tmp_path / "a.yaml")


def test_invalid_yaml_names_the_config_and_line(tmp_path):
    """A typo in .sops.yaml would surface as a YAMLError traceback."""
    _config(tmp_path, "creation_rules:\n  - path_regex: a\n   age: [\n")
    with pytest.raises(errors.SecretsError, match=r"\.sops\.yaml:\d+: not valid YAML"):
        rules.is_declared_secret(tmp_path / "a.yaml")


def test_a_checkout_under_a_secrets_path_does_not_make_every_file_secret(tmp_path, monkeypatch):
    """A project cloned into /builds/team/secrets/... would have all its values files refused."""
    project = tmp_path / "secrets" / "project"
    (project / "values").mkdir(parents=True)
    (project / ".sops.yaml").write_text("creation_rules: []\n")
    assert not rules.is_declared_secret(project / "values" / "a.yaml")
    assert rules.is_declared_secret(project / "secrets" / "a.yaml")
    bare = tmp_path / "secrets" / "bare"
    (bare / "values").mkdir(parents=True)
    monkeypatch.chdir(bare)
    assert not rules.is_declared_secret(bare / "values" / "a.yaml")
