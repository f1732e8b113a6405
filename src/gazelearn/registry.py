"""The one registry type: things registered by name, so the CLI and Python code pick them by string.

Detectors (:mod:`gazelearn.detection`), readers (:mod:`gazelearn.io`), networks
(:mod:`gazelearn.nn.architectures`), estimators and the classes model files may rebuild
(:mod:`gazelearn.learn.registry`) each keep one :class:`Registry`. The rules are the same for all:

* **one duplicate rule**: registering a *different* object under a taken name raises
  ``ValueError``; registering the same object again (or its new definition after a module
  reload: same module and qualified name) is fine and keeps the newest;
* **unknown names** raise :class:`~gazelearn.errors.InputError` listing what is available;
* **lazy entries** name the module that registers them (``register_lazy("deep",
  "gazelearn.detection.deep")``): it is imported on the first lookup, so listing names never
  imports torch. The registry itself imports no module that registers into it.

Examples
--------
>>> shapes = Registry("shape")
>>> @shapes.register("square")
... def square(side):
...     return side * side
>>> shapes.get("square")(3), shapes.names()
(9, ['square'])
>>> shapes.register_lazy("circle", "gazelearn.no_such_module")
>>> "circle" in shapes, shapes.names()
(True, ['circle', 'square'])
>>> shapes.get("triangle")
Traceback (most recent call last):
...
gazelearn.errors.InputError: unknown shape 'triangle'; available: circle, square
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from gazelearn.errors import InputError

T = TypeVar("T")


def _definition(obj: Any) -> tuple[str, str] | None:
    """Where a class or function is defined (module, qualified name), for top-level definitions
    only: lambdas and closures (``<lambda>``, ``<locals>``) share a name, so they get None."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    return module, name


class Registry(Generic[T]):
    """Named entries of one kind, with lazily imported entries and one duplicate rule.

    Parameters
    ----------
    kind : str
        What an entry is, for error messages: ``"detection method"``, ``"format"``.
    identity : callable, optional
        The object the duplicate rule compares, from a stored value (default: the value itself;
        e.g. ``lambda info: info.function`` when the value is a record describing a function).
    also : tuple of str
        Extra choices to name in the unknown-name error before the registered ones (``auto``
        for formats).
    """

    def __init__(self, kind: str, identity: Callable[[T], Any] | None = None,
                 also: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self._identity = identity or (lambda value: value)
        self._also = tuple(also)
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, str] = {}

    # ------------------------------------------------------------------ registering
    def register(self, name: str, value: Any = None) -> Any:
        """Add ``value`` under ``name``; without ``value``, a decorator that adds its argument.

        Raises
        ------
        ValueError
            ``name`` already holds a different object (a programming error, not user input).
        """
        if value is None:
            def decorate(obj: Any) -> Any:
                self.register(name, obj)
                return obj

            return decorate
        if name in self._entries and not self._same(self._entries[name], value):
            raise ValueError(f"{self.kind} name {name!r} is already taken by "
                             f"{self._identity(self._entries[name])!r}")
        self._entries[name] = value
        return value

    def _same(self, old: T, new: T) -> bool:
        old, new = self._identity(old), self._identity(new)
        # a module reload defines a new object at the same place: that is a re-registration
        return old is new or (_definition(old) is not None and _definition(old) == _definition(new))

    def register_lazy(self, name: str, module: str) -> None:
        """Declare that importing ``module`` registers ``name`` (imported on first lookup)."""
        self._lazy[name] = module

    def unregister(self, name: str) -> None:
        """Remove ``name`` (mainly for tests); unknown names are ignored."""
        self._entries.pop(name, None)
        self._lazy.pop(name, None)

    # ------------------------------------------------------------------ looking up
    def get(self, name: str) -> T:
        """The entry ``name``, importing its module first when it is a lazy one.

        Raises
        ------
        InputError
            ``name`` is neither registered nor lazy; the message lists what is available.
        """
        if name not in self._entries and name in self._lazy:
            importlib.import_module(self._lazy[name])
            if name not in self._entries:
                raise InputError(f"{self.kind} {name!r}: module {self._lazy[name]} does not "
                                 "register it")
        try:
            return self._entries[name]
        except KeyError:
            raise InputError(f"unknown {self.kind} {name!r}; available: "
                             f"{', '.join((*self._also, *self.names()))}") from None

    def names(self) -> list[str]:
        """Sorted names, lazy ones included (without importing them)."""
        return sorted(set(self._entries) | set(self._lazy))

    def loaded(self) -> dict[str, T]:
        """The entries registered so far (lazy ones only once imported), by name."""
        return dict(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self.names())})"
