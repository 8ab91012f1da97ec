"""The Jinja2 environment of a chart tree: loader, name resolution, caches.

Owns: one sandboxed environment per chart tree (keyed by the tree's content digest and
reused across renders in a process), whose loader serves only the tree's
templates from memory under virtual names (`web/templates/deployment.yaml`,
`web/charts/common/templates/_labels.j2`); how `import`/`include` names are
resolved relative to the importing chart (its own templates, `templates/...`,
or `<dependency name or alias>/...` for a dependency's templates; `..` and
absolute paths are refused); StrictUndefined that names the missing value
path; dict keys before dict methods for `Values.x`; and the on-disk bytecode
cache ($DEPLOYKIT_CACHE_DIR/jinja, else $XDG_CACHE_HOME/deploykit/jinja,
else ~/.cache/deploykit/jinja) so a new process does not recompile.

Must not: read anything but the cache folder, or render (rendering does).
"""

from __future__ import annotations

import collections
import hashlib
import io
import marshal
import os
import pickle
import sys
import threading
import types
from typing import Any, Callable, Iterator

import jinja2
import jinja2.bccache
import jinja2.sandbox

from deploykit.charts import compiledbundles, helpers, limits
from deploykit.charts.chart import Chart
from deploykit.charts.context import ChartInfo, KubeVersion, ReleaseInfo, TemplateInfo, ValuesDict, ValuesList, child_path

# Compiled code depends on these: they are part of the bytecode cache folder name.
OPTIONS: dict[str, Any] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "autoescape": False,
    "extensions": ("jinja2.ext.do", "jinja2.ext.loopcontrols"),
}
_MAX_ENVIRONMENTS = 8


class TemplatePathError(helpers.TemplateFailure):
    """An `import`/`include` named a path outside the chart."""


class PathUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose message names the full value path (`Values.image.tag`)."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        owner = self._undefined_obj
        if isinstance(owner, (ValuesDict, ValuesList)):
            return f"{child_path(owner.values_path, self._undefined_name)} is not defined"
        return super()._undefined_message


# The context's own records hold only plain public data in their instance dict, and an imported template's
# instance dict holds what it exports (its macros and top-level variables): reading those needs no sandbox check.
_MISSING = object()
_OPEN_INSTANCES = frozenset({ReleaseInfo, ChartInfo, KubeVersion, TemplateInfo, jinja2.environment.TemplateModule})
_EXTENSIONS_LOADING = threading.Lock()


class ChartEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """The sandboxed environment of one chart tree: dict keys before dict methods, chart-relative names."""

    # Output is held to the render's budget (limits), and so is `*`: `'x' * 10**10` must not be made.
    concat = staticmethod(limits.concat)
    intercepted_binops = frozenset({"*"})

    chart_imports: dict[str, dict[str, str]]
    tpl_cache: dict[str, jinja2.Template]
    # Resolved name -> the name a template asked for, so "not found" can quote the author.
    requested: dict[str, str]

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        # `Values.items` is the key `items` when there is one, the dict method otherwise.
        if kind is ValuesDict:
            value = dict.get(obj, attribute, _MISSING)
            if value is not _MISSING:
                nested = type(value)
                return obj[attribute] if nested is dict or nested is list else value
        elif kind in _OPEN_INSTANCES and attribute[:1] != "_":
            # `Release.Name`, `h.labels`: a field or an export, nothing internal; methods and the rest go to the sandbox.
            value = obj.__dict__.get(attribute, _MISSING)
            if value is not _MISSING:
                return value
        return super().getattr(obj, attribute)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        # A template's own macro called with all its arguments: Jinja's general path (sandbox check, context
        # passing, argument matching) costs more than the call, and every chart calls its helper macros a lot.
        if type(__obj) is jinja2.runtime.Macro and not __context.eval_ctx.autoescape:
            if kwargs:  # a call in a loop or block passes its variables, which a template's own macro does not take
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            if (not kwargs and len(args) == __obj._argument_count and not __obj.caller
                    and not __obj.catch_varargs and not __obj.catch_kwargs):
                try:
                    return __obj._func(*args)
                except StopIteration:  # as Jinja: a callable's StopIteration is an undefined value, not the loop's end
                    return __self.undefined("value was undefined because a callable raised a StopIteration exception")
        return super().call(__context, __obj, *args, **kwargs)

    def iter_extensions(self) -> Iterator[Any]:
        # Every parse asks for the extensions (Parser, preprocess, _tokenize); they only add tags to the parser, so
        # they are loaded by the first parse: a render served from compiled code never imports jinja2.ext (~2 ms).
        if not self.extensions:
            with _EXTENSIONS_LOADING:
                if not self.extensions:
                    self.extensions = jinja2.environment.load_extensions(self, OPTIONS["extensions"])
        return super().iter_extensions()

    def make_globals(self, d: Any) -> dict[str, Any]:
        # A plain dict, not Jinja's ChainMap over the environment's globals: every render and every `import`
        # copies a template's globals into a new context, and a ChainMap is copied key by key in Python. The
        # environment's globals are complete before its first template is loaded (environment_for).
        return {**self.globals, **d} if d else dict(self.globals)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            limits.check_repeat(left, right)
        return super().call_binop(context, operator, left, right)

    def join_path(self, template: str, parent: str) -> str:
        if template.startswith("/") or ".." in template.split("/"):
            raise TemplatePathError(f"{template!r} is outside the chart: templates may only import or include the chart's own templates and its dependencies")
        owner = self._owner(parent)
        if owner is None:
            return template
        head, _, rest = template.partition("/")
        own_key = owner.rsplit("/", 1)[-1]
        if head == "templates" and rest:
            resolved = f"{owner}/templates/{rest}"
        elif head in self.chart_imports[owner] and rest:
            resolved = f"{self.chart_imports[owner][head]}/templates/{rest}"
        elif head == own_key and rest:
            resolved = f"{owner}/templates/{rest}"
        else:
            resolved = f"{owner}/templates/{template}"
        self.requested[resolved] = template
        return resolved

    def _owner(self, parent: str | None) -> str | None:
        if not parent:
            return None
        best = None
        for prefix in self.chart_imports:
            if parent.startswith(prefix + "/templates/") and (best is None or len(prefix) > len(best)):
                best = prefix
        return best


class _Loader(jinja2.BaseLoader):
    """Serves the chart tree's templates from memory; nothing else exists. Compiled code comes from the tree's
    bundle, else from Jinja's per-template cache file, else the compiler (and then goes into the bundle)."""

    def __init__(self, sources: dict[str, str], bundle: compiledbundles.Bundle) -> None:
        self.sources = sources
        self.bundle = bundle

    def load(self, environment: jinja2.Environment, name: str, globals: Any = None) -> jinja2.Template:  # noqa: A002 - Jinja's name
        try:
            source = self.sources[name]
        except KeyError:
            raise jinja2.TemplateNotFound(name) from None
        text_checksum = compiledbundles.checksum(source)
        code = self.bundle.code(name, text_checksum)
        if code is None:
            cache = environment.bytecode_cache
            bucket = cache.get_bucket(environment, name, name, source) if cache is not None else None
            code = bucket.code if bucket is not None else None
            if code is None:
                code = environment.compile(source, name, name)
                if bucket is not None and cache is not None:
                    bucket.code = code
                    cache.set_bucket(bucket)
            self.bundle.add(name, text_checksum, code)
        return environment.template_class.from_code(environment, code, {} if globals is None else globals, _always_current)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            source = self.sources[template]
        except KeyError:
            raise jinja2.TemplateNotFound(template) from None
        return source, template, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.sources)


def _always_current() -> bool:
    return True  # the sources are the loaded chart's, in memory: they never change under a template


def tree_prefixes(chart: Chart, prefix: str | None = None) -> dict[str, Chart]:
    """Virtual prefix -> chart, for the chart and every subchart (enabled or not)."""
    prefix = prefix or chart.name
    found = {prefix: chart}
    for sub in chart.subcharts:
        found.update(tree_prefixes(sub.chart, f"{prefix}/charts/{sub.key}"))
    return found


def cache_dir() -> str:
    """Where compiled templates are kept between processes."""
    base = os.environ.get("DEPLOYKIT_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "deploykit")
    # Intercepted operators are compiled into the code, like the options.
    flavour = hashlib.sha256(
        repr((sorted(OPTIONS.items()), sorted(ChartEnvironment.intercepted_binops), jinja2.__version__, sys.version_info[:2])).encode()
    ).hexdigest()[:12]
    return os.path.join(base, "jinja", flavour)


class _NoGlobals(pickle.Unpickler):
    """Reads the pickled checksum of a cache file and nothing that names a class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} in a template cache file")


def compiled_code(data: bytes, checksum: str) -> types.CodeType | None:
    """The compiled template in a cache file's bytes if they are Jinja's format for this Python and were
    compiled from the source whose checksum is `checksum` (sha1 of the text); else None (recompile)."""
    magic = jinja2.bccache.bc_magic
    if not data.startswith(magic):
        return None  # another Jinja cache format or Python version, or not a cache file
    stream = io.BytesIO(data)
    stream.seek(len(magic))
    try:
        if _NoGlobals(stream).load() != checksum:
            return None  # compiled from another text: the template changed
        code = marshal.loads(data[stream.tell():])
    except Exception:  # noqa: BLE001 - a damaged file (truncated, garbage) is a miss, never a failed render
        return None
    return code if isinstance(code, types.CodeType) else None


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, each file read whole (marshal.load on an open file reads it in tiny pieces, three
    times slower) and checked by `compiled_code`: a damaged or foreign file is recompiled, not fatal."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self._get_cache_filename(bucket), "rb") as handle:
                data = handle.read()
        except OSError:
            return
        bucket.code = compiled_code(data, bucket.checksum)


def _usable_cache_dir() -> str | None:
    directory = cache_dir()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return None  # a read-only home must not stop a render; it only costs compile time
    if not os.access(directory, os.W_OK):
        return None
    return directory


_environments: collections.OrderedDict[tuple[str, str], jinja2.Environment] = collections.OrderedDict()


def environment_for(chart: Chart) -> jinja2.Environment:
    """The environment for this chart tree; the same object while its content is unchanged."""
    key = (chart.digest, cache_dir())
    environment = _environments.get(key)
    if environment is not None:
        _environments.move_to_end(key)
        return environment
    prefixes = tree_prefixes(chart)
    sources = {f"{prefix}/templates/{name}": text for prefix, tree in prefixes.items() for name, text in tree.templates.items()}
    directory = _usable_cache_dir()
    environment = ChartEnvironment(
        loader=_Loader(sources, compiledbundles.Bundle(directory, sources)),
        undefined=PathUndefined,
        auto_reload=False,
        cache_size=-1,
        bytecode_cache=_BytecodeCache(directory) if directory else None,
        **{k: v for k, v in OPTIONS.items() if k != "extensions"},  # loaded by the first parse (iter_extensions)
    )
    environment.chart_imports = {prefix: {sub.key: f"{prefix}/charts/{sub.key}" for sub in tree.subcharts} for prefix, tree in prefixes.items()}
    environment.tpl_cache = {}
    environment.requested = {}
    environment.filters.update(helpers.FILTERS)
    environment.globals.update(helpers.FUNCTIONS)
    _environments[key] = environment
    while len(_environments) > _MAX_ENVIRONMENTS:
        _environments.popitem(last=False)
    return environment


def save_compiled(chart: Chart) -> None:
    """Write the compiled templates of this chart tree's environment to its bundle, if any were compiled."""
    environment = _environments.get((chart.digest, cache_dir()))
    if environment is not None:
        environment.loader.bundle.save()  # type: ignore[union-attr]
