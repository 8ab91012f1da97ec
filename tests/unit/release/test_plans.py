"""The plan as data: its JSON form round-trips, a foreign file is refused, and the text reviewers read."""

import json

import pytest

from deploykit import errors
from deploykit.release import plans
from deploykit.release.diffing import FieldChange


def _plan(**overrides):
    operations = (
        plans.Operation("update", "apps/v1", "Deployment", "shop", "web", template="web/templates/d.yaml",
                        changes=(FieldChange("spec.replicas", 2, 3),),
                        drift=(FieldChange("spec.replicas", 2, 0, manager="kubectl"),), live_version="41",
                        digest="hmac-sha256:" + "a" * 32),
        plans.Operation("create", "v1", "ConfigMap", "shop", "extra", digest="hmac-sha256:" + "b" * 32),
        plans.Operation("unchanged", "v1", "Service", "shop", "web", live_version="7"),
        plans.Operation("prune", "v1", "ConfigMap", "shop", "old", live_version="9", reason="no longer in the chart"),
    )
    fields = dict(release="web", namespace="shop", revision=4, chart="web-1.2.0", operations=operations,
                  inputs_digest="hmac-sha256:" + "c" * 32, previous_inputs_digest="hmac-sha256:" + "d" * 32)
    return plans.Plan(**{**fields, **overrides})


def test_plan_round_trips_through_its_json_file():
    """`upgrade --plan FILE` would apply something other than the plan that was saved."""
    plan = _plan()
    assert plans.Plan.from_dict(json.loads(plan.to_json())) == plan


def test_a_file_that_is_not_a_plan_is_refused_with_a_hint():
    """A wrong or damaged --plan file would be applied or crash with a traceback."""
    with pytest.raises(errors.UsageError, match="not a deploykit plan") as caught:
        plans.Plan.from_dict({"schemaVersion": "v0"}, source="plan.json")
    assert "deploykit plan" in caught.value.hint
    with pytest.raises(errors.UsageError, match="damaged plan"):
        plans.Plan.from_dict({"schemaVersion": plans.SCHEMA_VERSION, "release": "web"}, source="plan.json")


def test_described_plan_shows_changes_drift_with_its_manager_and_a_summary():
    """A reviewer would not see what changes, what drifted and who changed it."""
    text = "\n".join(plans.describe(_plan()))
    assert "~ update    Deployment shop/web" in text
    assert "spec.replicas: 2 -> 3" in text
    assert "drift: spec.replicas: 2 -> 0 (changed by kubectl)" in text
    assert "  - prune     ConfigMap shop/old (no longer in the chart)" in text
    assert "Service shop/web" not in text  # unchanged objects are left out
    assert text.endswith("Plan: 1 to create, 1 to update, 1 to prune; drift on 1 object(s).")


def test_empty_plan_with_the_same_inputs_has_no_changes():
    """A no-op upgrade would write a revision."""
    unchanged = (plans.Operation("unchanged", "v1", "Service", "shop", "web"),)
    same = _plan(operations=unchanged, previous_inputs_digest="hmac-sha256:" + "c" * 32)
    assert not same.has_changes
    assert _plan(operations=unchanged).has_changes  # inputs changed: a new revision records them
