"""Validation the tools depend on: names, labels, workload selectors, pod specs, immutable and unknown fields.

Owns the checks the real registry strategies run on create and update, with
their field paths and wording (`metadata.name: Invalid value: "Web": a
lowercase RFC 1123 subdomain must consist of ...`, `spec.selector: Invalid
value: ...: field is immutable`, `spec.ports[0].port: Invalid value: 70000: must
be between 1 and 65535, inclusive`, `Unsupported value` for restartPolicy,
imagePullPolicy, protocols and Service types; an unparsable quantity is the
400 a real server's decoding answers), and the unknown-field walk behind
`fieldValidation` (Strict rejects, Warn and Ignore drop). Pure: it raises
`statuses.ApiError` or returns causes, never touches the store.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from deploykit.sim import definitions, resources, selectors, statuses

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
IMMUTABLE = "field is immutable"
MAX_DATA_BYTES = 1024 * 1024  # Secret and ConfigMap payloads (corev1.MaxSecretSize)
MAX_ANNOTATION_BYTES = 256 * 1024


def too_long(field: str, limit: int) -> statuses.Cause:
    return statuses.Cause("FieldValueTooLong", field, f"Too long: may not be more than {limit} bytes")


def _payload_causes(kind: str, obj: dict[str, Any]) -> list[statuses.Cause]:
    """The 1 MiB limit that makes large Helm release Secrets fail on real clusters."""
    total = 0
    if kind == "Secret":
        for value in (obj.get("data") or {}).values():
            total += len(value or "") * 3 // 4  # base64 -> bytes, close enough for a limit
        return [too_long("data", MAX_DATA_BYTES)] if total > MAX_DATA_BYTES else []
    for key, value in (obj.get("data") or {}).items():
        total += len(key) + len((value or "").encode())
    for key, value in (obj.get("binaryData") or {}).items():
        total += len(key) + len(value or "") * 3 // 4
    return [too_long("[]", MAX_DATA_BYTES)] if total > MAX_DATA_BYTES else []


def name_causes(rt: resources.ResourceType, name: str) -> list[statuses.Cause]:
    field = "metadata.name"
    rule = rt.name_rule
    if rule == "path":
        for bad in ("/", "%"):
            if bad in name:
                return [statuses.invalid_value(field, name, f"may not contain '{bad}'")]
        if name in (".", ".."):
            return [statuses.invalid_value(field, name, f"may not be '{name}'")]
        return []
    if rule == "label1035":
        ok, msg, limit = _LABEL1035.match(name), LABEL1035_MSG, 63
    elif rule == "label":
        ok, msg, limit = _LABEL.match(name), LABEL_MSG, 63
    else:
        ok, msg, limit = _SUBDOMAIN.match(name), SUBDOMAIN_MSG, 253
    causes = []
    if len(name) > limit:
        causes.append(statuses.invalid_value(field, name, f"must be no more than {limit} characters"))
    if not ok:
        causes.append(statuses.invalid_value(field, name, msg))
    return causes


def label_causes(labels: Any, field: str) -> list[statuses.Cause]:
    causes: list[statuses.Cause] = []
    if not isinstance(labels, dict):
        return causes
    for key, value in labels.items():
        causes += key_causes(key, field)
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(statuses.invalid_value(field, value, LABEL_VALUE_MSG))
    return causes


def key_causes(key: str, field: str) -> list[statuses.Cause]:
    prefix, _, name = key.rpartition("/")
    causes = []
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        causes.append(statuses.invalid_value(field, key, "prefix part " + SUBDOMAIN_MSG))
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        causes.append(statuses.invalid_value(field, key, QUALIFIED_MSG))
    return causes


def _go_map(labels: dict[str, Any] | None) -> str:
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted((labels or {}).items()))
    return "map[string]string{" + inner + "}"


def _selector_causes(kind: str, spec: dict[str, Any], *, template_path: str = "spec.template") -> list[statuses.Cause]:
    selector = spec.get("selector")
    if selector is None:
        return [statuses.required("spec.selector")]
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return [statuses.invalid_value("spec.selector", selector, f"empty selector is invalid for {kind}")]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selectors.from_label_selector(selector).matches(labels):
        return [
            statuses.Cause(
                "FieldValueInvalid",
                f"{template_path}.metadata.labels",
                f"Invalid value: {_go_map(labels)}: `selector` does not match template `labels`",
            )
        ]
    return []


_WORKLOADS = {("apps", "Deployment"): "deployment", ("apps", "ReplicaSet"): "replicaset",
              ("apps", "StatefulSet"): "statefulset", ("apps", "DaemonSet"): "daemonset"}


def object_causes(rt: resources.ResourceType, obj: dict[str, Any]) -> list[statuses.Cause]:
    """What the create and update strategies check on any object of kind `rt`."""
    meta = obj.get("metadata") or {}
    causes = name_causes(rt, meta.get("name", ""))
    causes += label_causes(meta.get("labels"), "metadata.labels")
    annotations = meta.get("annotations") or {}
    for key in annotations:
        causes += key_causes(key, "metadata.annotations")
    if annotations and sum(len(k) + len(str(v)) for k, v in annotations.items()) > MAX_ANNOTATION_BYTES:
        causes.append(too_long("metadata.annotations", MAX_ANNOTATION_BYTES))
    spec = obj.get("spec") or {}
    workload = _WORKLOADS.get((rt.group, rt.kind))
    if workload:
        causes += _selector_causes(workload, spec)
        replicas = spec.get("replicas")
        if isinstance(replicas, int) and replicas < 0:
            causes.append(statuses.invalid_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    if rt.group == "" and rt.kind == "Pod" or (rt.group in ("apps", "batch") and rt.kind != "ControllerRevision"):
        causes += _pod_spec_causes(rt, spec)
    if rt.group == "" and rt.kind == "Service":
        causes += _service_causes(spec)
    if rt.group == "" and rt.kind in ("ConfigMap", "Secret"):
        causes += _payload_causes(rt.kind, obj)
        for field in ("data", "binaryData"):
            for key in obj.get(field) or {}:
                if not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
                    causes.append(statuses.invalid_value(
                        f"{field}[{key}]" if field == "data" else field, key,
                        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                        "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                        "'[-._a-zA-Z0-9]+')"))
    return causes


_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
# What a kind's pod template may set beyond a Pod's three restart policies (the registries' own checks).
_KIND_RESTART_POLICIES = {**dict.fromkeys(("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"), ["Always"]),
                          "Job": ["OnFailure", "Never"], "CronJob": ["OnFailure", "Never"]}
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
# A quantity as resource.ParseQuantity reads it; what fails this fails the request's decoding (400).
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")
_QUANTITY_SHAPE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def _pod_template(rt: resources.ResourceType, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The pod template of a workload kind (a Pod: itself, as {"spec": ...}) and its field path."""
    if rt.kind == "Pod":
        return {"spec": spec}, ""
    if rt.kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}, "spec.jobTemplate.spec.template"
    return spec.get("template") or {}, "spec.template"


def _pod_spec_causes(rt: resources.ResourceType, spec: dict[str, Any]) -> list[statuses.Cause]:
    template, at = _pod_template(rt, spec)
    pod, prefix = template.get("spec") or {}, f"{at}.spec" if at else "spec"
    causes = label_causes((template.get("metadata") or {}).get("labels"), f"{at}.metadata.labels") if at else []
    containers = pod.get("containers")
    if not containers:
        return causes + [statuses.required(f"{prefix}.containers")]
    seen: set[str] = set()
    for i, container in enumerate(containers):
        name = container.get("name", "")
        if not name:
            causes.append(statuses.required(f"{prefix}.containers[{i}].name"))
        elif not _LABEL.match(name):
            causes.append(statuses.invalid_value(f"{prefix}.containers[{i}].name", name, LABEL_MSG))
        elif name in seen:
            causes.append(statuses.Cause("FieldValueDuplicate", f"{prefix}.containers[{i}].name",
                                         f'Duplicate value: "{name}"'))
        seen.add(name)
        if not container.get("image") and rt.kind == "Pod":
            causes.append(statuses.required(f"{prefix}.containers[{i}].image"))
        causes += _container_causes(container, f"{prefix}.containers[{i}]")
    causes += _restart_policy_causes(rt.kind, pod.get("restartPolicy"), f"{prefix}.restartPolicy")
    return causes


def _container_causes(container: dict[str, Any], field: str) -> list[statuses.Cause]:
    """Ports and image pull policy, as validateContainers words them."""
    causes = []
    for i, port in enumerate(container.get("ports") or []):
        causes += _port_causes(port.get("containerPort"), f"{field}.ports[{i}].containerPort", required=True)
        if port.get("hostPort"):
            causes += _port_causes(port["hostPort"], f"{field}.ports[{i}].hostPort")
        causes += _one_of(port.get("protocol"), f"{field}.ports[{i}].protocol", _PROTOCOLS)
    causes += _one_of(container.get("imagePullPolicy"), f"{field}.imagePullPolicy", _PULL_POLICIES)
    return causes


def _restart_policy_causes(kind: str, policy: Any, field: str) -> list[statuses.Cause]:
    causes = _one_of(policy, field, _RESTART_POLICIES)
    allowed = _KIND_RESTART_POLICIES.get(kind)
    if allowed and policy is not None and policy not in allowed:
        causes.append(statuses.not_supported(field, policy, allowed))
    return causes


def _one_of(value: Any, field: str, supported: list[str]) -> list[statuses.Cause]:
    """Unset is not checked: defaulting (restartPolicy, imagePullPolicy, protocol) has filled it in by now."""
    return [] if value is None or value in supported else [statuses.not_supported(field, value, supported)]


def _port_causes(value: Any, field: str, *, required: bool = False) -> list[statuses.Cause]:
    if not value and required:
        return [statuses.required(field)]
    if isinstance(value, int) and not 1 <= value <= 65535:
        return [statuses.invalid_value(field, value, PORT_RANGE_MSG)]
    return []


def _service_causes(spec: dict[str, Any]) -> list[statuses.Cause]:
    """Type, port numbers and protocols of a Service (after defaulting: type, protocol and targetPort are set)."""
    causes = []
    for i, port in enumerate(spec.get("ports") or []):
        causes += _port_causes(port.get("port"), f"spec.ports[{i}].port")
        causes += _one_of(port.get("protocol"), f"spec.ports[{i}].protocol", _PROTOCOLS)
        causes += _port_causes(port.get("targetPort"), f"spec.ports[{i}].targetPort")
    if spec.get("type") is not None and spec.get("type") not in _SERVICE_TYPES:
        causes.append(statuses.not_supported("spec.type", spec.get("type"), _SERVICE_TYPES))
    return causes


def _quantity_error(rt: resources.ResourceType, obj: dict[str, Any]) -> statuses.ApiError | None:
    """The 400 a real server answers when a resource quantity does not parse (it fails decoding, before validation)."""
    if not (rt.group == "" and rt.kind == "Pod" or rt.group in ("apps", "batch")):
        return None
    pod = (_pod_template(rt, obj.get("spec") or {})[0].get("spec")) or {}
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        resources_ = container.get("resources") or {}
        for amounts in (resources_.get("limits") or {}, resources_.get("requests") or {}):
            for amount in amounts.values():
                if isinstance(amount, str) and not _QUANTITY.match(amount):
                    why = QUANTITY_MSG if not _QUANTITY_SHAPE.match(amount) else "unable to parse quantity's suffix"
                    return statuses.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {why}')
    return None


def _differs(live: dict[str, Any], new: dict[str, Any], *path: str) -> tuple[bool, Any]:
    a: Any = live
    b: Any = new
    for p in path:
        a = a.get(p) if isinstance(a, dict) else None
        b = b.get(p) if isinstance(b, dict) else None
    return a != b, b


def update_causes(rt: resources.ResourceType, live: dict[str, Any], new: dict[str, Any]) -> list[statuses.Cause]:
    """Immutable fields: what an update may not change (ValidateUpdate of the real strategies)."""
    causes: list[statuses.Cause] = []
    gk = (rt.group, rt.kind)
    if gk in (("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"), ("batch", "Job")):
        changed, value = _differs(live, new, "spec", "selector")
        if changed:
            causes.append(statuses.invalid_value("spec.selector", value, IMMUTABLE))
    if gk == ("batch", "Job"):
        changed, value = _differs(live, new, "spec", "template")
        if changed:
            causes.append(statuses.invalid_value("spec.template", value, IMMUTABLE))
    if gk == ("apps", "StatefulSet"):
        mutable = {"replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                   "minReadySeconds", "revisionHistoryLimit"}
        old_spec = {k: v for k, v in (live.get("spec") or {}).items() if k not in mutable}
        new_spec = {k: v for k, v in (new.get("spec") or {}).items() if k not in mutable}
        if old_spec != new_spec:
            causes.append(statuses.forbidden_field(
                "spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
    if gk == ("", "Service"):
        old_ip = (live.get("spec") or {}).get("clusterIP")
        changed, value = _differs(live, new, "spec", "clusterIP")
        if old_ip and changed:
            causes.append(statuses.invalid_value("spec.clusterIP", value, IMMUTABLE))
    if gk in (("", "ConfigMap"), ("", "Secret")) and live.get("immutable"):
        if not new.get("immutable"):
            causes.append(statuses.forbidden_field("immutable", "field is immutable when `immutable` is set"))
        for field in ("data", "binaryData") if rt.kind == "ConfigMap" else ("data",):
            if live.get(field) != new.get(field):
                causes.append(statuses.forbidden_field(field, "field is immutable when `immutable` is set"))
    if gk == ("", "Secret"):
        changed, value = _differs(live, new, "type")
        if changed:
            causes.append(statuses.invalid_value("type", value, IMMUTABLE))
    if gk == ("apiextensions.k8s.io", "CustomResourceDefinition"):
        for path in (("spec", "group"), ("spec", "names", "plural"), ("spec", "scope")):
            changed, value = _differs(live, new, *path)
            if changed and path[-1] != "plural":
                causes.append(statuses.invalid_value(".".join(path), value, IMMUTABLE))
    return causes


def check(rt: resources.ResourceType, obj: dict[str, Any], live: dict[str, Any] | None = None) -> None:
    """Raise 422 Invalid with every cause found (create when `live` is None, else update)."""
    undecodable = _quantity_error(rt, obj)
    if undecodable:
        raise undecodable
    causes = object_causes(rt, obj)
    if live is not None:
        causes += update_causes(rt, live, obj)
    if causes:
        raise statuses.invalid(rt.group, rt.kind, (obj.get("metadata") or {}).get("name", ""), causes)


# --- unknown fields -----------------------------------------------------------

Resolver = Callable[[dict[str, Any]], dict[str, Any]]


def _is_free_form(schema: dict[str, Any]) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields")) or (
        "properties" not in schema and "additionalProperties" not in schema
    )


def _walk(value: Any, schema: dict[str, Any], resolve: Resolver, path: str, found: list[str]) -> Any:
    """Return `value` without fields `schema` does not declare; append their paths to `found`."""
    schema = resolve(schema)
    if isinstance(value, dict):
        if _is_free_form(schema):
            return value
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        out = {}
        changed = False
        for key, item in value.items():
            sub_path = f"{path}.{key}" if path else key
            if props is not None and key in props:
                sub = _walk(item, props[key], resolve, sub_path, found)
            elif isinstance(extra, dict):
                sub = _walk(item, extra, resolve, sub_path, found)
            elif extra is True or (props is None and extra is None):
                sub = item
            else:
                found.append(sub_path)
                changed = True
                continue
            if sub is not item:
                changed = True
            out[key] = sub
        return out if changed else value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        out_list = [_walk(item, items, resolve, f"{path}[{i}]", found) for i, item in enumerate(value)]
        return out_list if any(a is not b for a, b in zip(out_list, value)) else value
    return value


def _builtin_resolve(schema: dict[str, Any]) -> dict[str, Any]:
    return definitions.resolve(schema)


def _plain_resolve(schema: dict[str, Any]) -> dict[str, Any]:
    return schema


def prune_unknown(obj: dict[str, Any], *, root: dict[str, Any] | None, custom: bool) -> tuple[dict[str, Any], list[str]]:
    """(obj without undeclared fields, their paths). `root` is the kind's schema (CRD: openAPIV3Schema)."""
    found: list[str] = []
    if root is None:
        return obj, found
    if not custom:
        return _walk(obj, root, _builtin_resolve, "", found), found
    out = dict(obj)
    if isinstance(obj.get("metadata"), dict):
        out["metadata"] = _walk(obj["metadata"], definitions.object_meta(), _builtin_resolve, "metadata", found)
    props = dict(root.get("properties") or {})
    for key in ("apiVersion", "kind", "metadata"):
        props[key] = {"x-kubernetes-preserve-unknown-fields": True}
    body = _walk(out, dict(root, properties=props), _plain_resolve, "", found)
    return body, found


def strict_decoding_error(paths: list[str]) -> statuses.ApiError:
    return statuses.bad_request(
        "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in paths)
    )
