"""Server-side apply and managedFields bookkeeping on built-in kinds, at the function level."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploykit.sim import fieldpaths, managing, statuses, typeinfo
from tests.unit.sim.ssa_manifests import DROPPED, M0, S1_FIELDS, S2_CONFLICT, assert_dropped, edited

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z", "2024-05-01T10:00:02Z"
SCHEMAS = typeinfo.Schemas.builtin()

def m0(**changes) -> dict:
    return edited(M0, **changes)


def stored(obj: dict, rv: str = "1") -> dict:
    """What the store keeps: the result plus the system metadata it sets."""
    out = copy.deepcopy(obj)
    out["metadata"].setdefault("uid", "uid-1")
    out["metadata"]["resourceVersion"] = rv
    out["metadata"].setdefault("creationTimestamp", T0)
    out["metadata"].setdefault("generation", 1)
    return out


def apply(live, config, manager="deployer", *, force=False, now=T1, subresource=None):
    return managing.apply(live, config, manager=manager, force=force, subresource=subresource,
                          has_status_subresource=True, now=now, schemas=SCHEMAS)


def update(live, new, manager, *, now=T1, subresource=None):
    return managing.update(live, new, manager=manager, subresource=subresource, has_status_subresource=True,
                           now=now, schemas=SCHEMAS)


def entries(obj: dict) -> list[tuple]:
    return [(e["manager"], e["operation"], e.get("subresource")) for e in obj["metadata"].get("managedFields", [])]


def fields_of(obj: dict, manager: str, operation: str = "Apply") -> set[str]:
    for entry in obj["metadata"]["managedFields"]:
        if entry["manager"] == manager and entry["operation"] == operation:
            return {fieldpaths.path_string(p) for p in fieldpaths.decode(entry["fieldsV1"])}
    raise AssertionError(f"no entry for {manager} {operation}: {entries(obj)}")


def container(obj: dict, name: str = "app") -> dict:
    return next(c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == name)


@pytest.fixture
def created() -> dict:
    return stored(apply(None, M0, now=T0))


# --- apply: creation and the Apply entry ---------------------------------------------------------


def test_first_apply_records_exactly_the_applied_fields(created):
    """The deployer's entry on a new Deployment is the S1 trie: no defaults, no protocol, no name."""
    (entry,) = created["metadata"]["managedFields"]
    assert {k: v for k, v in entry.items() if k != "fieldsV1"} == {
        "manager": "deployer", "operation": "Apply", "apiVersion": "apps/v1", "time": T0, "fieldsType": "FieldsV1"}
    assert entry["fieldsV1"] == S1_FIELDS


def test_first_apply_fills_the_defaults_of_a_real_server(created):
    """A created Deployment shows the defaults kubectl users see on a real cluster."""
    spec = created["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["dnsPolicy"], pod["schedulerName"]) == ("Always", "ClusterFirst", "default-scheduler")
    assert container(created)["imagePullPolicy"] == "IfNotPresent"
    assert container(created)["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]


def test_reapplying_the_same_manifest_changes_nothing(created):
    """A no-op apply returns the live object unchanged, time included, so the store writes nothing."""
    assert apply(created, M0, now=T2) == created


def test_apply_changes_only_what_the_manifest_changes(created):
    """An image bump changes the image and the entry's time, nothing else."""
    result = apply(created, m0(spec__template__spec__containers__0__image="reg/app:2.0"), now=T2)
    assert container(result)["image"] == "reg/app:2.0"
    (entry,) = result["metadata"]["managedFields"]
    assert entry["time"] == T2 and entry["fieldsV1"] == S1_FIELDS
    assert result["metadata"]["uid"] == created["metadata"]["uid"]
    assert result["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_inputs_are_not_mutated(created):
    """Callers can keep using the live object and the body after an apply."""
    live, config = copy.deepcopy(created), m0(spec__replicas=5)
    before_live, before_config = copy.deepcopy(live), copy.deepcopy(config)
    apply(live, config)
    assert (live, config) == (before_live, before_config)


# --- prune ------------------------------------------------------------------------------------------


def test_fields_the_manager_stops_applying_are_removed(created):
    """Dropping a label, an env var and replicas removes them; replicas falls back to its default 1."""
    result = apply(created, DROPPED)
    assert_dropped(result, fields_of(result, "deployer"))


def test_a_shared_field_survives_when_one_owner_drops_it(created):
    """A label another manager also applied stays; only the deployer's claim goes."""
    labelled = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"team": "a"}}}
    shared = stored(apply(created, labelled, "other"))
    result = apply(shared, m0(metadata__labels={"app": "web"}))
    assert result["metadata"]["labels"]["team"] == "a"
    assert ".metadata.labels.team" not in fields_of(result, "deployer")
    assert ".metadata.labels.team" in fields_of(result, "other", "Apply")


def test_a_sidecar_added_by_another_manager_is_never_pruned(created):
    """A deployer's image bump keeps the injector's sidecar, after the app container."""
    sidecar = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "proxy:1"}]}}}}
    injected = stored(apply(created, sidecar, "injector"))
    assert fields_of(injected, "injector") == {
        '.spec.template.spec.containers[name="sidecar"]', '.spec.template.spec.containers[name="sidecar"].image',
        '.spec.template.spec.containers[name="sidecar"].name'}
    result = apply(injected, m0(spec__template__spec__containers__0__image="reg/app:2.0"))
    assert [(c["name"], c["image"]) for c in result["spec"]["template"]["spec"]["containers"]] == [
        ("app", "reg/app:2.0"), ("sidecar", "proxy:1")]


# --- conflicts ----------------------------------------------------------------------------------------


def scaled(created: dict) -> dict:
    new = copy.deepcopy(created)
    new["spec"]["replicas"] = 0
    return stored(update(created, new, "kubectl", subresource="scale"), rv="2")


def test_scale_records_an_update_entry_for_the_scale_subresource(created):
    """kubectl scale leaves (kubectl, Update, scale) owning replicas and takes it from the deployer."""
    result = scaled(created)
    assert entries(result) == [("deployer", "Apply", None), ("kubectl", "Update", "scale")]
    assert fields_of(result, "kubectl", "Update") == {".spec.replicas"}
    assert ".spec.replicas" not in fields_of(result, "deployer")


def test_reapply_after_scale_conflicts_with_the_documented_body(created):
    """Re-applying replicas after a scale is a 409 naming kubectl, the subresource and the path."""
    with pytest.raises(managing.ApplyConflict) as caught:
        apply(scaled(created), M0)
    assert caught.value.status() == S2_CONFLICT


def test_force_takes_the_field_and_drops_the_emptied_manager(created):
    """With force the deployer owns replicas again and kubectl's entry disappears."""
    result = apply(scaled(created), M0, force=True)
    assert result["spec"]["replicas"] == 3
    assert entries(result) == [("deployer", "Apply", None)]
    assert ".spec.replicas" in fields_of(result, "deployer")


def test_omitting_a_field_another_manager_took_leaves_it_alone(created):
    """A manifest without replicas after a scale applies cleanly and keeps the scaled value."""
    result = apply(scaled(created), m0(spec__replicas=None))
    assert result["spec"]["replicas"] == 0
    assert fields_of(result, "kubectl", "Update") == {".spec.replicas"}


def test_several_conflicts_are_grouped_per_manager():
    """Two managers in conflict give the multi-line message of the real server."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"team": "a"}}, "data": {"key": "v1"}}
    live = stored(apply(None, cm, "deployer"))
    relabelled = copy.deepcopy(live)
    relabelled["metadata"]["labels"]["team"] = "b"
    live = stored(update(live, relabelled, "ops"))
    with pytest.raises(managing.ApplyConflict) as caught:
        apply(live, {**cm, "metadata": {"name": "cfg", "labels": {"team": "c"}}, "data": {"key": "v3"}}, "gitops")
    status = caught.value.status()
    assert status["message"] == (
        'Apply failed with 2 conflicts: conflicts with "deployer":\n- .data.key\n'
        'conflicts with "ops" using v1:\n- .metadata.labels.team')
    assert sorted(status["details"]["causes"], key=lambda c: c["field"]) == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "deployer"', "field": ".data.key"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "ops" using v1', "field": ".metadata.labels.team"},
    ]


def test_an_update_and_an_apply_of_the_same_name_are_different_managers():
    """A deployer that created by POST conflicts with its own Update entry when it applies a change."""
    created = stored(update(None, M0, "deployer"))
    with pytest.raises(managing.ApplyConflict) as caught:
        apply(created, m0(spec__template__spec__containers__0__image="reg/app:2.0"))
    assert caught.value.conflicts == [
        ('"deployer" using apps/v1', '.spec.template.spec.containers[name="app"].image')]


# --- update entries -------------------------------------------------------------------------------


def test_create_by_post_owns_every_field_including_defaults():
    """A POST creator's Update entry covers defaulted fields and `.` of the maps it created."""
    created = update(None, M0, "OpenAPI-Generator")
    (entry,) = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["time"]) == ("OpenAPI-Generator", "Update", T1)
    owned = fields_of(created, "OpenAPI-Generator", "Update")
    assert {".spec.strategy.type", ".spec.template.spec.dnsPolicy", ".metadata.labels",
            '.spec.template.spec.containers[name="app"].imagePullPolicy'} <= owned
    assert ".metadata.name" not in owned and ".spec" not in owned and ".status" not in owned
    # Structs and lists present in Go's empty Deployment are not "created", so they get no `.`.
    assert ".spec.strategy" not in owned and ".spec.template.spec.containers" not in owned


def test_an_update_takes_changed_fields_silently():
    """A merge-patch writer takes the field it changed from the applier, with no conflict."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "test-cm", "labels": {"test-label": "test"}},
          "data": {"key": "value"}}
    live = stored(apply(None, cm, "apply_test", now=T0))
    new = copy.deepcopy(live)
    new["data"]["new-key"] = "value"
    live = stored(update(live, new, "updater", now=T1))
    new = copy.deepcopy(live)
    new["data"]["key"] = "new value"
    result = update(live, new, "updater", now=T2)
    assert [(e["manager"], e["operation"], e["time"]) for e in result["metadata"]["managedFields"]] == [
        ("apply_test", "Apply", T0), ("updater", "Update", T2)]
    assert result["metadata"]["managedFields"][0]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:test-label": {}}}}
    assert result["metadata"]["managedFields"][1]["fieldsV1"] == {"f:data": {"f:key": {}, "f:new-key": {}}}


def test_a_put_that_changes_nothing_leaves_the_object_as_it_was(created):
    """An unchanged PUT creates no entry and returns the live object itself."""
    assert update(created, copy.deepcopy(created), "someone", now=T2) == created


def test_empty_managed_fields_in_an_update_reset_tracking(created):
    """`managedFields: [{}]` in a PUT clears ownership; the next apply starts with before-first-apply."""
    new = copy.deepcopy(created)
    new["metadata"]["managedFields"] = [{}]
    cleared = stored(update(created, new, "someone"))
    assert "managedFields" not in cleared["metadata"]
    reapplied = apply(cleared, M0)
    assert entries(reapplied) == [("deployer", "Apply", None), ("before-first-apply", "Update", None)]
    assert {".spec.replicas", ".spec.template.spec.dnsPolicy"} <= fields_of(reapplied, "before-first-apply", "Update")
    with pytest.raises(managing.ApplyConflict) as caught:
        apply(stored(reapplied), m0(spec__replicas=4))
    assert caught.value.conflicts == [('"before-first-apply" using apps/v1', ".spec.replicas")]


def test_empty_maps_are_stored_as_a_real_server_stores_them(created):
    """`annotations: {}` in a manifest is not stored (Go omitempty), so re-applying it is a no-op."""
    config = m0(spec__template__metadata__annotations={})
    once = stored(apply(created, config))
    assert "annotations" not in once["spec"]["template"]["metadata"]
    assert once["spec"]["template"]["spec"]["containers"][0]["resources"] == {}
    assert apply(once, config, now=T2) == once


def test_an_update_whose_fields_cannot_be_tracked_drops_managed_fields(created):
    """A PUT with a container missing its key is passed on untracked, for validation to judge, not a crash."""
    new = copy.deepcopy(created)
    new["spec"]["template"]["spec"]["containers"].append({"image": "nameless:1"})
    result = update(created, new, "someone")
    assert "managedFields" not in result["metadata"]
    assert result["spec"]["template"]["spec"]["containers"][1]["image"] == "nameless:1"


def test_update_entries_are_capped_at_ten(created):
    """The oldest of more than ten Update managers merge into ancient-changes."""
    live = created
    for n in range(12):
        new = copy.deepcopy(live)
        new["metadata"].setdefault("annotations", {})[f"k{n}"] = "v"
        live = stored(update(live, new, f"writer-{n:02d}", now=f"2024-05-01T10:01:{n:02d}Z"))
    updaters = [e for e in live["metadata"]["managedFields"] if e["operation"] == "Update"]
    assert len(updaters) == 10
    assert updaters[0]["manager"] == "ancient-changes"
    assert fields_of(live, "ancient-changes", "Update") == {
        ".metadata.annotations", ".metadata.annotations.k0", ".metadata.annotations.k1", ".metadata.annotations.k2"}


# --- reset fields --------------------------------------------------------------------------------


def test_status_in_a_main_resource_apply_is_ignored(created):
    """Applying status on the main resource neither changes it nor owns it."""
    result = apply(created, {**M0, "status": {"replicas": 99}})
    assert result == created
    assert not any(p.startswith(".status") for p in fields_of(result, "deployer"))


def test_status_subresource_apply_owns_status_and_ignores_spec(created):
    """An apply to /status records a status entry and leaves spec as it was."""
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 42}, "status": {"replicas": 2}}
    result = stored(apply(created, body, "ctrl", subresource="status"))
    assert result["status"] == {"replicas": 2} and result["spec"]["replicas"] == 3
    assert entries(result)[-1] == ("ctrl", "Apply", "status")
    assert result["metadata"]["managedFields"][-1]["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    assert apply(result, M0, now=T2) == result


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({**M0, "apiVersion": "extensions/v1beta1"}, 400, "invalid object type: extensions/v1beta1, Kind=Deployment"),
        ({**M0, "metadata": {**M0["metadata"], "managedFields": []}}, 400, "metadata.managedFields must be nil"),
        (m0(spec__bogus=1), 500,
         "failed to create typed patch object (prod/web; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema"),
        (m0(spec__template__spec__containers__0__env=[{"name": "A"}, {"name": "A"}]), 500,
         'failed to create typed patch object (prod/web; apps/v1, Kind=Deployment): '
         '.spec.template.spec.containers[name="app"].env: duplicate entries for key [name="A"]'),
        (m0(spec__replicas="three"), 500,
         "failed to create typed patch object (prod/web; apps/v1, Kind=Deployment): "
         ".spec.replicas: expected numeric (int or float), got string"),
    ],
    ids=["wrong-kind", "managed-fields", "unknown-field", "duplicate-key", "wrong-type"],
)
def test_bad_apply_bodies_are_refused_with_the_real_status(created, body, code, message):
    """A body the real server refuses is refused with its code and message, and nothing is returned."""
    with pytest.raises(statuses.ApiError) as caught:
        managing.apply(created, body, manager="deployer", force=False, subresource=None,
                       has_status_subresource=True, now=T1, schemas=SCHEMAS, api_version="apps/v1", kind="Deployment")
    assert (caught.value.code, caught.value.message) == (code, message)
    assert caught.value.status()["code"] == code


def test_applying_a_uid_to_a_missing_object_is_a_conflict():
    """Apply with a uid never creates: 409 with the precondition message."""
    body = m0(metadata__uid="88e00824-7f0e-11e8-94a1-c8d3ffb15800")
    with pytest.raises(statuses.ApiError) as caught:
        apply(None, body)
    assert caught.value.code == 409 and caught.value.reason == "Conflict"
    assert caught.value.message == (
        'Operation cannot be fulfilled on deployments.apps "web": Precondition failed: '
        "UID in precondition: 88e00824-7f0e-11e8-94a1-c8d3ffb15800, UID in object meta: ")


@pytest.mark.parametrize(
    ("field_manager", "user_agent", "expected"),
    [("deployer", "kubectl/v1.37.0", "deployer"), (None, "kubectl/v1.37.0 (linux/amd64) kubernetes/abc", "kubectl"),
     ("", "OpenAPI-Generator/35.0.0/python", "OpenAPI-Generator"), (None, None, "unknown")],
)
def test_manager_name_comes_from_field_manager_or_user_agent(field_manager, user_agent, expected):
    """Unnamed writers are known by their client's product name, as on a real server."""
    assert managing.manager_name(field_manager, user_agent) == expected


def test_entries_are_sorted_apply_first_then_by_time(created):
    """managedFields lists Apply entries first, then by time."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    live = stored(update(None, cm, "zz-creator", now=T0))
    live = stored(apply(live, {**cm, "data": {"a": "1", "b": "2"}}, "applier", now=T2))
    assert [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]] == [
        ("applier", "Apply"), ("zz-creator", "Update")]
    assert json.dumps(live["metadata"]["managedFields"][0]["fieldsV1"]) == '{"f:data": {"f:a": {}, "f:b": {}}}'


# --- kubectl: client-side apply -> server-side apply ------------------------------------------------

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def client_side_applied(config: dict) -> dict:
    """An object as `kubectl apply` (client-side) leaves it: the annotation and a kubectl-client-side-apply entry."""
    annotated = edited(config, metadata__annotations={LAST_APPLIED: json.dumps(config)})
    return stored(update(None, annotated, "kubectl-client-side-apply", now=T0))


def test_kubectl_takes_over_fields_it_applied_client_side(created):
    """`kubectl apply --server-side` after client-side applies changes them without conflicts."""
    live = client_side_applied(M0)
    result = managing.apply(live, m0(spec__replicas=5), manager="kubectl", force=False, subresource=None,
                            has_status_subresource=True, now=T1, schemas=SCHEMAS)
    assert result["spec"]["replicas"] == 5
    assert ".spec.replicas" in fields_of(result, "kubectl")
    assert ".spec.replicas" not in fields_of(result, "kubectl-client-side-apply", "Update")
    assert json.loads(result["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 5
    assert result["metadata"]["annotations"][LAST_APPLIED].endswith("}\n")


def test_fields_changed_since_the_client_side_apply_still_conflict(created):
    """A field someone changed after the client-side apply is not kubectl's to take silently."""
    live = client_side_applied(M0)
    scaled_live = copy.deepcopy(live)
    scaled_live["spec"]["replicas"] = 0
    live = stored(update(live, scaled_live, "hpa"))
    with pytest.raises(managing.ApplyConflict) as caught:
        managing.apply(live, m0(spec__replicas=5), manager="kubectl", force=False, subresource=None,
                       has_status_subresource=True, now=T1, schemas=SCHEMAS)
    assert caught.value.conflicts == [('"hpa" using apps/v1', ".spec.replicas")]


def test_other_managers_do_not_inherit_kubectls_client_side_fields(created):
    """Only the manager `kubectl` gets the migration; any other applier conflicts as usual."""
    live = client_side_applied(M0)
    with pytest.raises(managing.ApplyConflict):
        apply(live, m0(spec__replicas=5), "deployer")


_keys = st.text(alphabet="abcdef", min_size=1, max_size=3)
_configmaps = st.fixed_dictionaries({
    "apiVersion": st.just("v1"), "kind": st.just("ConfigMap"),
    "metadata": st.fixed_dictionaries({"name": st.just("c"), "labels": st.dictionaries(_keys, _keys, max_size=3)}),
    "data": st.dictionaries(_keys, _keys, max_size=4),
})


@settings(max_examples=40, deadline=None)
@given(first=_configmaps, second=_configmaps)
def test_applying_a_manifest_twice_is_always_a_no_op(first, second):
    """Whatever was applied before, applying a manifest then applying it again writes nothing."""
    live = stored(apply(None, first, now=T0))
    once = stored(apply(live, second, now=T1), rv="2")
    assert apply(once, second, now=T2) == once
    assert once.get("data", {}) == second["data"]
    assert once["metadata"].get("labels", {}) == second["metadata"]["labels"]
