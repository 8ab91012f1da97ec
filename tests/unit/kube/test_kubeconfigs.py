"""Plain kubeconfigs read without the kubernetes package: the same settings as kubernetes.config reads, else None."""

from __future__ import annotations

import base64
import pathlib

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from deploykit.kube import kubeconfigs
from deploykit.kube.connecting import settings_of

CA = "-----BEGIN CERTIFICATE-----\nnot-checked-here\n-----END CERTIFICATE-----\n"


def kubeconfig(tmp_path: pathlib.Path, cluster: str, user: str, context_extra: str = "") -> str:
    (tmp_path / "client.crt").write_text("cert")
    (tmp_path / "client.key").write_text("key")
    (tmp_path / "ca.crt").write_text(CA)
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
        f"clusters:\n- name: c\n  cluster:\n{cluster}\n"
        f"users:\n- name: u\n  user:\n{user}\n"
        f"contexts:\n- name: main\n  context: {{cluster: c, user: u{context_extra}}}\n"
        "- name: other\n  context: {cluster: c, user: u, namespace: elsewhere}\n")
    return str(path)


def as_read(settings) -> dict:
    ca = settings.ca_data or (pathlib.Path(settings.ca_file).read_text() if settings.ca_file else None)
    return {"host": settings.host, "verify": settings.verify, "ca": ca, "cert": settings.cert_file,
            "key": settings.key_file, "tls_server_name": settings.tls_server_name,
            "authorization": settings.authorization() if settings.authorization else None}


def by_kubernetes(path: str, context: str | None) -> dict:
    configuration = k8s_client.Configuration()
    k8s_config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                persist_config=False)
    return as_read(settings_of(configuration))


CASES = {
    "token and CA data": ("    server: https://api.example.com:6443/\n"
                          f"    certificate-authority-data: {base64.b64encode(CA.encode()).decode()}",
                          "    token: abc.def"),
    "client certificate files and CA file": ("    server: https://10.0.0.1\n    certificate-authority: ca.crt",
                                             "    client-certificate: client.crt\n    client-key: client.key"),
    "no TLS check, another server name": ("    server: https://api.example.com\n    insecure-skip-tls-verify: true\n"
                                          "    tls-server-name: kubernetes.default", "    token: t"),
    "plain HTTP, no credentials": ("    server: http://127.0.0.1:8080", "    {}"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("context", [None, "other"])
def test_plain_kubeconfig_reads_as_kubernetes_reads_it(tmp_path, monkeypatch, case, context):
    """A connection would go to another server, trust another CA or send other credentials than kubectl's."""
    for name in [n for n in __import__("os").environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    path = kubeconfig(tmp_path, *CASES[case])
    plain = kubeconfigs.read_plain(path, context)
    assert plain is not None
    assert as_read(plain.settings) == by_kubernetes(path, context)
    assert (plain.context, plain.namespace) == (context or "main", "elsewhere" if context else "default")


@pytest.mark.parametrize("user", [
    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token}",
    "    auth-provider: {name: oidc, config: {id-token: x}}",
    "    client-certificate-data: Y2VydA==\n    client-key-data: a2V5",
    "    tokenFile: /var/token",
    "    username: admin\n    password: secret",
])
def test_credentials_it_does_not_read_go_to_kubernetes(tmp_path, user):
    """Exec or auth-provider credentials would be dropped and requests sent unauthenticated."""
    assert kubeconfigs.read_plain(kubeconfig(tmp_path, "    server: https://api.example.com", user), None) is None


def test_a_proxy_in_the_environment_goes_to_kubernetes(tmp_path, monkeypatch):
    """HTTPS_PROXY would be ignored for the cluster when the kubeconfig itself is plain."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert kubeconfigs.read_plain(kubeconfig(tmp_path, "    server: https://api.example.com", "    token: t"), None) is None


def test_unknown_context_goes_to_kubernetes(tmp_path):
    """A mistyped --kube-context would silently use current-context instead of being named as missing."""
    assert kubeconfigs.read_plain(kubeconfig(tmp_path, "    server: https://a.example.com", "    token: t"), "prod") is None
