"""`template` reads and writes the YAML it meets with deploykit's own reader and emitter; PyYAML only for the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.plugins.charts import write_chart

# `python -m deploykit template` in a fresh interpreter, then which of these modules it imported.
_TEMPLATE_AND_LIST_MODULES = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('LOADED', [m for m in ('yaml', 'decimal', 'datetime') if m in sys.modules]))\n"
    "sys.argv = ['deploykit', 'template', 'web', *sys.argv[1:], '-n', 'prod']\n"
    "runpy.run_module('deploykit', run_name='__main__', alter_sys=True)\n"
)
BLOCK_VALUES = """\
replicas: 2
labels:
  tier: web
  team: shop
ports:
  - 80
  - 443
config: |
  listen 80;
  root /srv;
"""
COMMENTED_VALUES = """\
# Defaults for the web chart.
replicas: 2  # pods per zone
labels:  # copied onto every object
  tier: web # the layer
  team: 'shop' # owns it
ports:
  - 80   # http
  - 443  # https
config: |  # nginx.conf
  listen 80;
  root /srv;
"""
FLOW_VALUES = """\
{replicas: 2, labels: {tier: web, team: shop}, ports: [80, 443], config: "listen 80;\\nroot /srv;\\n"}
"""
TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ Release.Name }}
  labels: {{ Values.labels | to_yaml | nindent(4) }}
data:
  nginx.conf: |
    {{- Values.config | nindent(4) }}
  ports: {{ Values.ports | join(",") | quote }}
  replicas: "{{ Values.replicas }}"
  enabled: "yes"
"""
ANCHORED_TEMPLATE = TEMPLATE.replace('  replicas: "{{ Values.replicas }}"\n  enabled: "yes"\n',
                                     '  replicas: &count "{{ Values.replicas }}"\n  enabled: "yes"\n  copies: *count\n')


def _template(chart: Path, *options: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", _TEMPLATE_AND_LIST_MODULES, str(chart), *options],
                          capture_output=True, text=True, timeout=120)
    output, _, loaded = done.stdout.rpartition("LOADED ")
    assert done.returncode == 0 and loaded, done.stderr
    return output, loaded.strip()


def test_template_of_a_block_style_chart_never_imports_pyyaml(tmp_path):
    """Every `template` would pay ~17 ms importing PyYAML (and datetime, decimal) for YAML deploykit reads itself."""
    chart = write_chart(tmp_path / "web", {"values.yaml": BLOCK_VALUES, "templates/config.yaml": TEMPLATE})
    output, loaded = _template(chart)
    assert "kind: ConfigMap" in output and "  team: shop\n" in output
    assert loaded == "[]"


def test_template_with_a_block_style_values_file_never_imports_pyyaml(tmp_path):
    """Every `template -f values.yaml` would pay ~17 ms importing PyYAML for a values file deploykit reads itself."""
    chart = write_chart(tmp_path / "web", {"values.yaml": BLOCK_VALUES, "templates/config.yaml": TEMPLATE})
    (tmp_path / "prod.yaml").write_text("labels:\n  # the team on call\n  team: checkout\nports: [8080]\n")
    output, loaded = _template(chart, "-f", str(tmp_path / "prod.yaml"))
    assert "  team: checkout\n" in output and "ports: '8080'" in output
    assert loaded == "[]"


def test_a_flow_style_values_file_renders_as_its_block_twin(tmp_path):
    """A values.yaml written in flow style (`{a: {b: 1}}`) would render differently, or fail, without PyYAML."""
    block, _ = _template(write_chart(tmp_path / "block", {"values.yaml": BLOCK_VALUES, "templates/config.yaml": TEMPLATE}))
    flow, loaded = _template(write_chart(tmp_path / "flow", {"values.yaml": FLOW_VALUES, "templates/config.yaml": TEMPLATE}))
    assert "'yaml'" in loaded  # the fallback read it
    assert flow == block and "  tier: web\n" in flow


def test_an_anchor_in_a_template_renders_as_the_value_it_names(tmp_path):
    """A template using `&anchor` / `*alias` would lose the aliased value, or fail, without PyYAML."""
    plain = TEMPLATE.replace('  enabled: "yes"\n', '  enabled: "yes"\n  copies: "{{ Values.replicas }}"\n')
    expected, _ = _template(write_chart(tmp_path / "plain", {"values.yaml": BLOCK_VALUES, "templates/config.yaml": plain}))
    anchored, loaded = _template(write_chart(tmp_path / "anchored", {"values.yaml": BLOCK_VALUES,
                                                                     "templates/config.yaml": ANCHORED_TEMPLATE}))
    assert "'yaml'" in loaded
    assert anchored == expected and "  copies: '2'\n" in anchored


def test_template_with_inline_comments_in_values_never_imports_pyyaml(tmp_path):
    """Charts and CI values files with `key: value  # note` would pay ~17 ms importing PyYAML on every template."""
    overrides = "labels:\n  team: checkout  # on call\nports: [8080]  # one port\n"
    commented = write_chart(tmp_path / "commented", {"values.yaml": COMMENTED_VALUES, "templates/config.yaml": TEMPLATE})
    (tmp_path / "commented.yaml").write_text(overrides)
    plain = write_chart(tmp_path / "plain", {"values.yaml": BLOCK_VALUES, "templates/config.yaml": TEMPLATE})
    (tmp_path / "plain.yaml").write_text(overrides.replace("  # on call", "").replace("  # one port", ""))
    output, loaded = _template(commented, "-f", str(tmp_path / "commented.yaml"))
    expected, _ = _template(plain, "-f", str(tmp_path / "plain.yaml"))
    assert loaded == "[]"
    assert output == expected and "  team: checkout\n" in output and "listen 80;" in output
