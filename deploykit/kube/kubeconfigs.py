"""Reading a plain kubeconfig file without the kubernetes package: server, CA, token or client-certificate files.

`read_plain` returns the transport settings, the context's name and its
namespace for a kubeconfig whose chosen context uses nothing else, and None
for anything it does not read itself (exec or auth-provider credentials,
embedded client certificates, token files, basic auth, impersonation, a proxy
from the environment, several KUBECONFIG files, a file it cannot parse): the
caller then loads it with the kubernetes package, which says what is wrong.
A test holds both readings equal for the kubeconfigs this one reads.

Must not: raise for a kubeconfig it cannot read (return None), or log a token.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

import yaml

from deploykit.frozen import frozen
from deploykit.kube.transport import Settings

CLUSTER_KEYS = frozenset({"server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
                          "tls-server-name", "extensions"})
USER_KEYS = frozenset({"token", "client-certificate", "client-key", "extensions"})


@frozen
class Plain:
    settings: Settings
    context: str
    namespace: str
    contexts: tuple[str, ...]


def context_names(config: Mapping[str, Any]) -> list[str]:
    return [str(item.get("name")) for item in config.get("contexts") or [] if isinstance(item, Mapping)]


def read_plain(path: str, context: str | None) -> Plain | None:
    """The settings of `context` (else current-context) in the kubeconfig at `path`, or None (see module doc)."""
    if os.pathsep in path or _proxy_in_environment():
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
        return _plain(config, os.path.dirname(os.path.abspath(path)), context)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, yaml.YAMLError):
        return None


def _named(config: Mapping[str, Any], section: str, name: Any) -> Mapping[str, Any] | None:
    found = [item for item in config.get(section) or [] if isinstance(item, Mapping) and item.get("name") == name]
    return found[0] if len(found) == 1 else None


def _plain(config: Any, folder: str, context: str | None) -> Plain | None:
    if not isinstance(config, Mapping):
        return None
    name = context or config.get("current-context")
    chosen = _named(config, "contexts", name) if name else None
    if chosen is None or not isinstance(chosen.get("context"), Mapping):
        return None
    details = chosen["context"]
    cluster_entry = _named(config, "clusters", details.get("cluster"))
    if cluster_entry is None or not isinstance(cluster_entry.get("cluster"), Mapping):
        return None
    cluster = cluster_entry["cluster"]
    user: Mapping[str, Any] = {}
    if details.get("user"):
        user_entry = _named(config, "users", details.get("user"))
        if user_entry is None:
            return None
        user = user_entry.get("user") or {}
    if not isinstance(user, Mapping) or set(cluster) - CLUSTER_KEYS or set(user) - USER_KEYS:
        return None
    if bool(user.get("client-certificate")) != bool(user.get("client-key")) or set(details) - {
            "cluster", "user", "namespace", "extensions"}:
        return None
    server = str(cluster.get("server") or "").rstrip("/")
    if not server.startswith(("https://", "http://")):
        return None
    token = user.get("token")
    settings = Settings(
        host=server,
        verify=not cluster.get("insecure-skip-tls-verify", False),
        ca_file=_path(cluster.get("certificate-authority"), folder),
        ca_data=base64.b64decode(cluster["certificate-authority-data"]).decode()
        if cluster.get("certificate-authority-data") else None,
        cert_file=_path(user.get("client-certificate"), folder),
        key_file=_path(user.get("client-key"), folder),
        tls_server_name=cluster.get("tls-server-name") or None,
        authorization=(lambda: f"Bearer {token}") if token else None,
    )
    if settings.ca_data and settings.ca_file:
        return None
    return Plain(settings, str(name), str(details.get("namespace") or "default"), tuple(context_names(config)))


def _proxy_in_environment() -> bool:
    """True when a *_proxy variable is set (as urllib reads them): the kubernetes package then picks the proxy."""
    return any(name.lower().endswith("_proxy") and value for name, value in os.environ.items())


def _path(value: Any, folder: str) -> str | None:
    """A file named in the kubeconfig, relative to the kubeconfig's folder (as kubectl reads it)."""
    if not value:
        return None
    return os.path.join(folder, os.path.expanduser(str(value)))
