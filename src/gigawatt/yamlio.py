"""Reading YAML documents: bounded in size, depth and aliases, one-line errors.

A YAML syntax error, a missing file or a document beyond the bounds becomes a
:class:`~gigawatt.errors.GigawattError` naming the file and the line. Inside the HTTP
service no file a request names is read (:func:`no_user_files`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigawatt.errors import GigawattError
from gigawatt.limits import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH

if TYPE_CHECKING:
    import yaml

_USER_FILES = ContextVar("gigawatt_user_files", default=True)
_PACKAGE_DIR = Path(__file__).resolve().parent


@contextlib.contextmanager
def no_user_files() -> Iterator[None]:
    """Within this block :func:`read_yaml` reads only the package's own data files.

    The HTTP service computes every request inside it, so no request can make the
    server read, or reveal the existence of, a file it names.
    """
    token = _USER_FILES.set(False)
    try:
        yield
    finally:
        _USER_FILES.reset(token)


def forbid_user_files() -> None:
    """For the rest of this process (a service's worker), read only the package's files."""
    _USER_FILES.set(False)


def user_files_allowed() -> bool:
    """Whether files named by the user may be read here (False inside the service)."""
    return _USER_FILES.get()


def read_yaml(path: Path, error: type[GigawattError]) -> Any:
    """Parse a YAML file, turning I/O and syntax errors into one-line ``error``s."""
    if not _USER_FILES.get() and not path.resolve().is_relative_to(_PACKAGE_DIR):
        raise error("files are not read over HTTP; accepted: a catalog ID, a built-in name "
                    "or an inline document")
    if not path.exists():
        raise error(f"{path}: file not found")
    if not path.is_file():
        raise error(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_yaml(text, str(path), error)


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when PyYAML was built with it (several times faster); both safe.
    PyYAML is imported here: a command whose data comes from the cache never needs it."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def parse_yaml(text: str, where: str, error: type[GigawattError]) -> Any:
    """Parse YAML text; a syntax error names the line and column.

    Documents over :data:`MAX_YAML_BYTES`, nested deeper than :data:`MAX_YAML_DEPTH`
    or with more than :data:`MAX_YAML_ALIASES` aliases are refused before they are
    built, and so are numbers too long to convert: each is one line, never a
    RecursionError or a document that expands beyond memory.
    """
    import yaml

    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise error(f"{where}: the document is {size:,} bytes; accepted: at most "
                    f"{MAX_YAML_BYTES:,}")
    try:
        _check_shape(text, where, error)
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{where}: YAML syntax error{at}: {problem}") from None
    except (ValueError, OverflowError) as exc:  # int('9' * 5000): over Python's digit limit
        raise error(f"{where}: a number is not accepted: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # the depth check above makes this unreachable; kept as a guard
        raise error(f"{where}: the document is nested too deeply; accepted: at most "
                    f"{MAX_YAML_DEPTH} levels") from None


def _check_shape(text: str, where: str, error: type[GigawattError]) -> None:
    # The event stream comes from an iterative parser (libyaml's when PyYAML has it, about
    # 20x faster than the pure-Python one), so measuring depth here cannot itself recurse;
    # the composer that the load runs afterwards does.
    import yaml

    depth = aliases = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise error(f"{where}: the document is nested over {MAX_YAML_DEPTH} levels "
                            f"deep (line {line}); accepted: at most {MAX_YAML_DEPTH}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise error(f"{where}: over {MAX_YAML_ALIASES} YAML aliases (*name); "
                            f"accepted: at most {MAX_YAML_ALIASES}")
