"""The endpoint Helm's `lookup` reads through: deploykit's connection, Secret values noted, only for its token."""

import base64
import json
import os
import urllib.error
import urllib.request

import pytest

from deploykit.kube.client import Kube
from deploykit.kube.lookupproxy import secret_values

TOKEN_VALUE = "lookup-Canary-" + "5c9a0e"


@pytest.fixture
def kube(sim):
    with Kube.connect(kubeconfig=sim.kubeconfig) as client:
        yield client


def _server(proxy) -> str:
    with open(proxy.kubeconfig(), encoding="utf-8") as handle:
        return json.load(handle)["clusters"][0]["cluster"]["server"]


def test_secret_values_are_noted_decoded_and_as_sent():
    """A looked-up Secret's value would escape masking in one of the forms a template can print it in."""
    encoded = base64.b64encode(TOKEN_VALUE.encode()).decode()
    listed = {"kind": "SecretList", "items": [{"data": {"token": encoded, "blob": "//79"}, "stringData": {"plain": "s3cr3t-text"}}]}
    assert secret_values(listed) == {TOKEN_VALUE, encoded, "//79", "s3cr3t-text"}


def test_lookup_reads_are_noted_and_the_file_is_removed_on_close(kube, sim_namespace):
    """A Secret Helm reads would not be known as secret, or the endpoint's kubeconfig would be left behind."""
    kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": sim_namespace},
                 "stringData": {"token": TOKEN_VALUE}})
    proxy = kube.lookup_proxy()
    path = proxy.kubeconfig()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with urllib.request.urlopen(f"{_server(proxy)}/api/v1/namespaces/{sim_namespace}/secrets/db") as answer:
        assert json.load(answer)["metadata"]["name"] == "db"
    assert TOKEN_VALUE in proxy.secrets_read()
    proxy.close()
    assert not os.path.exists(path)


def test_a_request_without_the_token_is_refused(kube, sim_namespace):
    """Any local process could read the cluster's Secrets through deploykit's credentials while a render runs."""
    proxy = kube.lookup_proxy()
    port = _server(proxy).rsplit(":", 1)[1].split("/")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/namespaces/{sim_namespace}/secrets")
    assert refused.value.code == 401
