"""Which files are secret files: .sops.yaml creation rules and `secrets/` folders.

Owns: finding the .sops.yaml that governs a file (the nearest one upwards
from it), reading its creation rules, and the one definition of "a file
declared secret" that `deploykit secrets check`, `-f` values files and
pipelines share: a YAML/JSON/dotenv file that matches the `path_regex` of a
creation rule of its .sops.yaml, or that lives in a folder named `secrets`.

Must not: run sops, decrypt, or read anything but .sops.yaml files.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from deploykit import errors
from deploykit.frozen import frozen

CONFIG_NAMES = (".sops.yaml", ".sops.yml")
SECRET_FOLDER = "secrets"
_SECRET_SUFFIXES = (".yaml", ".yml", ".json", ".env")


@frozen
class CreationRule:
    """One creation rule: the path regex it applies to (None: every file) and its key kinds."""

    path_regex: re.Pattern[str] | None
    key_kinds: tuple[str, ...]


@frozen
class SopsConfig:
    """A parsed .sops.yaml: where it is and its creation rules, in order."""

    path: Path
    rules: tuple[CreationRule, ...]

    def relative(self, file: Path) -> str:
        """The file's path as sops matches it: relative to the config's folder, with `/`."""
        try:
            return file.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return file.resolve().as_posix()

    def rule_for(self, file: Path) -> CreationRule | None:
        """The first creation rule whose path_regex matches the file (sops uses the first)."""
        relative = self.relative(file)
        for rule in self.rules:
            if rule.path_regex is None or rule.path_regex.search(relative):
                return rule
        return None


def find_config(start: Path) -> Path | None:
    """The nearest .sops.yaml in `start`'s folder or above it."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
    return None


@functools.lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> SopsConfig:
    import yaml  # only where a .sops.yaml governs the file: a `template -f values.yaml` without one never loads it

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise errors.SecretsError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except OSError as exc:
        raise errors.SecretsError(f"{path}: cannot be read: {exc.strerror}") from None
    rules_data = (document or {}).get("creation_rules") if isinstance(document, dict) else None
    if rules_data is None:
        return SopsConfig(path=path, rules=())
    if not isinstance(rules_data, list):
        raise errors.SecretsError(f"{path}: creation_rules must be a list of rules")
    rules = []
    for index, rule in enumerate(rules_data):
        if not isinstance(rule, dict):
            raise errors.SecretsError(f"{path}: creation_rules[{index}] must be a mapping")
        regex = rule.get("path_regex")
        try:
            compiled = re.compile(str(regex)) if regex not in (None, "") else None
        except re.error as exc:
            raise errors.SecretsError(
                f"{path}: creation_rules[{index}].path_regex is not a valid regular expression: {exc}"
            ) from None
        kinds = tuple(k for k in ("age", "pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms", "key_groups") if rule.get(k))
        rules.append(CreationRule(path_regex=compiled, key_kinds=kinds))
    return SopsConfig(path=path, rules=tuple(rules))


def load_config(path: Path) -> SopsConfig:
    """Parse a .sops.yaml (cached while the file is unchanged)."""
    resolved = path.resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise errors.SecretsError(f"{path}: cannot be read: {exc.strerror}") from None
    return _load_cached(resolved, mtime)


def config_for(file: Path) -> SopsConfig | None:
    """The .sops.yaml governing `file`, parsed, or None when there is none."""
    found = find_config(file)
    return load_config(found) if found else None


def in_secret_folder(file: Path) -> bool:
    """True when the file sits (at any depth) under a folder named `secrets` inside the project.

    Only folders below the project root count (the folder of the governing
    .sops.yaml, else the working directory), so that a checkout that happens
    to live under some `.../secrets/...` path does not make every file secret.
    Outside both, only the file's own folder counts.
    """
    resolved = file.resolve()
    config = find_config(resolved)
    root = config.parent if config else Path.cwd().resolve()
    try:
        folders = resolved.parent.relative_to(root).parts
    except ValueError:
        folders = (resolved.parent.name,)
    return SECRET_FOLDER in folders


def is_declared_secret(file: Path) -> bool:
    """True when `file` is a secret file by the rules above (it must then be sops-encrypted)."""
    if not file.name.lower().endswith(_SECRET_SUFFIXES) or file.name in CONFIG_NAMES:
        return False
    if in_secret_folder(file):
        return True
    config = config_for(file)
    if config is None:
        return False
    return any(rule.path_regex is not None and rule.path_regex.search(config.relative(file)) for rule in config.rules)
