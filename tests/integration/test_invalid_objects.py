"""The same invalid objects are refused by `lint`, by `template` and by the simulator, as a real API server refuses them."""

import json

import pytest
from kubernetes import config, dynamic
from kubernetes.client.exceptions import ApiException

import yaml

from tests.integration.invalid_objects import ACCEPTED, CASES

NAMES = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_lint_names_the_file_line_and_field(case, invoke_cli, make_chart):
    """A value the API server refuses would pass lint and fail only at deploy time, in the middle of a roll out."""
    chart = make_chart({"templates/object.yaml": case.manifest})
    done = invoke_cli("lint", str(chart))
    assert done.exit_code == 1, done.stdout + done.stderr
    located = [line for line in done.stdout.splitlines() if line.startswith(f"error: app/templates/object.yaml:{case.line}: ")]
    assert any(f": {case.field}: " in line for line in located), (case.line, case.field, done.stdout)


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_template_refuses_it_and_prints_nothing(case, invoke_cli, make_chart):
    """`template | kubectl apply` would send the cluster an object it refuses, after the objects before it."""
    chart = make_chart({"templates/object.yaml": case.manifest})
    done = invoke_cli("template", str(chart))
    assert done.exit_code == 2
    assert done.stdout == ""
    assert f"app/templates/object.yaml:{case.line}: " in done.stderr and case.field in done.stderr


@pytest.fixture(scope="module")
def sim_client(sim, tmp_path_factory):
    api = config.new_client_from_config(config_file=str(sim.kubeconfig))
    return dynamic.DynamicClient(api, cache_file=str(tmp_path_factory.mktemp("discovery") / "cache.json"))


@pytest.mark.parametrize("how", ["create", "apply"])
@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_simulator_refuses_it_as_kube_apiserver_does(case, how, sim_client, sim_namespace):
    """A chart green on the simulator would be refused by a real cluster, or the message would not be the one users search for."""
    obj = case.obj
    resource = sim_client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    with pytest.raises(ApiException) as refused:
        if how == "create":
            resource.create(body=obj, namespace=sim_namespace)
        else:
            resource.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace=sim_namespace, field_manager="test")
    assert refused.value.status == case.code
    message = json.loads(refused.value.body)["message"]
    assert case.server in message
    with pytest.raises(ApiException) as missing:
        resource.get(name=obj["metadata"]["name"], namespace=sim_namespace)
    assert missing.value.status == 404


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_objects_at_the_edges_pass_lint_and_the_simulator(name, invoke_cli, make_chart, sim_client, sim_namespace):
    """A rule stricter than the API server's would refuse a chart every real cluster accepts."""
    chart = make_chart({"templates/object.yaml": ACCEPTED[name]})
    done = invoke_cli("lint", str(chart))
    assert done.exit_code == 0 and done.stdout == "", done.stdout
    obj = yaml.safe_load(ACCEPTED[name])
    resource = sim_client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    resource.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace=sim_namespace, field_manager="test")


def test_corpus_covers_every_kind_of_rule():
    """A rule added to lint or the simulator alone would drift without a shared case."""
    fields = " ".join(case.field for case in CASES)
    for part in ("restartPolicy", "containerPort", "ports[0].port", "targetPort", "memory", "containers[0].name",
                 "template.metadata.labels", "metadata.labels", "metadata.name", "imagePullPolicy", "protocol", "spec.type"):
        assert part in fields, part
