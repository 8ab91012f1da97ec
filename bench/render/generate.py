"""Generate the benchmark chart twice: as a deploykit (Jinja2) chart and as the equivalent Helm (Go template) chart.

Both charts hold the same N templates (Deployments, Services and ConfigMaps in
turn), the same helpers (full name, labels, selector labels) and the same
values, and render to the same objects; only the template language differs.
"""

from __future__ import annotations

import os

KINDS = ("deployment", "service", "configmap")

JINJA_HELPERS = """\
{% macro fullname(name) -%}
{{ (Release.Name ~ "-" ~ name) | trunc(63) | trim("-") }}
{%- endmacro %}

{% macro selector(name) -%}
{{ {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": Release.Name} | to_yaml }}
{%- endmacro %}

{% macro labels(name) -%}
{{ selector(name) }}
{{ {"app.kubernetes.io/version": Chart.AppVersion, "helm.sh/chart": Chart.Name ~ "-" ~ Chart.Version, "app.kubernetes.io/managed-by": Release.Service} | to_yaml }}
{%- endmacro %}
"""

HELM_HELPERS = """\
{{- define "bench.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bench.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "bench.labels" -}}
{{ include "bench.selector" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}
"""

JINJA = {
    "deployment": """\
{% import "_helpers.j2" as h with context %}
{% set app = Values.apps.NAME %}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ h.fullname("NAME") }}
  labels: {{ h.labels("NAME") | nindent(4) }}
spec:
  replicas: {{ app.replicas }}
  selector:
    matchLabels: {{ h.selector("NAME") | nindent(6) }}
  template:
    metadata:
      labels: {{ h.selector("NAME") | nindent(8) }}
    spec:
      containers:
        - name: app
          image: "{{ Values.image.repository }}:{{ app.tag | default(Values.image.tag, true) }}"
          env:
{% for key, value in app.env | dictsort %}
            - name: {{ key }}
              value: {{ value | quote }}
{% endfor %}
          resources: {{ Values.resources | to_yaml | nindent(12) }}
""",
    "service": """\
{% import "_helpers.j2" as h with context %}
apiVersion: v1
kind: Service
metadata:
  name: {{ h.fullname("NAME") }}
  labels: {{ h.labels("NAME") | nindent(4) }}
spec:
  selector: {{ h.selector("NAME") | nindent(4) }}
  ports:
{% for port in Values.ports %}
    - name: {{ port.name }}
      port: {{ port.port }}
      targetPort: {{ port.target }}
{% endfor %}
""",
    "configmap": """\
{% import "_helpers.j2" as h with context %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ h.fullname("NAME") }}
  labels: {{ h.labels("NAME") | nindent(4) }}
data:
{% for key, value in Values.apps.NAME.env | dictsort %}
  {{ key }}: {{ value | quote }}
{% endfor %}
""",
}

HELM = {
    "deployment": """\
{{- $app := .Values.apps.NAME }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "bench.fullname" (dict "root" . "name" "NAME") }}
  labels: {{- include "bench.labels" (dict "root" . "name" "NAME") | nindent 4 }}
spec:
  replicas: {{ $app.replicas }}
  selector:
    matchLabels: {{- include "bench.selector" (dict "root" . "name" "NAME") | nindent 6 }}
  template:
    metadata:
      labels: {{- include "bench.selector" (dict "root" . "name" "NAME") | nindent 8 }}
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ $app.tag | default .Values.image.tag }}"
          env:
{{- range $key, $value := $app.env }}
            - name: {{ $key }}
              value: {{ $value | quote }}
{{- end }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
""",
    "service": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "bench.fullname" (dict "root" . "name" "NAME") }}
  labels: {{- include "bench.labels" (dict "root" . "name" "NAME") | nindent 4 }}
spec:
  selector: {{- include "bench.selector" (dict "root" . "name" "NAME") | nindent 4 }}
  ports:
{{- range .Values.ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .target }}
{{- end }}
""",
    "configmap": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bench.fullname" (dict "root" . "name" "NAME") }}
  labels: {{- include "bench.labels" (dict "root" . "name" "NAME") | nindent 4 }}
data:
{{- range $key, $value := .Values.apps.NAME.env }}
  {{ $key }}: {{ $value | quote }}
{{- end }}
""",
}


def _values(count: int) -> str:
    lines = [
        "image:",
        "  repository: registry.example.com/bench/app",
        '  tag: "1.0.0"',
        "resources:",
        "  requests: {cpu: 10m, memory: 16Mi}",
        "  limits: {memory: 32Mi}",
        "ports:",
        "  - {name: http, port: 80, target: 8080}",
        "  - {name: metrics, port: 9090, target: 9090}",
        "apps:",
    ]
    for index in range(count):
        lines += [
            f"  app{index:03d}:",
            f"    replicas: {1 + index % 3}",
            f'    tag: "{"" if index % 2 else "1.0." + str(index)}"',
            "    env:",
            *(f'      VAR_{k}: "value-{index}-{k}"' for k in range(5)),
        ]
    return "\n".join(lines) + "\n"


def _chart_yaml(name: str) -> str:
    return f'apiVersion: v2\nname: {name}\nversion: 1.0.0\nappVersion: "1.0.0"\n'


def generate(root: str, *, count: int = 300) -> tuple[str, str]:
    """Write both charts under `root`; return (deploykit chart path, Helm chart path)."""
    paths = {}
    for flavour, templates, helpers, helpers_name in (
        ("deploykit", JINJA, JINJA_HELPERS, "_helpers.j2"),
        ("helm", HELM, HELM_HELPERS, "_helpers.tpl"),
    ):
        chart = os.path.join(root, flavour, "bench")
        os.makedirs(os.path.join(chart, "templates"), exist_ok=True)
        with open(os.path.join(chart, "Chart.yaml"), "w") as handle:
            handle.write(_chart_yaml("bench"))
        with open(os.path.join(chart, "values.yaml"), "w") as handle:
            handle.write(_values(count))
        with open(os.path.join(chart, "templates", helpers_name), "w") as handle:
            handle.write(helpers)
        for index in range(count):
            kind = KINDS[index % len(KINDS)]
            name = f"app{index:03d}"
            with open(os.path.join(chart, "templates", f"{name}-{kind}.yaml"), "w") as handle:
                handle.write(templates[kind].replace("NAME", name))
        paths[flavour] = chart
    return paths["deploykit"], paths["helm"]
