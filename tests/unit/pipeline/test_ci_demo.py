"""pipelines/ci/ holds exactly what the generator makes of the demo pipeline."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def load_generate_script():
    spec = importlib.util.spec_from_file_location("demo_ci_generate", ROOT / "pipelines/ci/generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_demo_ci_files_equal_the_generated_ones():
    """The demo's CI files would drift from the generator: run `python pipelines/ci/generate.py` to mend."""
    script = load_generate_script()
    for name, text in script.rendered().items():
        assert (ROOT / "pipelines/ci" / name).read_bytes() == text.encode("utf-8"), name


def test_demo_pipeline_promotes_staging_qa_production_with_manual_production():
    """The demo CI files would show another pipeline than the README's staging -> qa -> production."""
    pipeline = load_generate_script().demo_pipeline()
    assert [stage.name for stage in pipeline.stages] == ["staging", "qa", "production"]
    assert [stage.requires for stage in pipeline.stages] == [(), ("staging",), ("qa",)]
    assert pipeline.stage("production").approval == "manual"
    assert [(release.name, release.chart) for release in pipeline.releases] == [("web", "pipelines/demo/charts/web")]
    assert (ROOT / pipeline.release("web").chart / "Chart.yaml").is_file()
