"""`tpl` errors: a failing secret string is reported by its values path, any other by Jinja's message."""

import pytest

from deploykit import errors
from tests.plugins.charts import render_chart, write_chart

TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "{{ tpl(Values.db.password) }}"\n'
PASSWORD = "Zk{{ 9 f3a91x }}Q"


def render_error(tmp_path, secrets: tuple[str, ...]) -> str:
    chart = write_chart(tmp_path / "app", {"templates/cm.yaml": TEMPLATE})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(chart, {"db": {"password": PASSWORD}}, secrets=secrets)
    return caught.value.message


def test_tpl_failing_on_a_secret_names_its_path_not_its_content(tmp_path):
    """Jinja's syntax error would quote a fragment of the secret (`got 'f3a91x'`)."""
    message = render_error(tmp_path, secrets=(PASSWORD,))
    assert "tpl failed on a secret value: Values.db.password" in message
    assert "cm.yaml:6" in message
    assert "f3a91x" not in message


def test_tpl_failing_on_a_plain_value_keeps_the_jinja_message(tmp_path):
    """A chart author would lose the syntax error that tells them what to fix in a non-secret value."""
    assert "got 'f3a91x'" in render_error(tmp_path, secrets=())
