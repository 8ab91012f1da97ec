"""The simulated cluster as a whole: namespace deletion with running workloads, restarts from saved state."""

from __future__ import annotations

from tests.integration.sim.controllers import manifests as m
from tests.plugins.sim import Http, create_namespace


def test_deleting_a_namespace_stops_its_running_workloads_and_finishes(sim_cluster_http, sim_cluster, wait_until):
    """Pods of a Deployment and a StatefulSet are stopped gracefully and the namespace goes away."""
    http = sim_cluster_http
    create_namespace(sim_cluster.url, "doomed")
    assert http("POST", "/apis/apps/v1/namespaces/doomed/deployments", m.deployment("web"))[0] == 201
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                    "template": m.pod_template("db")}}
    assert http("POST", "/apis/apps/v1/namespaces/doomed/statefulsets", sts)[0] == 201
    wait_until(lambda: len(http("GET", "/api/v1/namespaces/doomed/pods")[1]["items"]) == 5, what="five pods")
    assert http("DELETE", "/api/v1/namespaces/doomed")[0] == 200
    wait_until(lambda: http("GET", "/api/v1/namespaces/doomed")[0] == 404, what="namespace gone")


def test_a_restarted_simulator_keeps_pods_running_and_crash_loops_going(sim_cluster_factory, tmp_path, wait_until):
    """With --state, a restart keeps the Deployment available and the crashing pod restarting, no pod replaced."""
    first = sim_cluster_factory(state_dir=str(tmp_path))
    http = Http(first.url)
    assert http("POST", "/apis/apps/v1/namespaces/default/deployments", m.deployment("web"))[0] == 201
    assert http("POST", "/api/v1/namespaces/default/pods", m.pod("crash", annotations={m.BEHAVIOR: "crashloop"}))[0] \
        == 201
    wait_until(lambda: http("GET", "/apis/apps/v1/namespaces/default/deployments/web")[1].get("status", {}).get(
        "availableReplicas") == 3, what="web available")
    wait_until(lambda: m.container(http("GET", "/api/v1/namespaces/default/pods/crash")[1]).get("restartCount", 0)
               >= 1, what="a restart")
    names = sorted(p["metadata"]["name"] for p in http("GET", "/api/v1/namespaces/default/pods")[1]["items"])
    restarts = m.container(http("GET", "/api/v1/namespaces/default/pods/crash")[1])["restartCount"]
    first.stop()

    second = sim_cluster_factory(state_dir=str(tmp_path))
    http = Http(second.url)
    wait_until(lambda: m.container(http("GET", "/api/v1/namespaces/default/pods/crash")[1]).get("restartCount", 0)
               > restarts, what="the crash loop goes on")
    d = http("GET", "/apis/apps/v1/namespaces/default/deployments/web")[1]
    assert d["status"]["availableReplicas"] == 3
    assert sorted(p["metadata"]["name"] for p in http("GET", "/api/v1/namespaces/default/pods")[1]["items"]) == names
    assert [n["metadata"]["name"] for n in http("GET", "/api/v1/nodes")[1]["items"]] == [
        "sim-node-1", "sim-node-2", "sim-node-3"]
