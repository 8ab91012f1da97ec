"""SSA.md acceptance scenarios S1-S12, sent as raw HTTP to the simulator over loopback.

Each test plays one scenario (or one step of it) the way kubectl, the Python
client or a controller would, and asserts what a user of a real API server
sees: status codes, Status bodies, objects and managedFields.
"""

from __future__ import annotations

import copy
import http.client
import json
import urllib.parse
from typing import Any

import pytest

from deploykit.sim import fieldpaths
from tests.unit.sim.ssa_manifests import DROPPED, M0, S1_FIELDS, S2_CONFLICT, assert_dropped, edited

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
KUBECTL_UA = "kubectl/v1.37.0 (linux/amd64) kubernetes/0000000"
PYTHON_UA = "OpenAPI-Generator/35.0.0/python"


class Api:
    """A bare HTTP client: what goes over the wire is exactly what the test says."""

    def __init__(self, url: str, namespace: str) -> None:
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.ns = namespace

    def call(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
             user_agent: str = "ssa-scenarios/1.0", **query: str) -> tuple[int, dict]:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            headers = {"Content-Type": content_type, "Accept": "application/json", "User-Agent": user_agent}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, json.loads(raw) if raw else {}

    def deployment(self, name: str = "web") -> str:
        return f"/apis/apps/v1/namespaces/{self.ns}/deployments/{name}"

    def configmap(self, name: str = "cfg") -> str:
        return f"/api/v1/namespaces/{self.ns}/configmaps/{name}"

    def apply(self, path: str, body: Any, manager: str, **query: str) -> tuple[int, dict]:
        return self.call("PATCH", path, body, content_type=APPLY, fieldManager=manager, **query)

    def get(self, path: str) -> dict:
        status, obj = self.call("GET", path)
        assert status == 200, obj
        return obj


def manifest(ns: str, **changes: Any) -> dict:
    """M0 of SSA.md in namespace `ns`, with `a__b__0__c=value` changes (None deletes)."""
    return edited(M0, metadata__namespace=ns, **changes)


def managers(obj: dict) -> list[tuple]:
    return [(e["manager"], e["operation"], e.get("subresource")) for e in obj["metadata"].get("managedFields", [])]


def entry(obj: dict, manager: str, operation: str = "Apply") -> dict:
    return next(e for e in obj["metadata"]["managedFields"] if e["manager"] == manager and e["operation"] == operation)


def owned(obj: dict, manager: str, operation: str = "Apply") -> set[str]:
    return {fieldpaths.path_string(p) for p in fieldpaths.decode(entry(obj, manager, operation)["fieldsV1"])}


def containers(obj: dict) -> list[tuple[str, str]]:
    return [(c["name"], c["image"]) for c in obj["spec"]["template"]["spec"]["containers"]]


@pytest.fixture
def api(sim, sim_namespace) -> Api:
    return Api(sim.url, sim_namespace)


@pytest.fixture
def web(api) -> dict:
    """S1 steps 1-2: the deployer has created `web` by apply."""
    status, obj = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 201, obj
    return obj


# --- S1 ------------------------------------------------------------------------------------------


def test_s1_apply_creates_the_object_with_server_metadata_and_defaults(api):
    """S1: 404 before, 201 after, with uid, resourceVersion, generation 1 and the real defaults."""
    assert api.call("GET", api.deployment())[0] == 404
    status, obj = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 201
    meta, spec = obj["metadata"], obj["spec"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"] and meta["generation"] == 1
    assert spec["replicas"] == 3
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["terminationGracePeriodSeconds"], pod["dnsPolicy"], pod["schedulerName"]) == (
        "Always", 30, "ClusterFirst", "default-scheduler")
    app = pod["containers"][0]
    assert (app["terminationMessagePath"], app["terminationMessagePolicy"], app["imagePullPolicy"]) == (
        "/dev/termination-log", "File", "IfNotPresent")
    assert app["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]


def test_s1_the_appliers_entry_is_exactly_the_applied_fields(web):
    """S1: one Apply entry whose fieldsV1 is the documented trie (no defaults, no name, no protocol)."""
    (only,) = web["metadata"]["managedFields"]
    assert (only["manager"], only["operation"], only["apiVersion"], only["fieldsType"]) == (
        "deployer", "Apply", "apps/v1", "FieldsV1")
    assert only["time"]
    assert only["fieldsV1"] == S1_FIELDS


def test_s1_reapplying_the_same_manifest_writes_nothing(api, web):
    """S1 step 4: 200, same resourceVersion, same entry time."""
    status, again = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 200
    assert again["metadata"]["resourceVersion"] == web["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == web["metadata"]["managedFields"]


def test_s1_a_yaml_body_applies_like_json(api):
    """An apply body in YAML (not JSON) is accepted, as kubectl and client-go may send either."""
    body = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-cm\n  namespace: {api.ns}\n"
            "data:\n  key: value\n")
    status, obj = api.apply(api.configmap("yaml-cm"), body, "deployer")
    assert status == 201 and obj["data"] == {"key": "value"}


# --- S2 ------------------------------------------------------------------------------------------


def scale_to_zero(api: Api) -> tuple[int, dict]:
    return api.call("PATCH", api.deployment() + "/scale", {"spec": {"replicas": 0}}, content_type=MERGE,
                    user_agent=KUBECTL_UA)


def test_s2_kubectl_scale_takes_replicas_with_a_scale_entry(api, web):
    """S2 step 2: the Scale answer, generation 2, and (kubectl, Update, scale) owning replicas."""
    status, scale = scale_to_zero(api)
    assert status == 200 and (scale["kind"], scale["apiVersion"], scale["spec"]["replicas"]) == ("Scale", "autoscaling/v1", 0)
    obj = api.get(api.deployment())
    assert obj["spec"]["replicas"] == 0 and obj["metadata"]["generation"] == 2
    assert managers(obj) == [("deployer", "Apply", None), ("kubectl", "Update", "scale")]
    assert entry(obj, "kubectl", "Update")["apiVersion"] == "apps/v1"
    assert entry(obj, "kubectl", "Update")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert ".spec.replicas" not in owned(obj, "deployer")


def test_s2_reapply_after_scale_is_the_documented_409_and_changes_nothing(api, web):
    """S2 step 3: exactly the documented Status body; replicas and resourceVersion unchanged."""
    scale_to_zero(api)
    before = api.get(api.deployment())
    status, body = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 409
    assert body == S2_CONFLICT
    after = api.get(api.deployment())
    assert after["spec"]["replicas"] == 0
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_s2_forced_reapply_wins_and_drops_the_emptied_manager(api, web):
    """S2 step 4: force=true gives replicas 3, generation 3 and only the deployer's entry."""
    scale_to_zero(api)
    status, obj = api.apply(api.deployment(), manifest(api.ns), "deployer", force="true")
    assert status == 200
    assert obj["spec"]["replicas"] == 3 and obj["metadata"]["generation"] == 3
    assert managers(obj) == [("deployer", "Apply", None)]
    assert ".spec.replicas" in owned(obj, "deployer")


def test_s2_reapply_without_replicas_leaves_the_scaled_value(api, web):
    """S2 step 5: without replicas in the manifest the apply succeeds and kubectl keeps replicas."""
    scale_to_zero(api)
    status, obj = api.apply(api.deployment(), manifest(api.ns, spec__replicas=None), "deployer")
    assert status == 200 and obj["spec"]["replicas"] == 0
    assert owned(obj, "kubectl", "Update") == {".spec.replicas"}


# --- S3 ------------------------------------------------------------------------------------------

SIDECAR = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "proxy:1"}]}}}}


def test_s3_an_injected_sidecar_survives_the_deployers_image_bump(api, web):
    """S3: the injector owns its sidecar; the deployer's bump keeps it, in order, with no conflict."""
    status, obj = api.apply(api.deployment(), SIDECAR, "injector")
    assert status == 200 and containers(obj) == [("app", "reg/app:1.0"), ("sidecar", "proxy:1")]
    assert entry(obj, "injector")["fieldsV1"] == {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"sidecar"}': {".": {}, "f:image": {}, "f:name": {}}}}}}}
    injector_before = entry(obj, "injector")
    status, obj = api.apply(api.deployment(), manifest(api.ns, spec__template__spec__containers__0__image="reg/app:2.0"),
                            "deployer")
    assert status == 200
    assert containers(obj) == [("app", "reg/app:2.0"), ("sidecar", "proxy:1")]
    assert entry(obj, "injector") == injector_before
    assert entry(obj, "deployer")["fieldsV1"] == S1_FIELDS


@pytest.mark.parametrize("injector_kind", ["Apply", "Update"])
def test_s3_changing_the_injected_sidecar_conflicts(api, web, injector_kind):
    """S3 step 4: the deployer may not change the sidecar's image; the message names the injector."""
    if injector_kind == "Apply":
        api.apply(api.deployment(), SIDECAR, "injector")
    else:
        status, _ = api.call("PATCH", api.deployment(), {"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "proxy:1"}]}}}}, content_type=STRATEGIC, fieldManager="injector")
        assert status == 200
    both = manifest(api.ns)
    both["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "proxy:2"})
    status, body = api.apply(api.deployment(), both, "deployer")
    assert status == 409
    label = '"injector"' if injector_kind == "Apply" else '"injector" using apps/v1'
    assert body["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": f"conflict with {label}",
                                          "field": '.spec.template.spec.containers[name="sidecar"].image'}]


# --- S4 ------------------------------------------------------------------------------------------


def test_s4_fields_the_deployer_stops_applying_are_deleted(api, web):
    """S4 step 2: the label, the env var and replicas go; replicas returns to its default 1."""
    status, obj = api.apply(api.deployment(), edited(DROPPED, metadata__namespace=api.ns), "deployer")
    assert status == 200
    assert_dropped(obj, owned(obj, "deployer"))


@pytest.mark.parametrize("co_owner", ["Apply", "Update"])
def test_s4_a_shared_label_stays_with_its_other_owner(api, co_owner):
    """S4 step 3: a label another manager also set stays when the deployer drops it, owned by that manager."""
    if co_owner == "Apply":
        assert api.apply(api.deployment(), manifest(api.ns), "deployer")[0] == 201
        status, obj = api.apply(api.deployment(), {"apiVersion": "apps/v1", "kind": "Deployment",
                                                   "metadata": {"name": "web", "labels": {"team": "a"}}}, "other")
        assert status == 200
    else:
        # SMD unset_scalar_shared_with_updater: the updater created the object, the deployer applies the same values.
        status, _ = api.call("POST", f"/apis/apps/v1/namespaces/{api.ns}/deployments", manifest(api.ns),
                             fieldManager="other")
        assert status == 201
        status, obj = api.apply(api.deployment(), manifest(api.ns), "deployer")
        assert status == 200
    assert ".metadata.labels.team" in owned(obj, "deployer") and ".metadata.labels.team" in owned(obj, "other", co_owner)
    status, obj = api.apply(api.deployment(), manifest(api.ns, metadata__labels={"app": "web"}), "deployer")
    assert status == 200
    assert obj["metadata"]["labels"]["team"] == "a"
    assert ".metadata.labels.team" in owned(obj, "other", co_owner)
    assert ".metadata.labels.team" not in owned(obj, "deployer")


# --- S5 ------------------------------------------------------------------------------------------

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"key": "v1"}}


def test_s5_two_appliers_of_the_same_value_share_ownership(api):
    """S5 steps 1-2: no conflict, both own data.key, and the rewrite bumps the resourceVersion."""
    status, first = api.apply(api.configmap(), CM, "deployer")
    assert status == 201
    status, second = api.apply(api.configmap(), CM, "gitops")
    assert status == 200 and second["data"] == {"key": "v1"}
    assert sorted(managers(second)) == [("deployer", "Apply", None), ("gitops", "Apply", None)]
    for manager in ("deployer", "gitops"):
        assert entry(second, manager)["fieldsV1"] == {"f:data": {"f:key": {}}}
    assert second["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]


def test_s5_a_different_value_conflicts_until_forced(api):
    """S5 steps 3-4: 409 naming the deployer without `using`; with force gitops alone owns the key."""
    api.apply(api.configmap(), CM, "deployer")
    api.apply(api.configmap(), CM, "gitops")
    changed = {**CM, "data": {"key": "v2"}}
    status, body = api.apply(api.configmap(), changed, "gitops")
    assert status == 409
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "deployer": .data.key'
    status, obj = api.apply(api.configmap(), changed, "gitops", force="true")
    assert status == 200 and obj["data"] == {"key": "v2"}
    assert managers(obj) == [("gitops", "Apply", None)]


# --- S6 ------------------------------------------------------------------------------------------


def test_s6_dry_run_shows_the_result_and_persists_nothing(api, web):
    """S6 steps 2-3: the dry-run answer has the new image; the stored object is as before."""
    bumped = manifest(api.ns, spec__template__spec__containers__0__image="reg/app:2.0")
    status, preview = api.apply(api.deployment(), bumped, "deployer", dryRun="All")
    assert status == 200 and containers(preview) == [("app", "reg/app:2.0")]
    assert entry(preview, "deployer")["fieldsV1"] == S1_FIELDS
    stored = api.get(api.deployment())
    assert containers(stored) == [("app", "reg/app:1.0")]
    assert stored["metadata"]["resourceVersion"] == web["metadata"]["resourceVersion"]
    assert stored["metadata"]["managedFields"] == web["metadata"]["managedFields"]


def test_s6_dry_run_create_answers_201_and_creates_nothing(api):
    """S6 step 4: a dry-run apply of a missing object says 201 and a later GET is 404."""
    status, preview = api.apply(api.deployment("web2"), manifest(api.ns, metadata__name="web2"), "deployer", dryRun="All")
    assert status == 201 and preview["metadata"]["name"] == "web2"
    assert api.call("GET", api.deployment("web2"))[0] == 404


def test_s6_dry_run_still_reports_conflicts(api, web):
    """S6 step 5: after a scale, a dry-run re-apply is a 409 like the real one."""
    scale_to_zero(api)
    status, body = api.apply(api.deployment(), manifest(api.ns), "deployer", dryRun="All")
    assert status == 409 and body["reason"] == "Conflict"


def test_s6_unknown_dry_run_value_is_invalid(api, web):
    """S6 step 6: dryRun=Foo is a 422."""
    status, body = api.apply(api.deployment(), manifest(api.ns), "deployer", dryRun="Foo")
    assert status == 422 and body["reason"] == "Invalid"


# --- S7 ------------------------------------------------------------------------------------------


def test_s7_several_conflicts_have_the_grouped_message_and_one_cause_each(api):
    """S7: two managers, two conflicts: the exact multi-line message; nothing written."""
    labelled = {**CM, "metadata": {"name": "cfg", "labels": {"team": "a"}}}
    assert api.apply(api.configmap(), labelled, "deployer")[0] == 201
    status, _ = api.call("PATCH", api.configmap(), {"metadata": {"labels": {"team": "b"}}}, content_type=MERGE,
                         fieldManager="ops")
    assert status == 200
    before = api.get(api.configmap())
    status, body = api.apply(api.configmap(), {**CM, "metadata": {"name": "cfg", "labels": {"team": "c"}},
                                               "data": {"key": "v3"}}, "gitops")
    assert status == 409
    assert body["message"] == ('Apply failed with 2 conflicts: conflicts with "deployer":\n- .data.key\n'
                               'conflicts with "ops" using v1:\n- .metadata.labels.team')
    assert sorted(body["details"]["causes"], key=lambda c: c["field"]) == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "deployer"', "field": ".data.key"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "ops" using v1', "field": ".metadata.labels.team"},
    ]
    assert set(body["details"]) == {"causes"}
    assert api.get(api.configmap()) == before


# --- S8 ------------------------------------------------------------------------------------------


def post(api: Api, **query: str) -> dict:
    status, obj = api.call("POST", f"/apis/apps/v1/namespaces/{api.ns}/deployments", manifest(api.ns),
                           user_agent=PYTHON_UA, **query)
    assert status == 201, obj
    return obj


def test_s8_a_post_creator_owns_every_field_including_defaults(api):
    """S8 step 1: (OpenAPI-Generator, Update) owns defaulted fields and `.` of maps it created."""
    obj = post(api)
    assert managers(obj) == [("OpenAPI-Generator", "Update", None)]
    fields = owned(obj, "OpenAPI-Generator", "Update")
    assert {'.spec.template.spec.containers[name="app"].imagePullPolicy', ".spec.template.spec.dnsPolicy",
            ".spec.strategy.type", ".metadata.labels", ".metadata.labels.app"} <= fields
    assert entry(obj, "OpenAPI-Generator", "Update")["fieldsV1"]["f:metadata"]["f:labels"]["."] == {}


def test_s8_an_applier_shares_then_conflicts_with_the_creator(api):
    """S8 steps 2-3: the same values are shared; a new image conflicts with the creator."""
    post(api)
    status, obj = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 200 and ".spec.replicas" in owned(obj, "deployer")
    status, body = api.apply(api.deployment(), manifest(api.ns, spec__template__spec__containers__0__image="reg/app:2.0"),
                             "deployer")
    assert status == 409
    assert body["message"] == ('Apply failed with 1 conflict: conflict with "OpenAPI-Generator" using apps/v1: '
                               '.spec.template.spec.containers[name="app"].image')


def test_s8_an_update_and_an_apply_of_the_same_name_conflict(api):
    """S8 step 4: a POST with fieldManager=deployer conflicts with the deployer's later apply."""
    post(api, fieldManager="deployer")
    status, body = api.apply(api.deployment(), manifest(api.ns, spec__template__spec__containers__0__image="reg/app:2.0"),
                             "deployer")
    assert status == 409
    assert body["details"]["causes"][0]["message"] == 'conflict with "deployer" using apps/v1'


# --- S9 ------------------------------------------------------------------------------------------


def test_s9_an_updater_takes_fields_silently(api):
    """S9: two merge patches by `updater`: no conflict, and the documented two entries."""
    path = api.configmap("test-cm")
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "test-cm", "namespace": api.ns, "labels": {"test-label": "test"}},
            "data": {"key": "value"}}
    assert api.apply(path, body, "apply_test")[0] == 201
    assert api.call("PATCH", path, {"data": {"new-key": "value"}}, content_type=MERGE, fieldManager="updater")[0] == 200
    status, obj = api.call("PATCH", path, {"data": {"key": "new value"}}, content_type=MERGE, fieldManager="updater")
    assert status == 200
    assert [(e["manager"], e["operation"], e["apiVersion"], e["fieldsV1"]) for e in obj["metadata"]["managedFields"]] == [
        ("apply_test", "Apply", "v1", {"f:metadata": {"f:labels": {"f:test-label": {}}}}),
        ("updater", "Update", "v1", {"f:data": {"f:key": {}, "f:new-key": {}}}),
    ]


def test_s9_a_put_that_changes_nothing_keeps_the_resource_version(api):
    """S9 step 4: an identical PUT creates no entry and leaves the resourceVersion."""
    path = api.configmap("test-cm")
    status, obj = api.apply(path, {**CM, "metadata": {"name": "test-cm"}}, "apply_test")
    assert status == 201
    status, again = api.call("PUT", path, obj, fieldManager="someone")
    assert status == 200
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    assert managers(again) == [("apply_test", "Apply", None)]


# --- S10 -----------------------------------------------------------------------------------------


def test_s10_apply_without_field_manager_is_invalid(api):
    """S10: no fieldManager on an apply is the documented 422 with its cause."""
    status, body = api.call("PATCH", api.deployment(), manifest(api.ns), content_type=APPLY)
    assert status == 422
    assert body["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                               "is required for apply patch")
    assert body["details"]["causes"] == [{"reason": "FieldValueRequired",
                                          "message": "Required value: is required for apply patch",
                                          "field": "fieldManager"}]


@pytest.mark.parametrize("force", ["true", "false"])
def test_s10_force_on_a_merge_patch_is_forbidden(api, web, force):
    """S10: force on a non-apply patch is a 422, whatever its value."""
    status, body = api.call("PATCH", api.deployment(), {"metadata": {"labels": {"x": "y"}}}, content_type=MERGE,
                            force=force)
    assert status == 422
    assert "force: Forbidden: may not be specified for non-apply patch" in body["message"]


def test_s10_apply_of_another_version_is_a_bad_request(api, web):
    """S10: an extensions/v1beta1 body at the apps/v1 URL is a 400 naming the body's kind."""
    status, body = api.apply(api.deployment(), {**manifest(api.ns), "apiVersion": "extensions/v1beta1"}, "deployer")
    assert status == 400 and body["message"] == "invalid object type: extensions/v1beta1, Kind=Deployment"


def test_s10_managed_fields_in_an_apply_body_are_refused(api, web):
    """S10: metadata.managedFields in the body is a 400."""
    body = manifest(api.ns)
    body["metadata"]["managedFields"] = web["metadata"]["managedFields"]
    status, answer = api.apply(api.deployment(), body, "deployer")
    assert status == 400 and answer["message"] == "metadata.managedFields must be nil"


def test_s10_apply_with_a_uid_never_creates(api):
    """S10: creating by apply with metadata.uid is a 409 and nothing is created."""
    status, body = api.apply(api.deployment(), manifest(api.ns, metadata__uid="88e00824-7f0e-11e8-94a1-c8d3ffb15800"),
                             "deployer")
    assert status == 409 and body["reason"] == "Conflict"
    assert api.call("GET", api.deployment())[0] == 404


def test_s10_unknown_patch_content_type_is_unsupported(api, web):
    """S10: a PATCH with an unknown Content-Type is a 415."""
    status, body = api.call("PATCH", api.deployment(), {"spec": {}}, content_type="application/x-unknown")
    assert status == 415 and body["reason"] == "UnsupportedMediaType"


# --- S11 -----------------------------------------------------------------------------------------


def test_s11_a_stale_resource_version_in_an_apply_is_a_conflict(api, web):
    """S11 steps 2-3: a stale resourceVersion is the documented 409; the current one applies."""
    api.apply(api.deployment(), manifest(api.ns, spec__replicas=4), "deployer")
    stale = manifest(api.ns)
    stale["metadata"]["resourceVersion"] = web["metadata"]["resourceVersion"]
    status, body = api.apply(api.deployment(), stale, "deployer")
    assert status == 409
    assert body["message"] == ('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
                               "please apply your changes to the latest version and try again")
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    current = manifest(api.ns)
    current["metadata"]["resourceVersion"] = api.get(api.deployment())["metadata"]["resourceVersion"]
    assert api.apply(api.deployment(), current, "deployer")[0] == 200


def test_s11_repeating_an_apply_returns_the_same_object(api, web):
    """S11 step 1: a repeated apply answers exactly the previous response."""
    assert api.apply(api.deployment(), manifest(api.ns), "deployer") == (200, web)


# --- S12 -----------------------------------------------------------------------------------------


def test_s12_status_in_a_main_resource_apply_is_ignored(api):
    """S12 step 1: status in the manifest is neither stored nor owned."""
    status, obj = api.apply(api.deployment(), {**manifest(api.ns), "status": {"replicas": 99}}, "deployer")
    assert status == 201
    assert obj.get("status", {}).get("replicas") != 99
    assert api.get(api.deployment()).get("status", {}).get("replicas") != 99
    assert "f:status" not in entry(obj, "deployer")["fieldsV1"]


def test_s12_status_apply_owns_status_and_main_apply_does_not_conflict(api, web):
    """S12 steps 2-3: (ctrl, Apply, status) owns status.replicas; re-applying M0 has no conflict."""
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 7}, "status": {"replicas": 2}}
    status, obj = api.apply(api.deployment() + "/status", body, "ctrl")
    assert status == 200
    assert obj["status"]["replicas"] == 2 and obj["spec"]["replicas"] == 3
    ctrl = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "ctrl")
    assert (ctrl["operation"], ctrl.get("subresource"), ctrl["fieldsV1"]) == ("Apply", "status", {"f:status": {"f:replicas": {}}})
    status, again = api.apply(api.deployment(), manifest(api.ns), "deployer")
    assert status == 200 and again["status"]["replicas"] == 2

