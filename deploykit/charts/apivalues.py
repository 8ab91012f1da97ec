"""Values the API server refuses although its OpenAPI schema allows them.

Owns the rules of kube-apiserver's validation that the published schemas do
not carry: enumerations typed as plain strings (restartPolicy per workload
kind, imagePullPolicy, port protocols, Service type), port numbers in
1-65535 (containerPort, hostPort, Service port and integer targetPort),
quantities that do not parse (`memory: 12XB`), container names that are not
DNS-1123 labels, a Job without restartPolicy (defaulted to Always, then
refused). Each finding is (field path, reason), as
`kubeapis.schema_errors` gives them, so lint and template report both alike.

The simulator (deploykit.sim.validating) implements the same rules with the
server's wording, separately by design; tests/integration/invalid_objects.py
is the one corpus both must refuse.

Must not: raise or print; check a value the schema already rejects by type
(a string where a port number goes is the schema's finding, not this one).
"""

from __future__ import annotations

import re
from typing import Any

from deploykit.charts import kinds

Finding = tuple[tuple, str]

# Left to re to compile (and cache) for an amount the plain test (_plain_quantity) does not accept: compiling it
# costs more than checking every amount of a chart.
_QUANTITY = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$"
_BINARY_SUFFIXES = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL_SUFFIXES = tuple("numkMGTPE")

ALWAYS_ONFAILURE_NEVER = ("Always", "OnFailure", "Never")
# kind -> (path to the pod spec, the restart policies that kind's pods may have)
_POD_SPECS: dict[str, tuple[tuple, tuple[str, ...]]] = {
    "Pod": (("spec",), ALWAYS_ONFAILURE_NEVER),
    "PodTemplate": (("template", "spec"), ALWAYS_ONFAILURE_NEVER),
    **{kind: (("spec", "template", "spec"), ("Always",))
       for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController")},
    "Job": (("spec", "template", "spec"), ("OnFailure", "Never")),
    "CronJob": (("spec", "jobTemplate", "spec", "template", "spec"), ("OnFailure", "Never")),
}
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PROTOCOLS = ("SCTP", "TCP", "UDP")
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def findings(obj: dict[str, Any]) -> list[Finding]:
    """(field path, reason) for each value of `obj` the API server would refuse beyond its schema."""
    kind = obj.get("kind")
    found: list[Finding] = []
    if kind in _POD_SPECS:
        path, policies = _POD_SPECS[kind]
        spec = _at(obj, path)
        if isinstance(spec, dict):
            _pod_spec(spec, path, policies, found)
    if kind == "Service" and obj.get("apiVersion") == "v1" and isinstance(obj.get("spec"), dict):
        _service(obj["spec"], found)
    return found


# The checks below append to `found` rather than yield: they run for every workload and Service rendered.


def _at(obj: Any, path: tuple) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _pod_spec(spec: dict, path: tuple, policies: tuple[str, ...], found: list[Finding]) -> None:
    policy = spec.get("restartPolicy")
    if isinstance(policy, str):
        _one_of(path + ("restartPolicy",), policy, policies, found)
    elif policy is None and "Always" not in policies:
        found.append((path, f"restartPolicy is required here: {' or '.join(repr(p) for p in policies)} (left out, the API "
                            "server defaults it to 'Always', which it refuses for a Job)"))
    for field in ("initContainers", "containers"):
        containers = spec.get(field)
        for index, container in enumerate(containers if isinstance(containers, list) else ()):
            if isinstance(container, dict):
                _container(container, path + (field, index), found)


def _container(container: dict, path: tuple, found: list[Finding]) -> None:
    name = container.get("name")
    if isinstance(name, str) and (len(name) > 63 or not kinds.is_dns_label(name)):
        found.append((path + ("name",), (f"{name!r} is not a valid container name: a DNS-1123 label (at most 63 lowercase "
                                         "letters, digits and '-', starting and ending with a letter or digit)")))
    policy = container.get("imagePullPolicy")
    if isinstance(policy, str):
        _one_of(path + ("imagePullPolicy",), policy, PULL_POLICIES, found)
    ports = container.get("ports")
    for index, port in enumerate(ports if isinstance(ports, list) else ()):
        if isinstance(port, dict):
            _port_number(path + ("ports", index, "containerPort"), port.get("containerPort"), found)
            if port.get("hostPort"):  # 0 means no host port
                _port_number(path + ("ports", index, "hostPort"), port.get("hostPort"), found)
            _protocol(path + ("ports", index), port, found)
    resources = container.get("resources")
    for section in ("limits", "requests"):
        amounts = resources.get(section) if isinstance(resources, dict) else None
        for resource, amount in (amounts.items() if isinstance(amounts, dict) else ()):
            if isinstance(amount, str) and not (_plain_quantity(amount) or re.match(_QUANTITY, amount)):
                found.append((path + ("resources", section, resource), (
                    f"{amount!r} is not a quantity: write a number with an optional suffix, e.g. 128Mi, 1Gi, 500m, 0.5")))


def _plain_quantity(amount: str) -> bool:
    """An amount as most are: digits with at most one '.', and a suffix or none (False: ask the regex)."""
    number = amount[:-2] if amount.endswith(_BINARY_SUFFIXES) else amount[:-1] if amount.endswith(_DECIMAL_SUFFIXES) else amount
    digits = number.replace(".", "", 1)
    return digits.isascii() and digits.isdigit()


def _service(spec: dict, found: list[Finding]) -> None:
    service_type = spec.get("type")
    if isinstance(service_type, str):
        _one_of(("spec", "type"), service_type, SERVICE_TYPES, found)
    ports = spec.get("ports")
    for index, port in enumerate(ports if isinstance(ports, list) else ()):
        if isinstance(port, dict):
            _port_number(("spec", "ports", index, "port"), port.get("port"), found)
            if isinstance(port.get("targetPort"), int):  # a string names a container port
                _port_number(("spec", "ports", index, "targetPort"), port["targetPort"], found)
            _protocol(("spec", "ports", index), port, found)


def _port_number(path: tuple, value: Any, found: list[Finding]) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        found.append((path, f"{value} is not a port number: must be between 1 and 65535"))


def _protocol(path: tuple, port: dict, found: list[Finding]) -> None:
    if isinstance(port.get("protocol"), str):
        _one_of(path + ("protocol",), port["protocol"], PROTOCOLS, found)


def _one_of(path: tuple, value: str, supported: tuple[str, ...], found: list[Finding]) -> None:
    if value not in supported:
        found.append((path, f"{value!r} is not supported here: supported values: {', '.join(repr(s) for s in supported)}"))
