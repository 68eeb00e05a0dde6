"""``@record``: an immutable value type that is cheap to define.

To the type checker ``@record`` is a frozen dataclass (PEP 681 ``dataclass_transform`` with
``frozen_default``): mypy --strict, which CI runs, rejects every assignment to a field. At run
time it is a dataclass whose ``__init__`` is generated as usual, but whose ``__repr__``,
``__eq__`` and field-based ``__hash__`` are three shared functions reading the class's
``__record_fields__``, and without the runtime write guard. CPython 3.11 compiles each generated
method with its own ``exec`` (and renders a signature as the docstring of a class that has
none): over the forty-odd value types one ``order place`` imports, those were about a third of
the time spent defining classes, all of it before the order could be sent (issue 15's
`order place` figure). The semantics are the dataclass's: equality only with the same class,
``dataclasses.replace``/``fields``/``asdict`` work (tests/test_records.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, slots: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: Any = None, /, *, slots: bool = False) -> Any:
    def wrap(klass: Any) -> Any:
        if klass.__doc__ is None:
            klass.__doc__ = klass.__name__  # else dataclass renders a signature for it
        made = dataclass(klass, repr=False, eq=False, slots=slots)
        fields = made.__dataclass_fields__.values()
        # what the dataclass would compare and show (field(compare=False), field(repr=False))
        made.__record_fields__ = tuple(f.name for f in fields if f.compare)
        made.__record_shown__ = tuple(f.name for f in fields if f.repr)
        made.__repr__, made.__eq__, made.__hash__ = _repr, _eq, _hash
        return made

    return wrap if cls is None else wrap(cls)


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple([getattr(obj, name) for name in obj.__record_fields__])


def _repr(self: Any) -> str:
    pairs = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__qualname__}({pairs})"


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))
