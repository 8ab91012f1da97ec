"""One corpus of objects a real API server refuses, for `lint` / `template` and for the simulator alike.

Each case is an object (YAML, also used verbatim as a chart template), the
line and field path lint must name, and the message kube-apiserver answers
with. `deploykit lint` and `deploykit.sim` are separate implementations by
design (the simulator imports nothing of deploykit); this list keeps them in
step: a chart that passes the simulator must not be refused by a real cluster.
"""

from __future__ import annotations

import dataclasses

import yaml

QUANTITY_REGEX = "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
PORT_RANGE = "must be between 1 and 65535, inclusive"


@dataclasses.dataclass(frozen=True)
class InvalidObject:
    """An object the API server refuses, and what lint and the server say about it."""

    name: str
    manifest: str
    at: str  # text of the line lint must point at (its first occurrence)
    field: str  # the field path lint names
    server: str  # what kube-apiserver's answer says (a part of its message)
    code: int = 422

    @property
    def obj(self) -> dict:
        return yaml.safe_load(self.manifest)

    @property
    def line(self) -> int:
        return next(i for i, text in enumerate(self.manifest.splitlines(), 1) if self.at in text)


def _deployment(pod_spec: str, *, template_labels: str = "app: web") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        {template_labels}
    spec:
{pod_spec}"""


def _container(extra: str = "", *, name: str = "web") -> str:
    return f"      containers:\n        - name: {name}\n          image: nginx:1.27\n{extra}"


def _service(ports: str, *, service_type: str = "ClusterIP") -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: {service_type}
  selector:
    app: web
  ports:
{ports}"""


CASES = [
    InvalidObject(
        "deployment-restart-policy",
        _deployment("      restartPolicy: Sometimes\n" + _container()),
        at="restartPolicy: Sometimes",
        field="spec.template.spec.restartPolicy",
        server='Deployment.apps "web" is invalid: [spec.template.spec.restartPolicy: Unsupported value: "Sometimes": '
               'supported values: "Always", "OnFailure", "Never", spec.template.spec.restartPolicy: Unsupported value: '
               '"Sometimes": supported values: "Always"]',
    ),
    InvalidObject(
        "deployment-restart-policy-never",
        _deployment("      restartPolicy: Never\n" + _container()),
        at="restartPolicy: Never",
        field="spec.template.spec.restartPolicy",
        server='Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
               'supported values: "Always"',
    ),
    InvalidObject(
        "job-restart-policy-always",
        """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Always
      containers:
        - name: migrate
          image: migrate:1.0
""",
        at="restartPolicy: Always",
        field="spec.template.spec.restartPolicy",
        server='Job.batch "migrate" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": '
               'supported values: "OnFailure", "Never"',
    ),
    InvalidObject(
        "job-without-restart-policy",
        """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: migrate:1.0
""",
        at="    spec:",
        field="spec.template.spec",
        server='Job.batch "migrate" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": '
               'supported values: "OnFailure", "Never"',
    ),
    InvalidObject(
        "image-pull-policy",
        _deployment(_container("          imagePullPolicy: Sometimes\n")),
        at="imagePullPolicy: Sometimes",
        field="spec.template.spec.containers[0].imagePullPolicy",
        server='spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: '
               '"Always", "IfNotPresent", "Never"',
    ),
    InvalidObject(
        "container-port-out-of-range",
        _deployment(_container("          ports:\n            - containerPort: 70000\n")),
        at="containerPort: 70000",
        field="spec.template.spec.containers[0].ports[0].containerPort",
        server=f"spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: {PORT_RANGE}",
    ),
    InvalidObject(
        "service-port-out-of-range",
        _service("    - port: 70000\n      targetPort: 8080\n"),
        at="port: 70000",
        field="spec.ports[0].port",
        server=f'Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: {PORT_RANGE}',
    ),
    InvalidObject(
        "service-target-port-out-of-range",
        _service("    - port: 80\n      targetPort: 80800\n"),
        at="targetPort: 80800",
        field="spec.ports[0].targetPort",
        server=f'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: 80800: {PORT_RANGE}',
    ),
    InvalidObject(
        "service-port-protocol",
        _service("    - port: 80\n      protocol: HTTP\n"),
        at="protocol: HTTP",
        field="spec.ports[0].protocol",
        server='spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ),
    InvalidObject(
        "service-type",
        _service("    - port: 80\n", service_type="Public"),
        at="type: Public",
        field="spec.type",
        server='spec.type: Unsupported value: "Public": supported values: "ClusterIP", "ExternalName", '
               '"LoadBalancer", "NodePort"',
    ),
    InvalidObject(
        "memory-quantity",
        _deployment(_container("          resources:\n            limits:\n              memory: 12XB\n")),
        at="memory: 12XB",
        field="spec.template.spec.containers[0].resources.limits.memory",
        server=f'Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular '
               f"expression {QUANTITY_REGEX}",
        code=400,
    ),
    InvalidObject(
        "container-name-not-dns-label",
        _deployment(_container(name="Web_Server")),
        at="name: Web_Server",
        field="spec.template.spec.containers[0].name",
        server='spec.template.spec.containers[0].name: Invalid value: "Web_Server": a lowercase RFC 1123 label must',
    ),
    InvalidObject(
        "pod-template-label-value",
        _deployment(_container(), template_labels="app: web\n        tier: front end"),
        at="tier: front end",
        field="spec.template.metadata.labels.tier",
        server='spec.template.metadata.labels: Invalid value: "front end": a valid label must be an empty string',
    ),
    InvalidObject(
        "label-key",
        """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels:
    -team: web
""",
        at="-team: web",
        field="metadata.labels['-team']",
        server='ConfigMap "settings" is invalid: metadata.labels: Invalid value: "-team": name part must consist of',
    ),
    InvalidObject(
        "object-name-not-dns-subdomain",
        """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: Web_Settings
""",
        at="name: Web_Settings",
        field="metadata.name",
        server='ConfigMap "Web_Settings" is invalid: metadata.name: Invalid value: "Web_Settings": a lowercase RFC 1123 '
               "subdomain must consist of",
    ),
]

BY_NAME = {case.name: case for case in CASES}

# Objects near the edges of the same rules that a real API server accepts: neither side may refuse them.
ACCEPTED = {
    "quantities-and-named-ports": _deployment(_container(
        "          ports:\n            - {name: http, containerPort: 65535, hostPort: 0, protocol: UDP}\n"
        "          resources:\n            limits: {memory: 128Mi, cpu: 500m, ephemeral-storage: '1e3'}\n"
        "            requests: {memory: '0.5Gi', cpu: 1, nvidia.com/gpu: '1'}\n"
        "          imagePullPolicy: IfNotPresent\n")),
    "service-named-target-port": _service("    - {port: 1, targetPort: http, protocol: SCTP}\n", service_type="NodePort"),
    "cron-job-never": """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {app.kubernetes.io/name: nightly}
        spec:
          restartPolicy: Never
          containers:
            - {name: nightly, image: "nightly:1.0"}
""",
    "pod-on-failure": """\
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: OnFailure
  containers:
    - {name: once, image: "once:1.0"}
""",
}
