"""The inputs of a render, as the command line gives them, turned into values layers.

Owns `RenderOptions` (chart path, values files, --set flags of every kind,
release name, namespace, target Kubernetes version and extra API versions),
the checks on the release name and namespace, `values_paths` (helm-secrets'
`-f secrets://PATH`: PATH, which must be sops-encrypted), and `collect_layers`, which
reads the user's values in Helm's order: each -f file, then --set-json,
--set, --set-string, --set-file, --set-literal. (The secrets work makes -f decrypt
sops-encrypted files here, marking their layers secret.) A -f file that is
sops-encrypted, or declared secret (.sops.yaml rules, a secrets/ folder), is
decrypted in memory by deploykit.secrets (in parallel, once per run, every
leaf registered with the run's redactor) and becomes a secret layer. Any
other value holding sops ciphertext (ENC[...]: stdin, --set*, chart defaults)
is refused: rendered, it would deploy the ciphertext as the value.

Must not: load the chart, merge layers or render (rendering does), or print.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploykit import errors
from deploykit.charts import engines, kinds, kubeapis
from deploykit.frozen import frozen
from deploykit.secrets import ciphertexts
from deploykit.values import loading, setting
from deploykit.values.layers import ValuesLayer

if TYPE_CHECKING:
    from deploykit.charts.clusters import Cluster
    from deploykit.secrets.decrypting import DecryptedFile

DEFAULT_RELEASE = "release-name"
DEFAULT_NAMESPACE = "default"
# Helm's limit: release names end up in object names with suffixes.
MAX_RELEASE_NAME = 53


@frozen
class RenderOptions:
    """Everything a render needs from the user; CLI commands bind their flags into this."""

    chart: str
    values_files: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    set_strings: tuple[str, ...] = ()
    set_files: tuple[str, ...] = ()
    set_json: tuple[str, ...] = ()
    set_literals: tuple[str, ...] = ()
    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    kube_version: str = kubeapis.DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = ()
    revision: int = 1
    is_upgrade: bool = False
    # None: DEPLOYKIT_ALLOW_UNENCRYPTED_SECRETS decides; ignored in CI either way.
    allow_unencrypted_secrets: bool | None = None
    # Helm's --skip-schema-validation: neither values.schema.json nor the Kubernetes schemas are checked.
    skip_schema_validation: bool = False
    # Bounds on the render; None: DEPLOYKIT_RENDER_TIMEOUT / DEPLOYKIT_RENDER_MAX_OUTPUT, else the defaults.
    render_timeout: float | None = None
    render_max_output: int | None = None
    # --template-engine: auto (the chart's annotation, else its syntax), helm (Go templates) or jinja2.
    template_engine: str = engines.AUTO
    # Where Helm's `lookup` reads live objects (plan, upgrade); None: lookup returns nothing, as in `helm template`.
    cluster: Cluster | None = None


def check_identity(options: RenderOptions) -> None:
    """Refuse a release name or namespace the cluster would refuse, before any work."""
    if len(options.release) > MAX_RELEASE_NAME or not kinds.is_dns_subdomain(options.release):
        raise errors.UsageError(
            f"release name {options.release!r} is invalid: at most {MAX_RELEASE_NAME} lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit",
        )
    if len(options.namespace) > 63 or not kinds.is_dns_label(options.namespace):
        raise errors.UsageError(
            f"namespace {options.namespace!r} is invalid: at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit",
        )


SECRETS_SCHEME = "secrets://"


def values_paths(given: Iterable[str]) -> tuple[str, ...]:
    """The -f arguments as files: helm-secrets' `secrets://PATH` is PATH, which must be sops-encrypted.

    A plain file behind secrets:// is refused: its author meant it to be
    encrypted, and deploying it would hide that it is not.
    """
    found = []
    for value in given:
        scheme = value.partition("://")[0] if "://" in value else ""
        if scheme.startswith("secrets+"):
            raise errors.UsageError(
                f"-f {value}: helm-secrets' {scheme}:// (a key imported per file) is not supported",
                hint="import the key once (gpg --import, or SOPS_AGE_KEY_FILE) and give the file as -f secrets://PATH")
        found.append(_encrypted_path(value[len(SECRETS_SCHEME):], given=value) if scheme == "secrets" else value)
    return tuple(found)


def _encrypted_path(path: str, *, given: str) -> str:
    if not path or not Path(path).is_file():
        raise errors.UsageError(f"-f {given}: no such file{'' if path else ' (nothing after secrets://)'}",
                                hint="give the sops-encrypted values file's path after secrets://")
    from deploykit.secrets import metadata  # only for a -f secrets://PATH

    try:
        encrypted = metadata.is_encrypted(Path(path).read_bytes(), fmt=metadata.file_format(path))
    except OSError as exc:
        raise errors.UsageError(f"-f {given}: cannot read: {exc.strerror or exc}") from None
    if not encrypted:
        raise errors.NotEncryptedError(
            f"-f {given}: {path} is not sops-encrypted, but secrets:// says it holds secrets",
            hint=f"encrypt it (`deploykit secrets encrypt --in-place {path}` or `sops -e -i {path}`); "
                 f"if it holds no secret, pass it as -f {path}")
    return path


def collect_layers(options: RenderOptions) -> list[ValuesLayer]:
    """The user's values layers, lowest priority first (chart defaults are not among them)."""
    secret_files = _decrypt_secret_files(options)
    layers = [
        loading.load_mapping(secret_files[path].data, source=path, secret=True)
        if path in secret_files
        else _plain_layer(path)
        for path in options.values_files
    ]
    layers += [_parse_set(expression, kind="json") for expression in options.set_json]
    layers += [_parse_set(expression, kind="set") for expression in options.set_values]
    layers += [_parse_set(expression, kind="string") for expression in options.set_strings]
    layers += [_parse_set(expression, kind="file") for expression in options.set_files]
    layers += [_parse_set(expression, kind="literal") for expression in options.set_literals]
    for layer in layers:
        if not layer.secret:
            refuse_ciphertext(layer.data, source=layer.source)
    return layers


_CIPHERTEXT_HINT = (
    "give the sops-encrypted file's own path with -f: deploykit decrypts it in memory; "
    "if the file's `sops:` block was lost, restore it from git"
)


def _parse_set(expression: str, *, kind: setting.Kind) -> ValuesLayer:
    try:
        return setting.parse_set(expression, kind=kind)
    except errors.ValuesError:
        if kind != "file" and ciphertexts.is_ciphertext(expression):
            # Its commas make a syntax error; the real mistake is the ciphertext.
            raise errors.SecretsError(
                f"{setting.FLAGS[kind]} {expression}: holds sops ciphertext (ENC[...]), which would be deployed as the value",
                hint=_CIPHERTEXT_HINT,
            ) from None
        raise


def refuse_ciphertext(data: Mapping[str, Any], *, source: str, hint: str = _CIPHERTEXT_HINT) -> None:
    """A plain value holding sops ciphertext (stdin, --set-file, chart defaults) would be deployed as the value: refuse it."""
    if not _holds_sops_marker(data):
        return  # no leaf holds `ENC[`, so none is ciphertext: found without naming every leaf's path
    for where, value in ciphertexts.iter_leaves(data):
        if ciphertexts.is_ciphertext(value):
            raise errors.SecretsError(
                f"{source}: {where} holds sops ciphertext (ENC[...]), which would be deployed as the value",
                hint=hint,
            )


_UNMARKED = frozenset({int, float, bool, type(None)})


def _holds_sops_marker(node: Any) -> bool:
    """Whether a leaf (as `ciphertexts.iter_leaves` finds them) is a string holding `ENC[`, as all sops ciphertext does."""
    if isinstance(node, Mapping):
        items: Iterable[Any] = node.values()
    elif isinstance(node, list):
        items = node
    else:
        return isinstance(node, str) and "ENC[" in node
    for item in items:
        kind = type(item)
        if kind is str:
            if "ENC[" in item:
                return True
        elif kind not in _UNMARKED and _holds_sops_marker(item):
            return True
    return False


def _plain_layer(path: str) -> ValuesLayer:
    """A -f file read as plain values; sops ciphertext that reaches here is refused, never rendered."""
    layer = loading.load_file(path)
    sops_metadata = layer.data.get("sops")
    if isinstance(sops_metadata, dict) and "mac" in sops_metadata:
        # Only regular files are decrypted: a pipe or stdin can be read once, and would render ENC[...] as values.
        raise errors.SecretsError(
            f"{path}: sops-encrypted, but not a file deploykit decrypts (a regular .yaml, .yml or .json file; "
            "not a pipe, stdin or process substitution)",
            hint="give the encrypted file's own path with -f: deploykit decrypts it in memory",
        )
    return layer


def _decrypt_secret_files(options: RenderOptions) -> dict[str, DecryptedFile]:
    """The -f files that are sops-encrypted or declared secret, decrypted in parallel, by the path given."""
    if not options.values_files:
        return {}
    from deploykit.secrets import decrypting  # its records and sops only for a render given values files

    wanted = [path for path in dict.fromkeys(options.values_files) if decrypting.needs_decryption(Path(path))]
    if not wanted:
        return {}
    decrypted = decrypting.decrypt_files(
        [Path(path) for path in wanted], allow_unencrypted=options.allow_unencrypted_secrets
    )
    return dict(zip(wanted, decrypted))
