"""Old names kept for one release after the rename pass (issue 14, item 4; ``docs/glossary.md``).

Each old public name still works and warns with :class:`~steppe_geo.errors.SteppeGeoDeprecationWarning`
(a :class:`DeprecationWarning`), whose message names the new one. Three kinds of old names:

- keyword arguments: :func:`renamed_parameter` (passing both the old and the new name is an error);
- attributes: :func:`renamed_attribute` (a read-only property that returns the new attribute);
- module-level names: :func:`renamed_module_names` (a PEP 562 module ``__getattr__``);
- keys of a returned dict: :class:`RenamedKeysDict`.

Old configuration keys are handled by the configuration reader (``steppe_geo.config.reading``),
which uses :func:`warn_renamed` for the same message.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from steppe_geo.errors import InvalidParameterError, SteppeGeoDeprecationWarning

__all__ = ["REMOVED_IN", "RenamedKeysDict", "renamed_attribute", "renamed_module_names", "renamed_parameter",
           "warn_renamed"]

REMOVED_IN = "0.3.0"
"""The release in which the old names go (one release after the rename, made in 0.2.0)."""

F = TypeVar("F", bound=Callable[..., Any])


def warn_renamed(old: str, new: str, *, since: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new``.

    Parameters
    ----------
    old, new : str
        The old and the new name as the user writes them (``"zonal_stats(rasters=...)"``).
    since : str
        The release that renamed it.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn`: 3 points at the caller of the function that calls this.
    """
    warnings.warn(
        f"{old} is deprecated since steppe_geo {since} and will be removed in {REMOVED_IN}: use {new}",
        SteppeGeoDeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_parameter(*, old: str, new: str, since: str) -> Callable[[F], F]:
    """Decorator: accept keyword argument ``old`` as a deprecated alias of ``new``.

    Parameters
    ----------
    old, new : str
        The old and the new parameter name; ``new`` is the decorated function's parameter.
    since : str
        The release that renamed it.

    Returns
    -------
    callable
        A decorator. The decorated function warns (:class:`SteppeGeoDeprecationWarning`, naming
        ``new``) when called with ``old=``, and raises :class:`InvalidParameterError` when called
        with both.

    Examples
    --------
    >>> @renamed_parameter(old="rasters", new="layers", since="0.2.0")
    ... def count(*, layers):
    ...     return len(layers)
    >>> count(layers={"a": 1})
    1
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                if new in kwargs:
                    raise InvalidParameterError(
                        f"{func.__name__}() got both {old!r} (its deprecated name) and {new!r}: "
                        f"pass {new!r} only"
                    )
                warn_renamed(f"{func.__name__}({old}=...)", f"{func.__name__}({new}=...)", since=since)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def renamed_attribute(old: str, new: str, *, since: str) -> property:
    """A read-only property ``old`` that warns and returns attribute ``new``.

    Parameters
    ----------
    old, new : str
        The old and the new attribute name.
    since : str
        The release that renamed it.

    Returns
    -------
    property
        To be assigned in the class body: ``rasters = renamed_attribute("rasters", "layers", since=...)``.
    """

    def getter(self: Any) -> Any:
        warn_renamed(f"{type(self).__name__}.{old}", f"{type(self).__name__}.{new}", since=since)
        return getattr(self, new)

    return property(getter, doc=f"Deprecated alias of :attr:`{new}` (since {since}).")


def renamed_module_names(module: str, renamed: Mapping[str, tuple[str, Callable[[], Any]]], *,
                         since: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that serves old names with a warning.

    Parameters
    ----------
    module : str
        The module's ``__name__``, for the messages.
    renamed : mapping old name → (new name, function returning the new object)
        The new object is looked up on use (so that it may be defined after this call).
    since : str
        The release that renamed them.

    Returns
    -------
    callable
        ``__getattr__(name)``: the new object for an old name (with a warning), else
        :class:`AttributeError`.
    """

    def __getattr__(name: str) -> Any:
        if name in renamed:
            new, get = renamed[name]
            warn_renamed(f"{module}.{name}", f"{module}.{new}" if "." not in new else new, since=since)
            return get()
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


class RenamedKeysDict(dict[str, Any]):
    """A dict whose old keys still look up the new ones, with a warning.

    Iteration, ``len`` and ``==`` see the new keys only; ``d[old]``, ``d.get(old)`` and
    ``old in d`` warn and answer for ``new``.

    Parameters
    ----------
    data : mapping
        The entries, under their new keys.
    renamed : mapping old key → new key
    what : str
        What returns the dict, for the message (``"export_bundle()"``).
    since : str
        The release that renamed the keys.

    Examples
    --------
    >>> import warnings
    >>> d = RenamedKeysDict({"parquet": "a.parquet"}, {"geoparquet": "parquet"}, what="f()", since="0.2.0")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     d["geoparquet"], str(caught[0].message).endswith("use f()['parquet']")
    ('a.parquet', True)
    """

    def __init__(self, data: Mapping[str, Any], renamed: Mapping[str, str], *, what: str, since: str) -> None:
        super().__init__(data)
        self._renamed = dict(renamed)
        self._what = what
        self._since = since

    def _new_key(self, key: Any) -> Any:
        if key in self._renamed and not super().__contains__(key):
            new = self._renamed[key]
            warn_renamed(f"{self._what}[{key!r}]", f"{self._what}[{new!r}]", since=self._since, stacklevel=4)
            return new
        return key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._new_key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._new_key(key), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._new_key(key))
