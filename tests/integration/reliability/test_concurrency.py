"""Two `deploykit pipeline run` processes deploying the same release at once: one after the other, never mixed."""

from __future__ import annotations

import dataclasses
import shutil

from tests.integration.reliability.conftest import wait_for_line


def test_two_pipeline_runs_of_one_release_never_interleave(project, sim_cluster):
    """Two CI jobs deploying one release at once would mix their applies and records, or one would vanish."""
    project.env["DEPLOYKIT_LOCK_LEASE_SECONDS"] = "15"  # a loaded machine must not let a live lock look stale
    assert project.stage().returncode == 0
    other = dataclasses.replace(project, root=project.root.parent / "other")
    shutil.copytree(project.root, other.root)
    # build 2 takes 8 s to become ready (ready-after:160s at the test cluster's speed): build 3 comes meanwhile
    project.set_values(tag="2", behavior="ready-after:160s")
    other.set_values(tag="3")
    sim_cluster.server.audit.clear()
    processes = [project.start(project.stage_args())]
    wait_for_line(processes[0], "applying")
    processes.append(other.start(other.stage_args()))
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    second = outputs[1][0]
    assert "waiting for the release lock, held by" in second and "planning again" in second, outputs
    assert project.history() == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
    assert project.consistent() == [] and project.running_tag() == "3"
    # the record writes, in the order the API server took them: revision 2's run, then revision 3's
    writes = [(entry.method, entry.path.rsplit("/", 1)[1]) for entry in sim_cluster.server.audit.writes()
              if f"/namespaces/{project.namespace}/" in entry.path]
    assert [w for w in writes if "release.v1" in w[1] or w == ("POST", "secrets")] == [
        ("POST", "secrets"), ("PUT", "deploykit.release.v1.app.v2"), ("PUT", "deploykit.release.v1.app.v1"),
        ("POST", "secrets"), ("PUT", "deploykit.release.v1.app.v3"), ("PUT", "deploykit.release.v1.app.v2"),
    ], writes
