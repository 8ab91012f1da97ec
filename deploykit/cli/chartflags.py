"""Flags shared by the commands that render a chart (`template`, `lint`; `plan` and `upgrade` can reuse them).

Owns the typer options for values (-f, --set, --set-string, --set-file,
--set-json, --set-literal), release identity (--release, -n), the target cluster
(--kube-version, -a), the render bounds (--render-timeout,
--render-max-output), --template-engine, --skip-schema-validation and --allow-unencrypted-secrets (deploykit.cli.renderoptions
turns their values into the `RenderOptions` of the render action).

Must not: import anything but typer at module level (`--help` stays fast).
"""

from __future__ import annotations

import typer

CHART = typer.Argument(..., metavar="CHART", help="Chart folder or .tgz archive.", show_default=False)
VALUES = typer.Option([], "-f", "--values", metavar="FILE", help="Values file (YAML or JSON, sops-encrypted or not; - for stdin; secrets://FILE: must be sops-encrypted); repeat for more, later wins.")
SET = typer.Option([], "--set", metavar="KEY=VALUE", help="Set values: a.b=v,list[0]=x (typed as Helm does).")
SET_STRING = typer.Option([], "--set-string", metavar="KEY=VALUE", help="Set values, always as strings.")
SET_FILE = typer.Option([], "--set-file", metavar="KEY=PATH", help="Set a value to the text of a file: key=path.")
SET_JSON = typer.Option([], "--set-json", metavar="KEY=JSON", help="Set values from JSON: key=<json>, or one whole JSON object.")
SET_LITERAL = typer.Option([], "--set-literal", metavar="KEY=VALUE", help="Set one value to the text after the first =, verbatim (commas and backslashes included).")
RELEASE = typer.Option("release-name", "--release", metavar="NAME", help="Release name (Release.Name).")
NAMESPACE = typer.Option("default", "-n", "--namespace", metavar="NS", help="Namespace (Release.Namespace; filled into namespaced objects).")
KUBE_VERSION = typer.Option("v1.37.0", "--kube-version", metavar="VERSION", help="Target Kubernetes version: Capabilities.KubeVersion, the kubeVersion check, known kinds.")
CLUSTER_KUBE_VERSION = typer.Option(None, "--kube-version", metavar="VERSION", help="Check and render for this Kubernetes version instead of the cluster's.", show_default=False)
API_VERSIONS = typer.Option([], "-a", "--api-versions", metavar="GROUP/VERSION", help="Extra API versions for Capabilities.APIVersions (group/version or group/version/Kind).")
RENDER_TIMEOUT = typer.Option(None, "--render-timeout", metavar="SECONDS", help="Stop a render that takes longer (default 60, or DEPLOYKIT_RENDER_TIMEOUT).", show_default=False)
RENDER_MAX_OUTPUT = typer.Option(None, "--render-max-output", metavar="CHARACTERS", help="Stop a render whose templates produce more text (default 64 MiB, or DEPLOYKIT_RENDER_MAX_OUTPUT).", show_default=False)
TEMPLATE_ENGINE = typer.Option("auto", "--template-engine", metavar="ENGINE", help="helm (Go templates, Helm's engine), jinja2, or auto: the chart's deploykit.io/template-engine annotation, else its template syntax.")
SKIP_SCHEMA_VALIDATION = typer.Option(False, "--skip-schema-validation", help="Check neither values.schema.json nor the objects against the Kubernetes schemas and the chart's CRDs (as Helm).")
SKIP_CRDS = typer.Option(False, "--skip-crds", help="Neither create nor update the CRDs of the charts' crds/ folders (as Helm).")
ALLOW_UNENCRYPTED = typer.Option(False, "--allow-unencrypted-secrets", help="Local experiments only: accept plaintext secret files (ignored in CI).")
