"""Where a release can be reached, from its objects: an annotation, else an Ingress host."""

from deploykit.release import ownership


def _ingress(host: str, tls: bool = False) -> dict:
    spec = {"rules": [{"host": host}]}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "cert"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}, "spec": spec}


def test_environment_url_comes_from_an_annotation_first_then_an_ingress():
    """CI would link the environment to nothing, or to the wrong host."""
    annotated = {"kind": "Service", "metadata": {"annotations": {ownership.ENVIRONMENT_URL: "https://shop.example.com/"}}}
    assert ownership.environment_url([_ingress("web.example.com"), annotated]) == "https://shop.example.com/"
    assert ownership.environment_url([_ingress("web.example.com")]) == "http://web.example.com/"
    assert ownership.environment_url([_ingress("web.example.com", tls=True)]) == "https://web.example.com/"
    assert ownership.environment_url([{"kind": "ConfigMap", "metadata": {}}]) == ""
