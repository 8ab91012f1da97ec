"""The artifact digest: the same build gives the same digest; any change to what is promoted changes it."""

from pathlib import Path

from deploykit.pipeline import evidence
from deploykit.pipeline.model import Cluster, Pipeline, Release, Stage
from tests.plugins.charts import write_chart

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "values.yaml": "image:\n  repository: registry.example.com/web\n  tag: '1.4'\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
}


def _pipeline(values=("values/common.yaml",)) -> Pipeline:
    release = Release(name="web", chart="charts/web", namespace="shop", values=values)
    stage = Stage(name="staging", clusters=(Cluster("sim", sim_state=".sim"),), values=("values/{stage}.yaml",))
    return Pipeline(name="demo", source="pipelines/demo.yaml", releases=(release,), stages=(stage,))


def _project(tmp_path: Path, common: str = "replicas: 2\n") -> Path:
    write_chart(tmp_path / "charts" / "web", CHART)
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "common.yaml").write_text(common)
    (tmp_path / "values" / "staging.yaml").write_text("replicas: 1\n")
    return tmp_path


def test_the_same_build_gives_the_same_digest(tmp_path):
    """Two jobs of one pipeline would disagree on the artifact, and every gate would refuse."""
    base = _project(tmp_path)
    assert evidence.artifact(_pipeline(), base=base) == evidence.artifact(_pipeline(), base=base)


def test_a_changed_chart_file_or_shared_value_changes_the_digest(tmp_path):
    """A report made for one build would open the gate for another."""
    base = _project(tmp_path)
    before = evidence.artifact(_pipeline(), base=base).digest
    (base / "values" / "common.yaml").write_text("replicas: 3\n")
    after_values = evidence.artifact(_pipeline(), base=base).digest
    (base / "charts" / "web" / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    after_chart = evidence.artifact(_pipeline(), base=base).digest
    assert len({before, after_values, after_chart}) == 3


def test_stage_overlays_are_not_part_of_the_artifact(tmp_path):
    """Promotion would be impossible: each stage's own values would make its digest differ."""
    base = _project(tmp_path)
    before = evidence.artifact(_pipeline(), base=base).digest
    (base / "values" / "staging.yaml").write_text("replicas: 5\n")
    assert evidence.artifact(_pipeline(), base=base).digest == before


def test_image_references_are_collected_from_defaults_and_shared_values(tmp_path):
    """The report would not say which images were promoted."""
    base = _project(tmp_path, common="sidecar:\n  image: registry.example.com/proxy@sha256:abc\n")
    found = evidence.artifact(_pipeline(), base=base)
    assert found.images == ("registry.example.com/proxy@sha256:abc", "registry.example.com/web:1.4")
