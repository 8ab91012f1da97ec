"""Rendering a chart tree: library macros, subcharts, NOTES, CRDs, hooks, order, namespaces, errors."""

import pytest

from deploykit import errors
from deploykit.charts import problems
from tests.plugins.charts import write_chart

LIBRARY = {
    "Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n",
    "templates/_labels.j2": """
        {% import "_names.j2" as names with context %}
        {% macro labels() -%}
        app: {{ names.name() }}
        release: {{ Release.Name }}
        {%- endmacro %}
    """,
    "templates/_names.j2": "{% macro name() -%}{{ Chart.Name }}{%- endmacro %}\n",
}


def app_with_library(tmp_path, *, alias=None, template=None):
    write_chart(tmp_path / "common", LIBRARY)
    alias_line = f"\n    alias: {alias}" if alias else ""
    key = alias or "common"
    write_chart(tmp_path / "web", {
        "Chart.yaml": f"apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: common\n    repository: file://../common{alias_line}\n",
        "templates/_helpers.j2": "{% macro greeting() %}hello{% endmacro %}\n",
        "templates/configmap.yaml": template or f"""
            {{% import "{key}/_labels.j2" as common with context %}}
            {{% import "_helpers.j2" as own with context %}}
            {{% import "templates/_helpers.j2" as same with context %}}
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{{{ Release.Name }}}}
              labels: {{{{ common.labels() | nindent(4) }}}}
            data:
              greeting: {{{{ own.greeting() }}}}-{{{{ same.greeting() }}}}
        """,
    })
    return tmp_path / "web"


def test_library_macros_import_under_the_dependency_name(tmp_path, render_chart):
    """Charts could not share helpers through a library chart."""
    rendered = render_chart(app_with_library(tmp_path), release="r1")
    (configmap,) = rendered.manifests
    assert configmap.metadata["labels"] == {"app": "web", "release": "r1"}
    assert configmap.obj["data"] == {"greeting": "hello-hello"}


def test_library_macros_import_under_the_alias(tmp_path, render_chart):
    """An aliased library would be importable only under its real name."""
    rendered = render_chart(app_with_library(tmp_path, alias="lib"))
    assert rendered.manifests[0].metadata["labels"]["app"] == "web"


def test_import_of_a_parent_folder_is_refused(tmp_path, render_chart):
    """A template could import files outside its chart with `../`."""
    path = app_with_library(tmp_path, template='{% import "../../common/templates/_labels.j2" as x %}\nkind: A\n')
    with pytest.raises(errors.RenderError, match="web/templates/configmap.yaml:1: '../../common/templates/_labels.j2' is outside the chart"):
        render_chart(path)


def test_rendering_a_library_chart_is_an_error(tmp_path, render_chart):
    """`deploykit template common` would print nothing and exit 0."""
    write_chart(tmp_path / "common", LIBRARY)
    with pytest.raises(errors.RenderError, match="common is a library chart: it renders nothing by itself"):
        render_chart(tmp_path / "common")


def test_kube_version_outside_the_chart_constraint_is_an_error(make_chart, render_chart):
    """A chart for old clusters would be deployed to a new one."""
    path = make_chart({"Chart.yaml": 'apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: "<1.25.0"\n'})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path, kube_version="v1.30.0")
    assert caught.value.message.endswith("Chart.yaml:4: kubeVersion: the chart requires Kubernetes '<1.25.0'; the target is v1.30.0")
    assert render_chart(path, kube_version="v1.24.2").manifests == ()


def test_subchart_templates_render_with_their_values_unless_disabled(tmp_path, render_chart):
    """A subchart would render with the parent's values, or render although disabled."""
    write_chart(tmp_path / "web", {
        "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: redis\n    condition: redis.enabled\n",
        "charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
        "charts/redis/values.yaml": "port: 6379\n",
        "charts/redis/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\nspec:\n  ports: [{port: {{ Values.port }}}]\n",
        "charts/redis/templates/NOTES.txt": "redis notes\n",
        "templates/NOTES.txt": "web notes for {{ Release.Name }}\n",
    })
    rendered = render_chart(tmp_path / "web", {"redis": {"port": 7000}})
    assert [(m.template, m.obj["spec"]["ports"][0]["port"]) for m in rendered.manifests] == [("web/charts/redis/templates/svc.yaml", 7000)]
    assert rendered.notes == "web notes for rel\n"
    assert render_chart(tmp_path / "web", {"redis": {"enabled": False}}).manifests == ()


def test_crds_are_loaded_verbatim_and_never_templated(make_chart, render_chart):
    """A CRD containing `{{` (e.g. in a description) would be mangled or fail to render."""
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n"
        "spec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n"
        "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {description: 'use {{ x }}', type: object}}}]\n"
    )
    rendered = render_chart(make_chart({"crds/widget.yaml": crd}))
    (loaded,) = rendered.crds
    assert loaded.template == "app/crds/widget.yaml"
    assert loaded.obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] == "use {{ x }}"
    assert "namespace" not in loaded.metadata


def test_objects_come_in_apply_order_stable_within_a_group(make_chart, render_chart):
    """A Deployment would be applied before the ConfigMap it mounts."""
    def obj(kind, name, api="v1"):
        return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n---\n"
    path = make_chart({
        "templates/a.yaml": obj("Deployment", "web", "apps/v1") + obj("Ingress", "web", "networking.k8s.io/v1") + obj("ConfigMap", "b"),
        "templates/b.yaml": obj("Service", "web") + obj("ConfigMap", "a") + obj("Namespace", "extra") + obj("ServiceAccount", "web"),
        "templates/c.yaml": obj("ClusterRole", "web", "rbac.authorization.k8s.io/v1") + obj("PersistentVolumeClaim", "data") + obj("Job", "once", "batch/v1"),
    })
    order = [(m.kind, m.name) for m in render_chart(path).manifests]
    assert order == [
        ("Namespace", "extra"), ("ServiceAccount", "web"), ("ClusterRole", "web"), ("ConfigMap", "b"), ("ConfigMap", "a"),
        ("PersistentVolumeClaim", "data"), ("Service", "web"), ("Deployment", "web"), ("Job", "once"), ("Ingress", "web"),
    ]


def test_namespace_is_filled_only_into_namespaced_objects(make_chart, render_chart):
    """Cluster-scoped objects would get a namespace (the API rejects it), or namespaced ones none."""
    path = make_chart({
        "crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: issuers.x.io\n"
                         "spec:\n  group: x.io\n  scope: Cluster\n  names: {kind: ClusterIssuer, plural: issuers}\n",
        "templates/all.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: b, namespace: other}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: c}
            ---
            apiVersion: x.io/v1
            kind: ClusterIssuer
            metadata: {name: d}
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: e}
        """,
    })
    namespaces = {m.name: m.namespace for m in render_chart(path, namespace="staging").manifests}
    assert namespaces == {"a": "staging", "b": "other", "c": None, "d": None, "e": "staging"}


def test_multi_document_files_skip_empty_documents_and_keep_their_index(make_chart, render_chart):
    """A `{% if %}` that renders an empty document would produce a null object, or indexes would be off."""
    path = make_chart({"templates/many.yaml": "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n"})
    rendered = render_chart(path)
    assert sorted((m.name, m.line) for m in rendered.manifests) == [("a", 4), ("b", 10)]


def test_hooks_are_set_apart_and_sorted_by_weight(make_chart, render_chart):
    """A migration Job would be applied with the release instead of before it, or in the wrong order."""
    def job(name, annotations):
        lines = "".join(f"    {k}: {v!r}\n" for k, v in annotations.items())
        return f"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n{lines}---\n"
    path = make_chart({"templates/hooks.yaml": (
        job("late", {"deploykit.io/hook": "post-install,post-upgrade", "deploykit.io/hook-weight": "5"})
        + job("first", {"helm.sh/hook": "pre-install", "helm.sh/hook-weight": "-5", "helm.sh/hook-delete-policy": "hook-succeeded"})
        + job("plain", {"note": "x"})
    )})
    rendered = render_chart(path)
    assert [m.name for m in rendered.manifests] == ["plain"]
    assert [(h.manifest.name, h.events, h.weight, h.delete_policies) for h in rendered.hooks] == [
        ("first", ("pre-install",), -5, ("hook-succeeded",)),
        ("late", ("post-install", "post-upgrade"), 5, ("before-hook-creation",)),
    ]
    assert [h.manifest.name for h in rendered.hooks_for("post-upgrade")] == ["late"]


def test_duplicate_objects_name_both_templates(make_chart, render_chart):
    """Two templates rendering the same object would silently overwrite each other."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n"
    path = make_chart({"templates/a.yaml": cm, "templates/b.yaml": "# header\n" + cm.replace("v1", "v1", 1)})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path)
    assert caught.value.message == (
        "app/templates/b.yaml:2: ConfigMap ns/same (v1) is also rendered by app/templates/a.yaml:1; "
        "two objects with the same kind, namespace and name would overwrite each other"
    )


def test_same_name_in_another_namespace_or_group_is_not_a_duplicate(make_chart, render_chart):
    """Legitimately distinct objects would be refused as duplicates."""
    path = make_chart({"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: other}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"})
    assert len(render_chart(path).manifests) == 3


def test_yaml_error_names_template_and_rendered_line_and_shows_it(make_chart, render_chart):
    """A YAML error would point at the template source line, which is not where the broken text is."""
    path = make_chart({"templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ Values.labels | to_yaml }}\n"})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path, {"labels": {"k": "v", "l": "w"}})
    assert caught.value.message.startswith("app/templates/bad.yaml:6: rendered output is not valid YAML:")
    assert caught.value.message.endswith("rendered line 6 is '  a: k: v'")


def test_yaml_error_line_masks_secret_values(make_chart, render_chart):
    """A YAML error would print the line holding a decrypted password into CI logs."""
    path = make_chart({"templates/bad.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  password: {{ Values.password }}: oops\n"})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path, {"password": "hunter2-very-secret"}, secrets=("hunter2-very-secret",))
    assert "hunter2" not in str(caught.value)
    assert "password: ***: oops" in caught.value.message


def test_template_syntax_error_names_template_and_line(make_chart, render_chart):
    """A syntax error would give a Jinja2 traceback."""
    path = make_chart({"templates/x.yaml": "a: 1\nb: {{ Values.x }\n"})
    with pytest.raises(errors.RenderError, match=r"app/templates/x.yaml:2: template syntax error: unexpected '}'"):
        render_chart(path)


def test_error_in_a_macro_names_the_macro_file_and_the_template_rendered(tmp_path, render_chart):
    """A missing value used inside a library macro would be reported without saying where."""
    path = app_with_library(tmp_path, template='{% import "common/_broken.j2" as b with context %}\nkind: {{ b.kind() }}\n')
    (tmp_path / "common" / "templates" / "_broken.j2").write_text("{% macro kind() -%}\n{{ Values.kind }}\n{%- endmacro %}\n")
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path)
    assert caught.value.message == "web/charts/common/templates/_broken.j2:2: Values.kind is not defined (while rendering web/templates/configmap.yaml)"


def test_object_without_kind_name_or_that_is_a_list_is_an_error(make_chart, render_chart):
    """An object the API cannot take would reach the cluster and fail there."""
    path = make_chart({"templates/x.yaml": "apiVersion: v1\nmetadata: {name: a}\n---\n- just\n- a list\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"})
    report = []
    render_chart(path, report=report)
    messages = [p.message for p in report]
    assert any(m.startswith("kind: is missing") for m in messages)
    assert any("rendered document 2 is a list" in m for m in messages)
    assert any(m.startswith("metadata.name: is missing") for m in messages)


def test_with_a_report_every_template_error_is_collected(make_chart, render_chart):
    """lint would stop at the first broken template."""
    path = make_chart({
        "templates/a.yaml": "a: {{ Values.missing_a }}\n",
        "templates/b.yaml": "{% if %}\n",
        "templates/c.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n",
        "templates/_d.j2": "{% macro x() %}{% endmacr %}\n",
    })
    report = []
    render_chart(path, report=report, check_partials=True)
    assert sorted((p.file, p.line) for p in report if p.level == problems.ERROR) == [
        ("app/templates/_d.j2", 1), ("app/templates/a.yaml", 1), ("app/templates/b.yaml", 1), ("app/templates/c.yaml", 3),
    ]
