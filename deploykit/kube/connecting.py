"""Open a connection to a cluster from a kubeconfig (KUBECONFIG, --kubeconfig, --kube-context) or in-cluster.

A plain kubeconfig (server, CA, token or client-certificate files) is read
here without the kubernetes package (`kubeconfigs`); every other one, and the
in-cluster config, through `kubernetes.config`, imported only then. Either
way the connection's requests go through `transport.Transport`. Must not hold
any deploy logic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deploykit import errors
from deploykit.kube import kubeconfigs
from deploykit.kube.transport import Settings, Transport


@dataclass
class Connection:
    """An authenticated client for one cluster context."""

    transport: Transport
    host: str
    context: str | None
    default_namespace: str
    kubeconfig: str | None = None  # the file given with --kubeconfig; None: KUBECONFIG, ~/.kube/config or in-cluster

    def close(self) -> None:
        self.transport.close()


def _kubeconfig_paths(kubeconfig: str | os.PathLike | None) -> str | None:
    if kubeconfig:
        return str(kubeconfig)
    return os.environ.get("KUBECONFIG") or None


def _check_exists(path: str, *, from_flag: bool) -> None:
    """A kubeconfig named by --kubeconfig or KUBECONFIG that is not there is bad input (exit 2), not a cluster error.

    KUBECONFIG may list several files, as kubectl reads it: missing ones are skipped, but not all of them.
    """
    listed = [path] if from_flag else [item for item in path.split(os.pathsep) if item]
    if any(os.path.exists(item) for item in listed):
        return
    named = listed[0] if len(listed) == 1 else " and ".join(listed)
    verb = "does" if len(listed) == 1 else "do"
    if from_flag:
        raise errors.KubeconfigError(f"kubeconfig {named} does not exist",
                                     hint="check the path given to --kubeconfig, or leave it out to use KUBECONFIG")
    raise errors.KubeconfigError(f"kubeconfig {named} (from KUBECONFIG) {verb} not exist",
                                 hint="point KUBECONFIG at an existing file (in CI, a file variable holding the "
                                      "kubeconfig), or pass --kubeconfig FILE")


def connect(*, kubeconfig: str | os.PathLike | None = None, context: str | None = None) -> Connection:
    """Connect with the given kubeconfig and context, falling back to KUBECONFIG, ~/.kube/config, in-cluster."""
    path = _kubeconfig_paths(kubeconfig)
    default_path = Path.home() / ".kube" / "config"
    if path:
        _check_exists(path, from_flag=bool(kubeconfig))
    if not (path or default_path.exists() or context) and not os.environ.get("KUBERNETES_SERVICE_HOST"):
        raise errors.KubeconfigError(
            f"no cluster to talk to: KUBECONFIG is not set, {default_path} does not exist, and this is not a pod",
            hint="pass --kubeconfig FILE, or set KUBECONFIG (in CI, a file variable holding the kubeconfig)",
        )
    given = str(kubeconfig) if kubeconfig else None
    if path or default_path.exists() or context:
        config_file = path or str(default_path)
        plain = kubeconfigs.read_plain(config_file, context)
        if plain is not None:
            return Connection(transport=Transport(plain.settings), host=plain.settings.host, context=plain.context,
                              default_namespace=plain.namespace, kubeconfig=given)
    settings, context, namespace = _load_with_kubernetes(path, default_path, context)
    return Connection(transport=Transport(settings), host=settings.host, context=context,
                      default_namespace=namespace, kubeconfig=given)


def _load_with_kubernetes(path: str | None, default_path: Path, context: str | None) -> tuple[Settings, str | None, str]:
    """(settings, context, namespace) through kubernetes.config: exec and auth-provider credentials, in-cluster."""
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException

    configuration = k8s_client.Configuration()
    namespace = "default"
    try:
        if path or default_path.exists() or context:
            config_file = path or str(default_path)
            if context:
                names = [c["name"] for c in k8s_config.list_kube_config_contexts(config_file=config_file)[0]]
                if context not in names:
                    raise errors.KubeconfigError(
                        f"kubeconfig {config_file} has no context {context!r} (it has: {', '.join(names) or 'none'})",
                        hint="pass --kube-context with one of them, or leave it out for current-context")
            k8s_config.load_kube_config(
                config_file=config_file, context=context, client_configuration=configuration, persist_config=False
            )
            contexts, current = k8s_config.list_kube_config_contexts(config_file=config_file)
            active = next((c for c in contexts if c["name"] == context), current) if context else current
            context = (active or {}).get("name")
            namespace = ((active or {}).get("context") or {}).get("namespace") or "default"
        else:
            k8s_config.load_incluster_config(client_configuration=configuration)
            ns_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
            if ns_file.exists():
                namespace = ns_file.read_text().strip() or "default"
    except (ConfigException, OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        where = f"kubeconfig {path or default_path}" if (path or default_path.exists()) else "in-cluster config"
        # A file that is there but unusable (not YAML, no current-context) is bad input: nothing was sent anywhere.
        raise errors.KubeconfigError(
            f"cannot load {where}" + (f" (context {context!r})" if context else "")
            + f": {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            hint="pass --kubeconfig FILE and --kube-context NAME, or set KUBECONFIG",
        ) from exc
    return settings_of(configuration), context, namespace


def settings_of(configuration: Any) -> Settings:
    """The transport settings a loaded `kubernetes.client.Configuration` holds (the proxy pinned for its host)."""
    proxy = configuration.proxy
    if proxy and _bypasses_proxy(configuration.host, configuration.no_proxy or ""):
        proxy = None
    basic = configuration.get_basic_auth_token() if configuration.username or configuration.password else None

    def authorization() -> str | None:
        # Asked per request: the hook kubernetes.config set refreshes exec credentials and in-cluster tokens.
        token = configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
        return token or basic

    return Settings(host=configuration.host.rstrip("/"), verify=bool(configuration.verify_ssl),
                    ca_file=configuration.ssl_ca_cert, ca_data=configuration.ca_cert_data,
                    cert_file=configuration.cert_file, key_file=configuration.key_file,
                    tls_server_name=configuration.tls_server_name or None,
                    assert_hostname=configuration.assert_hostname, proxy=proxy,
                    proxy_headers=configuration.proxy_headers, authorization=authorization)


def _bypasses_proxy(host: str, no_proxy: str) -> bool:
    from kubernetes.client.rest import should_bypass_proxies

    return should_bypass_proxies(host, no_proxy)
