"""Label and field selector parsing and matching, with the API server's error wording."""

from __future__ import annotations

import pytest

from deploykit.sim import selectors, statuses


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app in (web, db)", {"app": "db"}, True),
        ("app in (web,db)", {"app": "cache"}, False),
        ("app notin (web)", {"app": "db"}, True),
        ("app notin (web)", {}, True),
        ("app", {"app": ""}, True),
        ("app", {}, False),
        ("!app", {}, True),
        ("!app", {"app": "x"}, False),
        ("app=web,tier", {"app": "web", "tier": "a"}, True),
        ("app=web,tier", {"app": "web"}, False),
        ("n>3", {"n": "5"}, True),
        ("n<3", {"n": "5"}, False),
        ("example.com/team=a", {"example.com/team": "a"}, True),
        ("", {"anything": "x"}, True),
    ],
)
def test_label_selector_matches_like_the_api_server(text, labels, expected):
    """`kubectl get -l` style selectors select the same objects as on a real cluster."""
    assert selectors.parse_labels(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["app in (web", "app=web,", "=web", "app in web", "bad key!=x", "n>x"])
def test_malformed_label_selector_is_bad_request(text):
    """A malformed selector is a 400 BadRequest that says it could not parse the requirement."""
    with pytest.raises(statuses.ApiError) as caught:
        selectors.parse_labels(text)
    assert caught.value.code == 400
    assert caught.value.message.startswith("unable to parse requirement")


def test_label_selector_rejects_invalid_value():
    """A label value with a space is refused with the label-value rule in the message."""
    with pytest.raises(statuses.ApiError) as caught:
        selectors.parse_labels("app=a b")
    assert caught.value.code == 400


def test_match_expressions_form_matches_like_a_controller():
    """metav1.LabelSelector matchLabels + matchExpressions select as controllers do."""
    selector = selectors.from_label_selector(
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}]}
    )
    assert selector.matches({"app": "web", "track": "stable"})
    assert not selector.matches({"app": "web", "track": "canary"})
    assert not selectors.from_label_selector(None).matches({"app": "web"})


def test_selector_renders_as_query_string():
    """Scale.status.selector shows the selector in query syntax."""
    assert selectors.to_string({"matchLabels": {"b": "2", "a": "1"}}) == "a=1,b=2"


def test_field_selector_on_pod_phase():
    """status.phase selects pods by phase, as `kubectl get pods --field-selector` does."""
    fs = selectors.parse_fields("status.phase=Running,metadata.name!=x", key=("", "pods"))
    assert fs.matches({"metadata": {"name": "a"}, "status": {"phase": "Running"}})
    assert not fs.matches({"metadata": {"name": "x"}, "status": {"phase": "Running"}})


def test_field_selector_on_event_involved_object():
    """involvedObject.* selects the events of one object."""
    fs = selectors.parse_fields("involvedObject.kind=Pod,involvedObject.name=web-1", key=("", "events"))
    assert fs.matches({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "web-1"}})
    assert not fs.matches({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "web-2"}})


def test_unsupported_field_is_refused_with_the_real_message():
    """An unknown field label gives 400 `field label not supported: <label>`."""
    with pytest.raises(statuses.ApiError) as caught:
        selectors.parse_fields("spec.replicas=3", key=("apps", "deployments"))
    assert (caught.value.code, caught.value.message) == (400, "field label not supported: spec.replicas")
