"""Open a connection to a cluster from a kubeconfig (KUBECONFIG, --kubeconfig, --kube-context) or in-cluster.

Owns the `kubernetes.client.ApiClient`; must not hold any deploy logic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from deploykit import errors

USER_AGENT = "deploykit"


@dataclass
class Connection:
    """An authenticated client for one cluster context."""

    api_client: k8s_client.ApiClient
    host: str
    context: str | None
    default_namespace: str
    kubeconfig: str | None = None  # the file given with --kubeconfig; None: KUBECONFIG, ~/.kube/config or in-cluster

    def close(self) -> None:
        self.api_client.close()


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
    configuration = k8s_client.Configuration()
    path = _kubeconfig_paths(kubeconfig)
    default_path = Path.home() / ".kube" / "config"
    namespace = "default"
    if path:
        _check_exists(path, from_flag=bool(kubeconfig))
    if not (path or default_path.exists() or context) and not os.environ.get("KUBERNETES_SERVICE_HOST"):
        raise errors.KubeconfigError(
            f"no cluster to talk to: KUBECONFIG is not set, {default_path} does not exist, and this is not a pod",
            hint="pass --kubeconfig FILE, or set KUBECONFIG (in CI, a file variable holding the kubeconfig)",
        )
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
    # Pin the proxy (taken from the environment for this host, or none): left unpinned, the client scans the whole
    # environment for proxy variables on every request (a quarter of a request's CPU).
    configuration.proxy = configuration.proxy
    api_client = k8s_client.ApiClient(configuration)
    api_client.user_agent = USER_AGENT
    return Connection(api_client=api_client, host=configuration.host, context=context, default_namespace=namespace,
                      kubeconfig=str(kubeconfig) if kubeconfig else None)
