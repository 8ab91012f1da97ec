"""Release records stored as Secrets in the simulator, through deploykit.kube over real HTTP."""

import base64
import os
import pathlib
import subprocess
import sys

import pytest

from deploykit import errors
from deploykit.kube.resources import ObjectRef
from deploykit.release import records, storage
from deploykit.release.records import Record, Status
from deploykit.release.storage import RecordStore

KUBECTL = str(pathlib.Path(sys.executable).parent / "kubectl")


def record(namespace, revision=1, status="deployed", name="web", **changes):
    fields = dict(name=name, namespace=namespace, revision=revision, status=status,
                  created="2026-12-04T22:18:01Z", updated="2026-12-04T22:18:01Z",
                  chart=records.ChartIdentity("web", "1.2.0", "2.0", "sha256:ab"), description=f"Revision {revision}",
                  values={"replicas": revision}, manifest="kind: ConfigMap\n",
                  objects=(records.AppliedObject("v1", "ConfigMap", namespace, "web", created=revision == 1),))
    return Record(**{**fields, **changes})


def large(namespace, revision=1, **changes):
    """A record of about 3 MiB of incompressible chart files: five parts."""
    files = {f"files/blob-{i}.bin": os.urandom(1024 * 1024) for i in range(3)}
    return record(namespace, revision, chart_files=files, **changes)


def secrets(kube, namespace, selector=""):
    return sorted(s["metadata"]["name"] for s in kube.list("v1", "Secret", namespace=namespace, label_selector=selector))


@pytest.fixture
def store(sim_kube, sim_namespace):
    return RecordStore(sim_kube, sim_namespace)


def test_a_created_record_is_a_labelled_secret_and_reads_back(store, sim_kube, sim_namespace):
    """A deployed revision would be lost, or stored where `kubectl get secrets -l owner=deploykit` misses it."""
    written = record(sim_namespace, 1)
    store.create(written)
    secret = sim_kube.get(ObjectRef("v1", "Secret", sim_namespace, "deploykit.release.v1.web.v1"))
    assert secret["type"] == "deploykit.io/release.v1"
    assert secret["metadata"]["labels"] == {"owner": "deploykit", "name": "web", "status": "deployed", "version": "1"}
    assert records.decode(base64.b64decode(secret["data"]["release"])) == written
    assert store.get("web", 1) == written


def test_history_is_sorted_by_revision_from_labels(store, sim_namespace):
    """`deploykit history` would list revisions out of order (v10 before v2) or need every payload decoded."""
    for revision in (2, 10, 1):
        store.create(record(sim_namespace, revision, status="superseded" if revision < 10 else "deployed"))
    history = store.history("web")
    assert [(s.revision, s.status) for s in history] == [
        (1, Status.SUPERSEDED), (2, Status.SUPERSEDED), (10, Status.DEPLOYED)]
    assert (history[0].chart, history[0].app_version, history[0].description) == ("web-1.2.0", "2.0", "Revision 1")
    assert store.load(history[-1]) == record(sim_namespace, 10)


def test_latest_and_last_deployed(store, sim_namespace):
    """An upgrade after a failed one would roll back to the failed revision instead of the last good one."""
    assert store.latest("web") is None and store.last_deployed("web") is None
    store.create(record(sim_namespace, 1, status="superseded"))
    store.create(record(sim_namespace, 2, status="deployed"))
    store.create(record(sim_namespace, 3, status="failed"))
    assert store.latest("web").revision == 3
    assert store.last_deployed("web").revision == 2


def test_creating_an_existing_revision_is_refused(store, sim_namespace):
    """Two concurrent deploys would both write revision 2, one silently overwriting the other."""
    store.create(record(sim_namespace, 2))
    with pytest.raises(errors.RecordExistsError) as caught:
        store.create(record(sim_namespace, 2, description="the other run"))
    assert "release web v2 in namespace" in caught.value.message and caught.value.hint
    assert store.get("web", 2).description == "Revision 2"


def test_a_missing_revision_is_a_clear_error(store, sim_namespace):
    """`deploykit get values web --revision 7` would crash instead of saying there is no such revision."""
    with pytest.raises(errors.RecordNotFoundError) as caught:
        store.get("web", 7)
    assert caught.value.message == f"release web has no revision 7 in namespace {sim_namespace}"
    assert "deploykit history web" in caught.value.hint


def test_update_status_changes_label_and_payload_together(store, sim_kube, sim_namespace):
    """A revision could show `deployed` in kubectl while its payload still says pending (or the reverse)."""
    store.create(record(sim_namespace, 1, status="pending-install"))
    updated = store.update_status("web", 1, "failed", description="Install failed: timed out", updated="T2")
    secret = sim_kube.get(ObjectRef("v1", "Secret", sim_namespace, "deploykit.release.v1.web.v1"))
    payload = records.decode(base64.b64decode(secret["data"]["release"]))
    assert secret["metadata"]["labels"]["status"] == "failed" == payload.status
    assert payload == updated == record(sim_namespace, 1, status="failed", updated="T2",
                                        description="Install failed: timed out")
    assert store.history("web")[0].description == "Install failed: timed out"


def test_delete_removes_the_revision(store, sim_namespace):
    """`uninstall` or history pruning would leave revisions behind."""
    store.create(record(sim_namespace, 1))
    store.create(record(sim_namespace, 2))
    assert store.delete("web", 1) is True
    assert [s.revision for s in store.history("web")] == [2]
    assert store.delete("web", 1) is False


def test_list_releases_gives_the_latest_revision_of_each(sim_kube, sim_namespace, sim):
    """`deploykit list` would show old revisions, or miss releases in other namespaces with -A."""
    from tests.plugins.sim import create_namespace
    other = f"{sim_namespace}-b"
    create_namespace(sim.url, other)
    here, there = RecordStore(sim_kube, sim_namespace), RecordStore(sim_kube, other)
    here.create(record(sim_namespace, 1, name="web"))
    here.create(record(sim_namespace, 2, name="web"))
    here.create(record(sim_namespace, 1, name="api"))
    there.create(record(other, 4, name="web"))
    assert [(s.name, s.revision) for s in here.list_releases()] == [("api", 1), ("web", 2)]
    everywhere = [(s.namespace, s.name, s.revision) for s in here.list_releases(all_namespaces=True)
                  if s.namespace in (sim_namespace, other)]
    assert everywhere == [(sim_namespace, "api", 1), (sim_namespace, "web", 2), (other, "web", 4)]


def test_a_record_in_another_namespace_is_refused(store, sim_namespace):
    """A record written into the wrong namespace would be invisible to the release's history."""
    with pytest.raises(errors.ReleaseError, match="a record lives in its release's namespace"):
        store.create(record("elsewhere", 1))


# -- large records ------------------------------------------------------------------


def test_a_3_mib_record_round_trips_through_the_cluster_in_parts(store, sim_kube, sim_namespace):
    """A release with large chart files would fail to record (Secrets hold 1 MiB) and block every later upgrade."""
    written = large(sim_namespace, 1)
    store.create(written)
    parts = secrets(sim_kube, sim_namespace, "owner=deploykit-part")
    assert len(parts) >= 3 and all(name.startswith("deploykit.release.v1.web.v1.part-") for name in parts)
    assert store.get("web", 1) == written


def test_history_and_kubectl_show_one_secret_per_revision(store, sim, sim_kube, sim_namespace, tmp_path):
    """`kubectl get secrets -l owner=deploykit` and `deploykit history` would list each part as a revision."""
    store.create(large(sim_namespace, 1, status="superseded"))
    store.create(record(sim_namespace, 2))
    assert [s.revision for s in store.history("web")] == [1, 2]
    env = dict(os.environ, KUBECONFIG=str(sim.kubeconfig), HOME=str(tmp_path), KUBECACHEDIR=str(tmp_path / "cache"))
    listed = subprocess.run([KUBECTL, "get", "secrets", "-n", sim_namespace, "-l", "owner=deploykit", "-o", "name"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["secret/deploykit.release.v1.web.v1", "secret/deploykit.release.v1.web.v2"]


def test_a_tampered_part_is_detected_by_the_digest(store, sim_kube, sim_namespace):
    """A part Secret edited by hand would be decoded into a record deploykit never wrote."""
    store.create(large(sim_namespace, 1))
    name = secrets(sim_kube, sim_namespace, "owner=deploykit-part")[0]
    part = sim_kube.get(ObjectRef("v1", "Secret", sim_namespace, name))
    data = bytearray(base64.b64decode(part["data"]["release"]))
    data[100] = ord("A") if data[100] != ord("A") else ord("B")
    sim_kube.merge_patch(ObjectRef.of(part), {"data": {"release": base64.b64encode(bytes(data)).decode()}})
    with pytest.raises(errors.RecordError) as caught:
        store.get("web", 1)
    assert caught.value.message.startswith(f"release web v1 in namespace {sim_namespace} "
                                           "(Secret deploykit.release.v1.web.v1) is damaged")
    assert "do not match the digest" in caught.value.message


def test_a_deleted_part_is_named(store, sim_kube, sim_namespace):
    """A record missing a part would be read as truncated JSON with no hint of what is gone."""
    store.create(large(sim_namespace, 1))
    sim_kube.delete(ObjectRef("v1", "Secret", sim_namespace, secrets(sim_kube, sim_namespace, "owner=deploykit-part")[0]))
    with pytest.raises(errors.RecordError, match=r"it has \d of \d parts: part\(s\) 2 missing"):
        store.get("web", 1)


def test_updating_a_large_record_replaces_its_parts(store, sim_kube, sim_namespace):
    """Each status change of a large record would leave a full copy of old parts behind."""
    store.create(large(sim_namespace, 1, status="pending-install"))
    before = secrets(sim_kube, sim_namespace, "owner=deploykit-part")
    store.update_status("web", 1, "deployed", description="Install complete")
    after = secrets(sim_kube, sim_namespace, "owner=deploykit-part")
    assert len(after) == len(before) and not set(after) & set(before)
    assert store.get("web", 1).status == Status.DEPLOYED


def test_deleting_a_large_record_deletes_its_parts(store, sim_kube, sim_namespace):
    """Deleted revisions would leave megabytes of part Secrets in the namespace."""
    store.create(large(sim_namespace, 1))
    assert store.delete("web", 1) is True
    assert secrets(sim_kube, sim_namespace) == []


def test_a_refused_duplicate_large_record_leaves_no_parts_behind(store, sim_kube, sim_namespace):
    """A run that lost the race for a revision would leave its parts in the namespace forever."""
    store.create(record(sim_namespace, 1))
    with pytest.raises(errors.RecordExistsError):
        store.create(large(sim_namespace, 1))
    assert secrets(sim_kube, sim_namespace) == [storage.head_name("web", 1)]


def test_a_secret_merely_labelled_owner_deploykit_is_not_a_record(store, sim_kube, sim_namespace):
    """An unrelated Secret carrying the label owner=deploykit would break `history` and `list`."""
    sim_kube.create({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                     "metadata": {"name": "team-token", "namespace": sim_namespace,
                                  "labels": {"owner": "deploykit", "name": "web"}}, "data": {}})
    store.create(record(sim_namespace, 1))
    assert [s.revision for s in store.history("web")] == [1]
    assert [s.name for s in store.list_releases()] == ["web"]


def test_a_large_record_whose_head_is_refused_leaves_no_parts_behind(store, sim_kube, sim_namespace):
    """A failed write would leave megabytes of parts behind (here the head's annotations exceed 256 KiB)."""
    chart = records.ChartIdentity("web", "1.2.0", app_version="v" * 300 * 1024)
    with pytest.raises(errors.KubeError, match="Too long"):
        store.create(large(sim_namespace, 1, chart=chart))
    assert secrets(sim_kube, sim_namespace) == []
