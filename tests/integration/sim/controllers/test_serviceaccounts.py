"""The ServiceAccount controller: every namespace has its `default` ServiceAccount, seen through kubectl."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.slow

KUBECTL = str(pathlib.Path(sys.executable).parent / "kubectl")


@pytest.fixture(scope="module")
def kube_env(sim_cluster, tmp_path_factory):
    home = tmp_path_factory.mktemp("kubectl-home")
    return dict(os.environ, KUBECONFIG=str(sim_cluster.kubeconfig), HOME=str(home),
                KUBECACHEDIR=str(home / "cache"))


def kubectl(env, *args):
    result = subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def has_default_account(env, namespace):
    code, out = kubectl(env, "get", "serviceaccount", "default", "-n", namespace, "-o", "name")
    return code == 0 and out.strip() == "serviceaccount/default"


def test_a_new_namespace_gets_its_default_serviceaccount(kube_env, wait_until):
    """`kubectl create namespace x; kubectl get sa -n x` would say `No resources found`."""
    namespace = f"sa-{uuid.uuid4().hex[:8]}"
    assert kubectl(kube_env, "create", "namespace", namespace)[0] == 0
    wait_until(lambda: has_default_account(kube_env, namespace), what="serviceaccount/default in the new namespace")


@pytest.mark.parametrize("namespace", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_the_namespaces_a_cluster_starts_with_have_their_default_serviceaccount(kube_env, namespace, wait_until):
    """`kubectl get sa -n kube-system` on a fresh simulator would find no `default` ServiceAccount."""
    wait_until(lambda: has_default_account(kube_env, namespace), what=f"serviceaccount/default in {namespace}")


def test_a_deleted_default_serviceaccount_comes_back(kube_env, sim_cluster_namespace, wait_until):
    """`kubectl delete sa default` would leave the namespace without one, unlike a real cluster."""
    ns = sim_cluster_namespace
    wait_until(lambda: has_default_account(kube_env, ns), what="serviceaccount/default")
    _, before = kubectl(kube_env, "get", "serviceaccount", "default", "-n", ns, "-o",
                        "jsonpath={.metadata.uid}")
    assert kubectl(kube_env, "delete", "serviceaccount", "default", "-n", ns)[0] == 0

    def recreated():
        code, uid = kubectl(kube_env, "get", "serviceaccount", "default", "-n", ns, "-o", "jsonpath={.metadata.uid}")
        return code == 0 and uid and uid != before

    wait_until(recreated, what="a new serviceaccount/default")
