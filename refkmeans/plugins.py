"""The plugin host: loads plugins and keeps what they register in registries by name.

Built-in plugins (``DEFAULT_PLUGINS``) are always on.  Third-party plugins
come from the ``refkmeans`` entry-point group; each is loaded on its own, so
one that fails is reported (with its name and version) and the rest work.
``REFKMEANS_LOAD_PLUGINS`` restricts them: a comma-separated list of
entry-point names, or empty for none.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from functools import partial
from importlib import metadata
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import pluggy

from . import hookspecs, missing
from .codec import Codec
from .errors import PluginError, RefKMeansError, UsageError
from .metric import Metric, declaration_problem

ENTRY_POINT_GROUP = "refkmeans"
LOAD_ENV = "REFKMEANS_LOAD_PLUGINS"

#: Modules registered on every plugin manager; they cannot be disabled.
DEFAULT_PLUGINS = (
    "refkmeans.builtin.initializers",
    "refkmeans.builtin.restarts",
    "refkmeans.builtin.metrics",
    "refkmeans.builtin.netpbm",
    "refkmeans.builtin.gif",
)


class PluginFailure:
    """A plugin that could not be used, and why."""

    def __init__(self, name: str, version: str, message: str) -> None:
        self.name = name
        self.version = version
        self.message = message

    def __str__(self) -> str:
        return f"plugin {self.name} {self.version}: {self.message}".replace("  ", " ")

    def __repr__(self) -> str:
        return f"PluginFailure({self.name!r}, {self.version!r}, {self.message!r})"


@contextlib.contextmanager
def plugin_output() -> Iterator[None]:
    """While plugin code runs, what it prints goes to stderr: stdout carries only refkmeans's own output."""
    if sys.stdout is sys.stderr or sys.stderr is None:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def exit_message(exc: SystemExit) -> str:
    """How a plugin's ``sys.exit(code)`` is reported: it is a failure, whatever the code."""
    return f"called sys.exit({exc.code!r})"


class Entry:
    """One registered thing: its name, the object, and the plugin it came from."""

    def __init__(self, name: str, obj: Any, plugin: str, description: str = "") -> None:
        self.name = name
        self.obj = obj
        self.plugin = plugin
        self.description = description

    def __repr__(self) -> str:
        return f"Entry({self.name!r} from {self.plugin!r})"


def get_plugin_manager(
    load_entrypoints: bool = True, extra_plugins: Sequence[Any] = ()
) -> Tuple[pluggy.PluginManager, List[PluginFailure], Dict[str, str]]:
    """A plugin manager with the built-ins, the installed plugins and ``extra_plugins``.

    ``extra_plugins`` are modules or objects with hook implementations,
    registered as if installed (handy in tests and notebooks).  Returns the
    manager, the plugins that failed to load, and a map from plugin name to
    distribution version.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    versions: Dict[str, str] = {}
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        versions[module_name] = "builtin"
    failures: List[PluginFailure] = []
    if load_entrypoints:
        _load_entry_points(pm, failures, versions)
    for plugin in extra_plugins:
        name = pm.register(plugin, name=getattr(plugin, "__name__", None))
        versions[str(name)] = "local"
    _leave_out_unknown_hooks(pm, failures, versions)
    return pm, failures, versions


def _leave_out_unknown_hooks(pm: pluggy.PluginManager, failures: List[PluginFailure], versions: Dict[str, str]) -> None:
    """A plugin implementing a hook this version does not have (a typo, or written for a newer
    version) is reported and unregistered; the others keep working."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = str(pm.get_name(exc.plugin))
            pm.unregister(exc.plugin)
            failures.append(
                PluginFailure(name, versions.pop(name, ""), f"implements a hook that does not exist: {exc}")
            )


def _allowed_names() -> Optional[List[str]]:
    value = os.environ.get(LOAD_ENV)
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def _entry_points() -> Iterable[Tuple[Any, str]]:
    """(entry point, distribution version) for the group, each name once."""
    seen = set()
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP and ep.name not in seen:
                seen.add(ep.name)
                yield ep, dist.version


def _load_entry_points(pm: pluggy.PluginManager, failures: List[PluginFailure], versions: Dict[str, str]) -> None:
    allowed = _allowed_names()
    for ep, version in sorted(_entry_points(), key=lambda item: item[0].name):
        if allowed is not None and ep.name not in allowed:
            continue
        try:
            with plugin_output():
                plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except SystemExit as exc:
            failures.append(PluginFailure(ep.name, version, f"failed to load: it {exit_message(exc)}"))
            continue
        except Exception as exc:  # a broken plugin must not take the others down
            failures.append(PluginFailure(ep.name, version, f"failed to load: {type(exc).__name__}: {exc}"))
            continue
        versions[ep.name] = version


class Registry:
    """Initializers, metrics and codecs by name, gathered from every plugin."""

    def __init__(self, load_entrypoints: bool = True, extra_plugins: Sequence[Any] = ()) -> None:
        with plugin_output():
            self.plugin_manager, self.failures, self.versions = get_plugin_manager(load_entrypoints, extra_plugins)
            self.initializers: Dict[str, Entry] = {}
            self.metrics: Dict[str, Entry] = {}
            self.codecs: Dict[str, Entry] = {}
            hook = self.plugin_manager.hook
            self._collect(hook.refkmeans_register_initializers, self.initializers, "initializer", _check_initializer)
            self._collect(hook.refkmeans_register_metrics, self.metrics, "metric", _check_metric)
            self._collect(hook.refkmeans_register_codecs, self.codecs, "codec", _check_codec)
        #: Claims that clash (an extension two codecs claim, a sniff that takes
        #: any data), each a one-line note saying who keeps what.
        self.conflicts: List[str] = []
        self._indiscriminate = {e.name for e in self.codecs.values() if _sniffs_anything(e.obj)}
        for name in sorted(self._indiscriminate):
            entry = self.codecs[name]
            self.conflicts.append(
                f"codec {name!r} from {entry.plugin} recognises any data (its sniff accepts an empty file); "
                "it reads only files it is named for"
            )
        self._report_shared_extensions()

    def _collect(self, hook: Any, table: Dict[str, Entry], kind: str, check: Callable[..., Entry]) -> None:
        # Call each plugin on its own: a plugin that fails in its hook (an
        # exception, sys.exit, a malformed registration) is reported by name
        # and what it registered there is left out; the others keep working.
        # Built-ins come first, then plugins by name, so on a name clash
        # the first keeps the name and the later one is reported.
        impls = sorted(hook.get_hookimpls(), key=lambda i: (self.versions.get(i.plugin_name) != "builtin", i.plugin_name))
        for impl in impls:
            plugin = impl.plugin_name
            found: List[Entry] = []

            def register(*args: Any, _found: List[Entry] = found, _plugin: str = plugin, **kwargs: Any) -> None:
                _found.append(check(_plugin, *args, **kwargs))

            try:
                impl.function(register=register)
            except SystemExit as exc:
                self._fail(plugin, f"{exit_message(exc)} in its {kind} hook")
                continue
            except RefKMeansError as exc:
                self._fail(plugin, f"failed in its {kind} hook: {exc}")
                continue
            except Exception as exc:
                self._fail(plugin, f"raised in its {kind} hook: {type(exc).__name__}: {exc}")
                continue
            for entry in found:
                if entry.name in table:
                    other = table[entry.name].plugin
                    self._fail(plugin, f"{kind} {entry.name!r} is registered by both {other} and {plugin}; {other} keeps it")
                    continue
                table[entry.name] = entry

    def _fail(self, plugin: str, message: str) -> None:
        self.failures.append(PluginFailure(plugin, self.versions.get(plugin, ""), message))

    def _get(self, table: Dict[str, Entry], kind: str, name: str) -> Entry:
        try:
            return table[name]
        except KeyError:
            advice = missing.for_metric(name) if kind == "metric" else ""
            # A plugin left out may be the one meant: name it, so the user knows why.
            failed = "".join(f"; {failure}" for failure in self.failures)
            raise UsageError(f"unknown {kind} {name!r}; choose from {', '.join(sorted(table))}{failed}{advice}") from None

    def metric(self, name: str) -> Metric:
        """The metric registered as ``name``."""
        return self._get(self.metrics, "metric", name).obj  # type: ignore[no-any-return]

    def initializer(self, name: str) -> Entry:
        """The initializer entry registered as ``name``."""
        return self._get(self.initializers, "initializer", name)

    def codec(self, name: str) -> Codec:
        """The codec registered as ``name``."""
        return self._get(self.codecs, "codec", name).obj  # type: ignore[no-any-return]

    def _by_precedence(self) -> List[Entry]:
        """Codecs in the order they are asked: built-in first, then by name; a sniff that takes anything last."""
        return sorted(
            self.codecs.values(),
            key=lambda e: (e.name in self._indiscriminate, self.versions.get(e.plugin) != "builtin", e.name),
        )

    def _report_shared_extensions(self) -> None:
        owners: Dict[str, Entry] = {}
        for entry in self._by_precedence():
            for extension in entry.obj.extensions:
                owner = owners.setdefault(extension.lower(), entry)
                if owner is not entry:
                    self.conflicts.append(
                        f"codec {entry.name!r} from {entry.plugin} also claims {extension}, which {owner.name!r} "
                        f"from {owner.plugin} keeps; name {entry.name!r} to use it"
                    )

    def codec_for_extension(self, extension: str) -> Optional[Codec]:
        """The codec that claims a file extension such as '.ppm', or None (see :meth:`_by_precedence`)."""
        extension = extension.lower()
        for entry in self._by_precedence():
            if extension in entry.obj.extensions:
                return entry.obj  # type: ignore[no-any-return]
        return None

    def codec_for_data(self, head: bytes) -> Optional[Codec]:
        """The first codec whose ``sniff`` recognises ``head``, or None.

        Built-in codecs are asked first, then the others by name; a codec
        whose sniff accepts any data is never chosen by content (see
        ``conflicts``).  A codec whose ``sniff`` raises does not stop the
        others from recognising the data; it is reported only when none does.
        """
        broken = None
        for entry in self._by_precedence():
            if entry.name in self._indiscriminate:
                continue
            try:
                with plugin_output():
                    if entry.obj.sniff(head):
                        return entry.obj  # type: ignore[no-any-return]
            except (Exception, SystemExit) as exc:
                broken = broken or PluginError(f"codec {entry.name!r} from {entry.plugin} failed to sniff: {exc}")
        if broken is not None:
            raise broken
        return None

    def describe(self) -> Dict[str, Any]:
        """Everything registered, as plain data (for ``refkmeans plugins --json``)."""

        def rows(table: Dict[str, Entry]) -> List[Dict[str, str]]:
            return [
                {"name": e.name, "plugin": e.plugin, "description": e.description}
                for e in sorted(table.values(), key=lambda e: e.name)
            ]

        return {
            "plugins": [{"name": name, "version": self.versions.get(name, "")} for name in sorted(self.versions)],
            "initializers": rows(self.initializers),
            "metrics": rows(self.metrics),
            "codecs": rows(self.codecs),
            "failures": [{"name": f.name, "version": f.version, "message": f.message} for f in self.failures],
            "conflicts": list(self.conflicts),
        }


#: Leading bytes no image format starts with: a sniff that accepts them accepts anything.
_NO_FORMAT = (b"", bytes(64))


def _sniffs_anything(codec: Any) -> bool:
    """True when ``codec.sniff`` accepts an empty file or 64 zero bytes (a sniff that raises accepts nothing)."""
    for head in _NO_FORMAT:
        try:
            if codec.sniff(head):
                return True
        except (Exception, SystemExit):
            pass
    return False


def _check_name(plugin: str, kind: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise PluginError(f"plugin {plugin} registered a {kind} without a name")
    return name


def _check_initializer(plugin: str, name: str, function: Callable[..., Any], description: str = "") -> Entry:
    _check_name(plugin, "initializer", name)
    if not callable(function):
        raise PluginError(f"plugin {plugin} registered initializer {name!r} that is not callable")
    return Entry(name, function, plugin, description or (function.__doc__ or "").strip().split("\n")[0])


def _check_metric(plugin: str, metric: Any) -> Entry:
    name = _check_name(plugin, "metric", getattr(metric, "name", None))
    for method in ("distance", "key"):
        if not callable(getattr(metric, method, None)):
            raise PluginError(f"plugin {plugin} registered metric {name!r} without a {method}() method")
    # A metric need not subclass Metric: fill in what it leaves out with Metric's defaults.
    for attribute, default in (("exact", True), ("geometry", None)):
        if not hasattr(metric, attribute):
            setattr(metric, attribute, default)
    for method in ("error_terms", "error_bound"):
        if not hasattr(metric, method):
            setattr(metric, method, partial(getattr(Metric, method), metric))
    problem = declaration_problem(metric)
    if problem is not None:
        raise PluginError(f"plugin {plugin} registered metric {name!r} that {problem}")
    return Entry(name, metric, plugin, getattr(metric, "description", ""))


def _check_codec(plugin: str, codec: Any) -> Entry:
    name = _check_name(plugin, "codec", getattr(codec, "name", None))
    for method in ("sniff", "decode", "encode"):
        if not callable(getattr(codec, method, None)):
            raise PluginError(f"plugin {plugin} registered codec {name!r} without a {method}() method")
    return Entry(name, codec, plugin, getattr(codec, "description", ""))


_DEFAULT: Dict[bool, Registry] = {}


def get_registry(load_entrypoints: bool = True) -> Registry:
    """The shared registry (built on first use), with or without third-party plugins."""
    if load_entrypoints not in _DEFAULT:
        _DEFAULT[load_entrypoints] = Registry(load_entrypoints)
    return _DEFAULT[load_entrypoints]


def plugin_of_module(module: str) -> Optional[str]:
    """The name of a loaded plugin that ``module`` (a dotted name) belongs to, or None."""
    package = module.split(".")[0]
    if package == "refkmeans":
        return None  # the built-ins are refkmeans itself
    for registry in list(_DEFAULT.values()):
        for name, plugin in registry.plugin_manager.list_name_plugin():
            if str(getattr(plugin, "__name__", "")).split(".")[0] == package:
                return str(name)
    return None


def called_from_plugin(frame: Any) -> bool:
    """True when a loaded plugin's code is on the stack above refkmeans's own code."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module == "refkmeans" or module.startswith("refkmeans."):
            return False
        if plugin_of_module(module) is not None:
            return True
        frame = frame.f_back
    return False


def reset_registry() -> None:
    """Forget the shared registries, so the next use reloads plugins (for tests)."""
    _DEFAULT.clear()
