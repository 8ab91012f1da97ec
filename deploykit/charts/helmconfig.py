"""Where Helm keeps its client configuration, read the way Helm reads it: repositories.yaml and the registry config.

Owns: the paths (HELM_REPOSITORY_CONFIG, HELM_REGISTRY_CONFIG, HELM_CONFIG_HOME,
XDG_CONFIG_HOME, then ~/.config/helm, as Helm's helmpath does on Linux), the
entries of repositories.yaml, and turning a dependency's `@name` / `alias:name`
repository into the URL of that entry (Helm's resolveRepoNames).

Must not: fetch anything, or print or keep a credential (entries are only
matched by name and URL; passwords never leave this module's callers' hands).
"""

from __future__ import annotations

import os
from pathlib import Path

from deploykit import errors

REMOTE_PREFIXES = ("http://", "https://", "oci://", "@", "alias:")


def is_remote(repository: str | None) -> bool:
    """True for a dependency a chart repository or registry serves (what `dependency update` fetches)."""
    return bool(repository) and repository.startswith(REMOTE_PREFIXES)  # type: ignore[union-attr]


def config_home() -> Path:
    if os.environ.get("HELM_CONFIG_HOME"):
        return Path(os.environ["HELM_CONFIG_HOME"])
    if os.environ.get("XDG_CONFIG_HOME"):
        return Path(os.environ["XDG_CONFIG_HOME"]) / "helm"
    return Path.home() / ".config" / "helm"


def repository_config() -> Path:
    """repositories.yaml: $HELM_REPOSITORY_CONFIG, else <config home>/repositories.yaml."""
    return Path(os.environ.get("HELM_REPOSITORY_CONFIG") or config_home() / "repositories.yaml")


def registry_config() -> Path:
    """The OCI registry credentials file: $HELM_REGISTRY_CONFIG, else <config home>/registry/config.json."""
    return Path(os.environ.get("HELM_REGISTRY_CONFIG") or config_home() / "registry" / "config.json")


def repositories() -> list[dict]:
    """The entries of repositories.yaml (none when the file does not exist)."""
    import yaml  # only a chart from a repository gets here

    path = repository_config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, yaml.YAMLError) as exc:
        raise errors.ChartError(f"{path}: cannot read Helm's repository config ({type(exc).__name__})",
                                hint="fix the file, or point HELM_REPOSITORY_CONFIG at another one") from None
    entries = (data or {}).get("repositories") if isinstance(data, dict) else None
    return [entry for entry in entries or [] if isinstance(entry, dict) and entry.get("name") and entry.get("url")]


def alias_name(repository: str) -> str | None:
    """`myrepo` for `@myrepo` and `alias:myrepo`; None for a URL."""
    for prefix in ("@", "alias:"):
        if repository.startswith(prefix):
            return repository[len(prefix):]
    return None


def resolve_alias(repository: str) -> str | None:
    """The URL a `@name` / `alias:name` repository stands for in repositories.yaml (None when no entry has that name)."""
    name = alias_name(repository)
    for entry in repositories():
        if entry["name"] == name:
            return str(entry["url"])
    return None


def entry_for(url: str) -> dict | None:
    """The repositories.yaml entry whose URL is `url` (trailing slashes ignored), as Helm matches them."""
    wanted = url.rstrip("/")
    for entry in repositories():
        if str(entry["url"]).rstrip("/") == wanted:
            return entry
    return None
