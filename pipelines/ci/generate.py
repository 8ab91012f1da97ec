"""Writes this folder's CI files from the demo pipeline: `python pipelines/ci/generate.py`.

The demo pipeline (pipelines/demo.yaml: staging -> qa -> production,
production approved by hand, each stage requiring the one before, each on
the embedded simulator) is built here as a model, as the CLI would pass it
(chart paths from the repository root); with the pipeline loader, `deploykit
pipeline ci gitlab|github pipelines/demo.yaml` writes the same files.
tests/unit/pipeline/test_ci_demo.py checks the committed files equal what
this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit.pipeline import ci, model

HERE = Path(__file__).resolve().parent
PIPELINE_FILE = "pipelines/demo.yaml"
FILES = {"gitlab": "gitlab-ci.yml", "github": "github-deploy.yml"}


def demo_pipeline() -> model.Pipeline:
    """The demo pipeline: one release `web`, three stages in promotion order."""
    return model.Pipeline(
        name="demo",
        source=PIPELINE_FILE,
        releases=(model.Release(name="web", chart="pipelines/demo/charts/web", namespace="web"),),
        stages=(
            model.Stage(name="staging", clusters=(_sim("staging"),)),
            model.Stage(name="qa", clusters=(_sim("qa"),), requires=("staging",)),
            model.Stage(name="production", clusters=(_sim("production"),), requires=("qa",), approval=model.MANUAL),
        ),
    )


def _sim(stage: str) -> model.Cluster:
    return model.Cluster(name="sim", sim_state=f".deploykit/sim/{stage}")


def rendered() -> dict[str, str]:
    """File name -> the text the generator makes of the demo pipeline."""
    pipeline = demo_pipeline()
    return {name: ci.generate(system, pipeline, pipeline_file=PIPELINE_FILE) for system, name in FILES.items()}


def main() -> None:
    for name, text in rendered().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {HERE / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
