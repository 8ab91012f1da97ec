"""Request handling over HTTP: validation errors, dryRun, fieldValidation, subresources, negotiation, discovery."""

from __future__ import annotations

import ipaddress


def deploy(name: str, labels: dict | None = None, selector: dict | None = None) -> dict:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": selector or labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": "reg/app:1"}]}}},
    }


def deploys(ns: str, name: str = "") -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments" + (f"/{name}" if name else "")


def test_invalid_name_is_422_with_the_dns_rule(sim_http, sim_namespace):
    """An upper-case name is refused with the RFC 1123 subdomain explanation."""
    code, body, _ = sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/configmaps", {"metadata": {"name": "Bad_Name"}})
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
                                      "a lowercase RFC 1123 subdomain must consist of")
    assert body["details"]["causes"][0]["field"] == "metadata.name"


def test_selector_must_match_template_labels(sim_http, sim_namespace):
    """A Deployment whose selector does not match its template labels is refused with 422."""
    code, body, _ = sim_http("POST", deploys(sim_namespace), deploy("mismatch", {"app": "a"}, {"app": "b"}))
    assert code == 422
    assert "spec.template.metadata.labels: Invalid value" in body["message"]
    assert "`selector` does not match template `labels`" in body["message"]


def test_deployment_selector_is_immutable(sim_http, sim_namespace):
    """Changing a Deployment's selector gives 422 `field is immutable`."""
    assert sim_http("POST", deploys(sim_namespace), deploy("imm"))[0] == 201
    changed = deploy("imm", {"app": "imm", "v": "2"}, {"app": "imm", "v": "2"})
    code, body, _ = sim_http("PUT", deploys(sim_namespace, "imm"), changed)
    assert code == 422 and "spec.selector: Invalid value" in body["message"] and "field is immutable" in body["message"]


def test_service_gets_cluster_ip_that_cannot_change(sim_http, sim_namespace):
    """A Service gets a clusterIP from 10.96.0.0/12, and changing it later is refused."""
    path = f"/api/v1/namespaces/{sim_namespace}/services"
    code, svc, _ = sim_http("POST", path, {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    assert code == 201
    assert ipaddress.ip_address(svc["spec"]["clusterIP"]) in ipaddress.ip_network("10.96.0.0/12")
    code, body, _ = sim_http("PATCH", f"{path}/svc", {"spec": {"clusterIP": "10.96.0.99", "clusterIPs": None}},
                             content_type="application/merge-patch+json")
    assert code == 422 and "spec.clusterIP" in body["message"] and "field is immutable" in body["message"]


def test_immutable_configmap_refuses_data_changes(sim_http, sim_namespace):
    """A ConfigMap with immutable: true refuses data changes with 422."""
    path = f"/api/v1/namespaces/{sim_namespace}/configmaps"
    sim_http("POST", path, {"metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": True})
    code, body, _ = sim_http("PATCH", f"{path}/frozen", {"data": {"a": "2"}},
                             content_type="application/merge-patch+json")
    assert code == 422 and "data: Forbidden: field is immutable when `immutable` is set" in body["message"]


def test_job_template_is_immutable(sim_http, sim_namespace):
    """A Job's pod template cannot change after creation."""
    path = f"/apis/batch/v1/namespaces/{sim_namespace}/jobs"
    job = {"metadata": {"name": "once"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
    code, created, _ = sim_http("POST", path, job)
    assert code == 201
    assert created["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] == created["metadata"]["uid"]
    code, body, _ = sim_http("PATCH", f"{path}/once",
                             {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "alpine"}]}}}},
                             content_type="application/strategic-merge-patch+json")
    assert code == 422 and "spec.template" in body["message"] and "field is immutable" in body["message"]


def test_dry_run_create_persists_nothing(sim_http, sim_namespace):
    """dryRun=All on POST returns 201 with the would-be object and stores nothing."""
    code, body, _ = sim_http("POST", deploys(sim_namespace) + "?dryRun=All", deploy("dry"))
    assert code == 201 and body["spec"]["strategy"]["type"] == "RollingUpdate"
    assert sim_http("GET", deploys(sim_namespace, "dry"))[0] == 404


def test_unknown_dry_run_value_is_422(sim_http, sim_namespace):
    """dryRun=Foo is refused with 422 Unsupported value."""
    code, body, _ = sim_http("POST", deploys(sim_namespace) + "?dryRun=Foo", deploy("dry2"))
    assert code == 422 and 'dryRun: Unsupported value: "Foo"' in body["message"]


def test_strict_field_validation_rejects_unknown_fields(sim_http, sim_namespace):
    """fieldValidation=Strict refuses a POST with an unknown field, naming its path."""
    body = deploy("strict")
    body["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    code, answer, _ = sim_http("POST", deploys(sim_namespace) + "?fieldValidation=Strict", body)
    assert code == 400
    assert answer["message"] == 'strict decoding error: unknown field "spec.template.spec.containers[0].imagePolicy"'


def test_warn_field_validation_drops_field_with_warning(sim_http, sim_namespace):
    """fieldValidation=Warn stores the object without the unknown field and says so in a Warning header."""
    body = deploy("warned")
    body["spec"]["bogus"] = 1
    code, answer, headers = sim_http("POST", deploys(sim_namespace) + "?fieldValidation=Warn", body)
    assert code == 201 and "bogus" not in answer["spec"]
    assert headers["Warning"] == '299 - "unknown field \\"spec.bogus\\""'


def test_status_subresource_changes_only_status(sim_http, sim_namespace):
    """A PUT to /status changes status, not spec; a main-resource update cannot change status."""
    path = f"/api/v1/namespaces/{sim_namespace}/resourcequotas"
    code, created, _ = sim_http("POST", path, {"metadata": {"name": "q"}, "spec": {"hard": {"pods": "2"}}})
    assert code == 201
    changed = dict(created, spec={"hard": {"pods": "9"}}, status={"used": {"pods": "1"}})
    code, body, _ = sim_http("PUT", f"{path}/q/status", changed)
    assert code == 200 and body["status"] == {"used": {"pods": "1"}} and body["spec"] == {"hard": {"pods": "2"}}
    code, body, _ = sim_http("PATCH", f"{path}/q", {"status": {"used": {"pods": "0"}}},
                             content_type="application/merge-patch+json")
    assert code == 200 and body["status"] == {"used": {"pods": "1"}}


def test_scale_subresource_reads_and_writes_replicas(sim_http, sim_namespace):
    """GET /scale returns an autoscaling/v1 Scale; a merge patch to it sets spec.replicas."""
    sim_http("POST", deploys(sim_namespace), deploy("sc"))
    code, scale, _ = sim_http("GET", deploys(sim_namespace, "sc") + "/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "app=sc"
    code, scale, _ = sim_http("PATCH", deploys(sim_namespace, "sc") + "/scale", {"spec": {"replicas": 4}},
                              content_type="application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 4
    assert sim_http("GET", deploys(sim_namespace, "sc"))[1]["spec"]["replicas"] == 4


def test_unknown_patch_content_type_is_415(sim_http, sim_namespace):
    """A PATCH with an unsupported Content-Type is refused with 415 UnsupportedMediaType."""
    sim_http("POST", deploys(sim_namespace), deploy("ct"))
    code, body, _ = sim_http("PATCH", deploys(sim_namespace, "ct"), {"spec": {}}, content_type="text/plain")
    assert code == 415 and body["reason"] == "UnsupportedMediaType"


def test_post_to_a_named_object_is_405(sim_http, sim_namespace):
    """POST to an object URL is 405 MethodNotAllowed."""
    code, body, _ = sim_http("POST", deploys(sim_namespace, "x"), deploy("x"))
    assert code == 405 and body["reason"] == "MethodNotAllowed"


def test_reviews_are_created_not_listed(sim_http):
    """`kubectl get selfsubjectaccessreviews` is 405 MethodNotAllowed, as reviews are never stored."""
    code, body, _ = sim_http("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert code == 405 and body["reason"] == "MethodNotAllowed"


def test_table_answer_for_kubectl_get(sim_http, sim_namespace):
    """Asking for a meta.k8s.io Table gives kubectl's column definitions and one row per object."""
    sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/configmaps", {"metadata": {"name": "t"}, "data": {"a": "1"}})
    code, table, _ = sim_http("GET", f"/api/v1/namespaces/{sim_namespace}/configmaps",
                              headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert code == 200 and table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["t", 1]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_aggregated_discovery_when_asked(sim_http):
    """/apis answers APIGroupDiscoveryList v2 with the matching Content-Type when the client asks for it."""
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    code, body, headers = sim_http("GET", "/apis", headers={"Accept": accept})
    assert code == 200 and body["kind"] == "APIGroupDiscoveryList"
    assert headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["shortNames"] == ["deploy"] and deployments["categories"] == ["all"]
    assert {s["subresource"] for s in deployments["subresources"]} == {"status", "scale"}


def test_legacy_discovery_lists_subresources(sim_http):
    """/apis/apps/v1 lists deployments/status and deployments/scale (Scale from autoscaling/v1)."""
    _, body, _ = sim_http("GET", "/apis/apps/v1")
    names = {r["name"]: r for r in body["resources"]}
    assert names["deployments/scale"]["group"] == "autoscaling" and names["deployments/scale"]["kind"] == "Scale"
    assert "deployments/status" in names


def test_openapi_v3_patch_operation_lists_field_validation(sim_http):
    """The apps/v1 OpenAPI v3 document has a patch operation for Deployments that accepts fieldValidation."""
    _, index, _ = sim_http("GET", "/openapi/v3")
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, doc, _ = sim_http("GET", url)
    assert code == 200
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    replicas = doc["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]
    assert replicas["type"] == "integer" and replicas["nullable"] is True


def test_secret_over_one_mebibyte_is_refused_like_helm_sees_it(sim_http, sim_namespace):
    """A Secret whose data passes 1 MiB is 422 `data: Too long`, the error big Helm releases hit."""
    import base64

    big = base64.b64encode(b"x" * (1024 * 1024 + 10)).decode()
    code, body, _ = sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/secrets",
                             {"metadata": {"name": "big"}, "data": {"release": big}})
    assert code == 422
    assert body["message"] == 'Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes'


def test_request_body_over_three_mebibytes_is_413(sim_http, sim_namespace):
    """A request body above the server's 3 MiB limit is 413 RequestEntityTooLarge."""
    code, body, _ = sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/configmaps",
                             {"metadata": {"name": "huge"}, "data": {"a": "x" * (3 * 1024 * 1024)}})
    assert code == 413 and body["message"] == "Request entity too large: limit is 3145728"
