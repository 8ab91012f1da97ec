"""Helm 4 (helm-python-sdk) waits on the simulated cluster with its kstatus watcher."""

from __future__ import annotations

import pathlib

import pytest
from helm_python import Config

pytestmark = pytest.mark.slow

CHART = pathlib.Path(__file__).parents[3] / "data" / "charts" / "sim-web"


def test_install_with_the_watcher_wait_succeeds_for_a_healthy_chart(sim_cluster, sim_cluster_namespace,
                                                                    cluster_apps, cluster_batch, wait_until):
    """wait="watcher" returns deployed once the Deployment is rolled out, and the Job then completes."""
    ns = sim_cluster_namespace
    with Config(kubeconfig_path=str(sim_cluster.kubeconfig), kube_context="deploykit-sim", namespace=ns) as helm:
        release = helm.install(str(CHART), "web", {"migrate": True}, namespace=ns, wait="watcher", timeout=30)
    assert (release["status"], release["revision"]) == ("deployed", 1)
    deployment = cluster_apps.read_namespaced_deployment("web", ns)
    assert deployment.status.available_replicas == 3
    # kstatus counts a running Job as Current, so Helm may return before it completes: wait for it here
    wait_until(lambda: cluster_batch.read_namespaced_job("web-migrate", ns).status.succeeded == 1,
               timeout=10, what="the migration Job completes")
