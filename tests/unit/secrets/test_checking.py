"""Which files `deploykit secrets check` looks at."""

import pytest

from deploykit import errors
from deploykit.secrets import checking


def touch(path, text="a: 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_secret_files_are_found_and_others_skipped(tmp_path):
    """The CI guard would miss a secrets/ file, or flag ordinary values files."""
    secret = touch(tmp_path / "deploy" / "secrets" / "prod.yaml")
    touch(tmp_path / "deploy" / "values" / "prod.yaml")
    touch(tmp_path / "deploy" / "secrets" / "README.md")
    assert checking.secret_files([tmp_path]) == [secret]


def test_hidden_and_vendored_folders_are_skipped(tmp_path):
    """The guard would wander into .git, virtual environments or node_modules."""
    touch(tmp_path / ".git" / "secrets" / "x.yaml")
    touch(tmp_path / ".venv" / "lib" / "secrets" / "x.yaml")
    touch(tmp_path / "node_modules" / "pkg" / "secrets" / "x.yaml")
    assert checking.secret_files([tmp_path]) == []


def test_a_file_named_explicitly_is_always_checked(tmp_path):
    """`deploykit secrets check values/prod.yaml` would silently check nothing."""
    named = touch(tmp_path / "values" / "prod.yaml")
    assert checking.secret_files([named]) == [named]


def test_missing_path_is_a_usage_error(tmp_path):
    """A typo in the CI script would pass the guard with nothing checked."""
    with pytest.raises(errors.UsageError, match="no such file or folder"):
        checking.secret_files([tmp_path / "nope"])


def test_creation_rule_paths_count_as_secret(tmp_path):
    """Files matched by .sops.yaml's path_regex outside secrets/ would escape the guard."""
    (tmp_path / ".sops.yaml").write_text("creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: age1x\n")
    encrypted = touch(tmp_path / "env" / "prod.enc.yaml")
    touch(tmp_path / "env" / "prod.yaml")
    assert checking.secret_files([tmp_path]) == [encrypted]
