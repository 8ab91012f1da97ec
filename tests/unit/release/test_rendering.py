"""The render action: repeated renders in one process stay independent."""

from pathlib import Path

from deploykit.release import rendering
from deploykit.release.inputs import RenderOptions
from deploykit.values import loading, provenance


def test_a_template_mutating_values_does_not_leak_into_the_next_render(tmp_path: Path):
    """Rendering staging then qa in one process would let one render's template changes leak into the next."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text('apiVersion: v2\nname: mut\nversion: "0.1.0"\n')
    (tmp_path / "values.yaml").write_text('config:\n  a: "1"\nitems: [1, 2]\n')
    (tmp_path / "templates" / "cm.yaml").write_text(
        '{% do Values.config.update({"leak": "yes"}) %}{% do Values["items"].append(3) %}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
        'data:\n  keys: "{{ Values.config | length }}-{{ Values["items"] | length }}"\n')
    seen = [rendering.render(RenderOptions(chart=str(tmp_path), release="r", namespace="n")).rendered.manifests[0]
            .obj["data"]["keys"] for _ in range(3)]
    assert seen == ["2-3", "2-3", "2-3"]


def test_secret_leaves_are_found_through_sections_and_later_layers():
    """Values composed from plain layers and then a secret one would hide the secret from the redactor."""
    plain = loading.load_mapping({"db": {"host": "h"}}, source="values.yaml")
    secret = loading.load_mapping({"db": {"password": "s3cret-value"}}, source="secrets.yaml", secret=True)
    base = provenance.compose([plain])
    assert list(base.secret_leaves()) == []
    values = provenance.compose([secret], base=base)
    assert list(values.secret_leaves()) == [(("db", "password"), "s3cret-value")]
    assert list(values.section("db").secret_leaves()) == [(("password",), "s3cret-value")]
    assert list(provenance.compose([plain, values]).secret_leaves()) == [(("db", "password"), "s3cret-value")]
