"""Fetching a chart's dependencies from chart repositories and OCI registries, with Helm's own code.

Owns: `update` (resolve Chart.yaml's constraints, download into charts/, write
Chart.lock), `build` (download what Chart.lock pins) and `listing` (each
dependency and its status), through helm-python-sdk, which runs Helm 4's
downloader.Manager; so charts/*.tgz and Chart.lock are exactly what `helm
dependency update|build` writes. helm_python is imported inside these
functions only: nothing else in deploykit loads it for a Jinja2 chart.

helm-python-sdk registers the chart's https:// repositories in a private
repositories.yaml, so what Helm takes from the user's repositories.yaml
($HELM_REPOSITORY_CONFIG) is done here, in a copy of the chart beside it:
`@name` / `alias:name` repositories are written as their URL (the lock then
holds the URL, as Helm's does), and a repository whose entry carries
credentials or TLS files as a loopback proxy that fetches with them
(repoproxy.py); the lock comes back with the real URLs.
OCI registries are logged in to through Helm's registry config
(<config home>/registry/config.json, where `helm registry login` writes).

Must not: print or keep a credential; leave the copy behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from deploykit import errors
from deploykit.charts import helmconfig, lockfile, repoproxy
from deploykit.report import saving

# Messages of a repository or registry that did not answer (as opposed to one that answered "no").
_UNREACHABLE = re.compile(r"dial tcp|no such host|connection refused|i/o timeout|timeout awaiting|TLS handshake|"
                          r"certificate|server gave HTTP response|EOF|network is unreachable|connection reset")
# ... and of one that answered but refused (no login, wrong login, no access).
_REFUSED = re.compile(r"credential not found|unauthorized|denied|forbidden|\b40[13]\b", re.IGNORECASE)
_PRIVATE_NAME = re.compile(r'"helm-c-dep-(\d+)"')


def _chart_folder(chart: str) -> Path:
    path = Path(chart)
    if not path.is_dir():
        raise errors.ChartError(f"{chart}: not a chart folder (dependencies are fetched into an unpacked chart only)",
                                hint="give the folder holding Chart.yaml")
    if not (path / "Chart.yaml").is_file():
        raise errors.ChartError(f"{chart}: no Chart.yaml, so this is not a chart",
                                hint="give the folder holding Chart.yaml")
    return path


def _declared(folder: Path) -> tuple[Path, dict, list[dict]]:
    """The file declaring the dependencies (Chart.yaml, or requirements.yaml for v1), its data and its entries."""
    meta = _yaml_file(folder / "Chart.yaml")
    source = folder / "requirements.yaml" if meta.get("apiVersion") == "v1" else folder / "Chart.yaml"
    data = _yaml_file(source) if source.is_file() else {}
    entries = data.get("dependencies") or []
    return source, data, [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _yaml_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise errors.ChartError(f"{path}: cannot be read as YAML ({type(exc).__name__})",
                                hint=f"run `deploykit lint {path.parent}` to see where") from None
    return data if isinstance(data, dict) else {}


def _warn_registry_config(entries: list[dict], warn: Callable[[str], None]) -> None:
    default = helmconfig.config_home() / "registry" / "config.json"
    if any(str(e.get("repository") or "").startswith("oci://") for e in entries) and helmconfig.registry_config() != default:
        warn(f"warning: HELM_REGISTRY_CONFIG ({helmconfig.registry_config()}) is not read by helm-python-sdk; "
             f"registry logins are read from {default} (set HELM_CONFIG_HOME to move it)")


def _resolved(source: Path, entries: list[dict]) -> list[str]:
    """Each entry's repository with `@name` / `alias:name` replaced by its URL from repositories.yaml."""
    found = []
    for entry in entries:
        repository = str(entry.get("repository") or "")
        url = helmconfig.resolve_alias(repository) if helmconfig.alias_name(repository) is not None else repository
        if url is None:
            raise errors.ChartError(
                f"{source}: dependency {entry.get('name')!r}: repository {repository!r} names no repository "
                f"in {helmconfig.repository_config()}",
                hint=f"add it (`helm repo add {helmconfig.alias_name(repository)} URL`), or write its URL in {source.name}",
            )
        found.append(url)
    return found


@contextlib.contextmanager
def _working_copy(folder: Path, source: Path, data: dict, resolved: list[str]) -> Iterator[tuple[Path, dict[str, str], list[str]]]:
    """The folder Helm works on, {stand-in URL: real URL}, and why the proxy's upstream requests failed.

    `folder` itself when Helm can take the chart as it is; otherwise a copy
    beside it (file://../x must resolve the same) where `@name` repositories
    are written as their URL and repositories needing credentials as the
    loopback proxy's; its Chart.lock and charts/*.tgz are copied back, the
    lock with the real URLs.
    """
    entries = [e for e in data.get("dependencies") or [] if isinstance(e, dict)]
    with contextlib.ExitStack() as stack:
        proxy = None
        stand_ins: dict[str, str] = {}  # real URL -> proxy URL
        for url in resolved:
            entry = helmconfig.entry_for(url) if url.startswith(("http://", "https://")) else None
            if url not in stand_ins and repoproxy.needs_proxy(entry):
                proxy = proxy or stack.enter_context(repoproxy.RepositoryProxy())
                stand_ins[url] = proxy.add(url, entry)  # type: ignore[arg-type]
        if not stand_ins and resolved == [str(e.get("repository") or "") for e in entries]:
            yield folder, {}, []
            return
        required = [{**e, "repository": url} for e, url in zip(entries, resolved)]
        proxied = [{**e, "repository": stand_ins.get(url, url)} for e, url in zip(entries, resolved)]
        copy = Path(tempfile.mkdtemp(prefix=f".{folder.resolve().name}.deploykit-", dir=folder.resolve().parent))
        try:
            shutil.copytree(folder, copy, dirs_exist_ok=True, symlinks=True)
            (copy / source.name).write_text(yaml.safe_dump({**data, "dependencies": proxied}, sort_keys=False), encoding="utf-8")
            lock = _lock_path(copy)
            if lock is not None and stand_ins:
                text = lock.read_text(encoding="utf-8")
                current = _digest_of(text) == lockfile.digest(required, _entries_of(text))
                lock.write_text(lockfile.relocated(text, stand_ins, proxied if current else None), encoding="utf-8")
            yield copy, {proxy_url: url for url, proxy_url in stand_ins.items()}, proxy.failures if proxy else []
            _copy_back(copy, folder, {proxy_url: url for url, proxy_url in stand_ins.items()}, required)
        finally:
            shutil.rmtree(copy, ignore_errors=True)


def _lock_path(folder: Path) -> Path | None:
    for name in ("Chart.lock", "requirements.lock"):
        if (folder / name).is_file():
            return folder / name
    return None


def _digest_of(text: str) -> str:
    data = yaml.safe_load(text)
    return str(data.get("digest") or "") if isinstance(data, dict) else ""


def _entries_of(text: str) -> list[dict]:
    data = yaml.safe_load(text)
    return (data.get("dependencies") or []) if isinstance(data, dict) else []


def _copy_back(copy: Path, folder: Path, real_urls: dict[str, str], required: list[dict]) -> None:
    """Bring the fetched archives and the lock back into the user's chart, each file whole or not at all
    (report/saving.py): the new archives first, then the stale ones removed, the lock last, so a job killed
    midway never leaves a lock naming archives that are not there."""
    fetched = {p.name for p in (copy / "charts").glob("*.tgz")} if (copy / "charts").is_dir() else set()
    (folder / "charts").mkdir(exist_ok=True)
    for name in sorted(fetched):
        saving.save(folder / "charts" / name, (copy / "charts" / name).read_bytes())
    for old in (folder / "charts").glob("*.tgz"):
        if old.name not in fetched:
            old.unlink()
    lock = _lock_path(copy)
    if lock is not None:
        text = lockfile.relocated(lock.read_text(encoding="utf-8"), real_urls, required) if real_urls else lock.read_text(encoding="utf-8")
        mine = folder / lock.name
        if not (mine.is_file() and _digest_of(mine.read_text(encoding="utf-8")) == _digest_of(text)):
            saving.save(mine, text)  # Helm leaves a lock whose digest did not change as it is


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _run(action: str, chart: str, options: dict[str, Any], *, echo: Callable[[str], None], warn: Callable[[str], None]) -> None:
    folder = _chart_folder(chart)
    source, data, entries = _declared(folder)
    resolved = _resolved(source, entries)
    _warn_registry_config(entries, warn)
    import helm_python

    handler = _Lines()
    logger = logging.getLogger("deploykit.helm")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    helm_python.enable_logging(logging.INFO, logger)
    real_urls: dict[str, str] = {}
    try:
        with _working_copy(folder, source, data, resolved) as (workdir, real_urls, failures):
            try:
                getattr(helm_python, f"dependency_{action}")(os.fspath(workdir), **options)
            except helm_python.HelmError as exc:
                lines = [_named(line, resolved, real_urls) for line in handler.lines]
                message = _named(getattr(exc, "detail", None) or str(exc), resolved, real_urls)
                lines = lines + [f"\t{failure}" for failure in failures[-1:]]
                raise _translated(message, lines, chart=chart, action=action) from None
    finally:
        helm_python.disable_logging()
        logger.removeHandler(handler)
    for line in handler.lines:
        echo(_named(line, resolved, real_urls))


def _named(line: str, repositories: list[str], real_urls: dict[str, str]) -> str:
    """A Helm line with the SDK's private repository names and the proxy's URLs replaced by the real URLs."""
    def url(match: re.Match) -> str:
        index = int(match.group(1))
        return f'"{repositories[index]}"' if index < len(repositories) else match.group(0)

    line = _PRIVATE_NAME.sub(url, line)
    for stand_in, real in real_urls.items():
        line = line.replace(stand_in, real)
    return line


def _translated(message: str, lines: list[str], *, chart: str, action: str) -> errors.ChartError:
    for index, line in enumerate(lines):
        if "Unable to get an update from the" in line:  # Helm logs why an index could not be fetched, then fails vaguely
            reason = "; ".join(extra.strip() for extra in lines[index + 1:] if extra.startswith("\t"))
            found = re.search(r"\((\S+)\):", line)
            where = found.group(1) if found else "a chart repository"
            return errors.ChartRepositoryError(
                f"{chart}: could not get index.yaml from chart repository {where}: {reason}",
                hint=f"check the URL in {chart}/Chart.yaml and that the repository serves index.yaml, then run `deploykit dependency {action} {chart}` again",
            )
    if _REFUSED.search(message):
        return errors.ChartRepositoryError(
            f"{chart}: a dependency's registry or repository refused the request: {message}",
            hint=f"log in as Helm does (`helm registry login HOST` writes {helmconfig.config_home()}/registry/config.json; "
            f"repository credentials go in {helmconfig.repository_config()}), then try again",
        )
    if _UNREACHABLE.search(message):
        return errors.ChartRepositoryError(
            f"{chart}: a dependency's repository or registry cannot be reached: {message}",
            hint=f"check the repository URLs in {chart}/Chart.yaml (and `helm registry login` for a private registry), then try again",
        )
    if "out of sync" in message:
        return errors.ChartError(f"{chart}/Chart.lock is out of date with {chart}/Chart.yaml: {message}",
                                 hint=f"run `deploykit dependency update {chart}` to resolve the dependencies again and rewrite the lock")
    return errors.ChartError(f"{chart}: dependency {action} failed: {message}",
                             hint=f"run `deploykit dependency list {chart}` to see each dependency and its status")


def update(chart: str, *, skip_refresh: bool = False, keyring: str | None = None, verify: bool = False,
           plain_http: bool = False, echo: Callable[[str], None] = print, warn: Callable[[str], None] = print) -> None:
    """`helm dependency update CHART`: resolve, download into charts/, write Chart.lock."""
    _run("update", chart, {"skip_refresh": skip_refresh, "keyring": keyring, "verify": verify, "plain_http": plain_http},
         echo=echo, warn=warn)


def build(chart: str, *, skip_refresh: bool = False, keyring: str | None = None, verify: bool = False,
          plain_http: bool = False, echo: Callable[[str], None] = print, warn: Callable[[str], None] = print) -> None:
    """`helm dependency build CHART`: download what Chart.lock pins (an update when there is no lock)."""
    _run("build", chart, {"skip_refresh": skip_refresh, "keyring": keyring, "verify": verify, "plain_http": plain_http},
         echo=echo, warn=warn)


def listing(chart: str) -> list[dict[str, str]]:
    """`helm dependency list CHART`: name, version constraint, repository and status of each declared dependency."""
    if not Path(chart).exists():
        raise errors.ChartError(f"{chart}: no such chart folder or archive", hint="give the folder holding Chart.yaml")
    import helm_python

    try:
        return [{key: str(row.get(key) or "") for key in ("name", "version", "repository", "status")}
                for row in helm_python.dependency_list(os.fspath(chart))]
    except helm_python.HelmError as exc:
        raise errors.ChartError(f"{chart}: cannot list dependencies: {getattr(exc, 'detail', None) or exc}",
                                hint=f"run `deploykit lint {chart}` to see what is wrong with the chart") from None
