"""``@record``: an immutable value type that is cheap to define.

To the type checker ``@record`` is a frozen dataclass (PEP 681 ``dataclass_transform`` with
``frozen_default``): mypy --strict, which CI runs, rejects every assignment to a field. At run
time it is a dataclass with ``__init__``, ``__repr__``, ``__eq__`` and a field-based
``__hash__`` but without the runtime write guard. On CPython 3.11 that guard compiles two more
methods per class and routes each field of ``__init__`` through ``object.__setattr__``; over
the thirty-odd value types that one ``order place`` defines it cost about 5 % of the command's
instructions (callgrind), all of it before the order could be sent.
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
    wrap = dataclass(unsafe_hash=True, slots=slots)
    return wrap if cls is None else wrap(cls)
