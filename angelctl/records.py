"""``@record``: a value type that is cheap to define.

To the type checker ``@record`` is a frozen dataclass (PEP 681 ``dataclass_transform`` with
``frozen_default``; ``@record(frozen=False)`` for a mutable one): mypy --strict, which CI runs,
rejects every assignment to a frozen record's field. At run time it is a dataclass (so
``dataclasses.replace``/``fields``/``asdict`` work) built without the code generation that makes
defining dataclasses slow:

- ``__repr__``, ``__eq__`` and ``__hash__`` are three shared functions reading the class's
  ``__record_fields__`` (a mutable record is unhashable, as a mutable dataclass is); there is
  no runtime write guard.
- ``__init__`` starts as one shared, interpreted binder driven by the class's field table, and
  is replaced by a compiled one (as ``dataclass`` writes it) once the class has made
  ``COMPILE_AFTER`` instances.

CPython 3.11 compiles every method a dataclass generates with its own ``exec``: defining the
forty-five value types one ``order place`` imports took 22 ms of its imports (half of them),
all of it before the order could be sent (issue 15's `order place` figure). A class made a
handful of times never pays for a compiler; one made in bulk (instrument rows, ticks) gets
the compiled ``__init__`` after its first few instances. ``InitVar`` fields are not supported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")

COMPILE_AFTER = 16  # instances made through the interpreted __init__ before it is compiled


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, slots: bool = False, frozen: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: Any = None, /, *, slots: bool = False, frozen: bool = True) -> Any:
    def wrap(klass: Any) -> Any:
        if klass.__doc__ is None:
            klass.__doc__ = klass.__name__  # else dataclass renders a signature for it
        made = dataclass(klass, init=False, repr=False, eq=False, slots=slots)
        fields = dataclasses.fields(made)
        # what the dataclass would compare and show (field(compare=False), field(repr=False))
        made.__record_fields__ = tuple(f.name for f in fields if f.compare)
        made.__record_shown__ = tuple(f.name for f in fields if f.repr)
        made.__repr__, made.__eq__ = _repr, _eq
        made.__hash__ = _hash if frozen else None
        if "__init__" not in klass.__dict__:
            made.__init__ = _InitPlan(made, fields).interpreted()
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


class _InitPlan:
    """What a record's ``__init__`` does, read once from its fields: the parameters in the
    dataclass's order (positional ones, then keyword-only ones), each one's default or
    factory, the fields set without a parameter (``init=False``), and ``__post_init__``."""

    def __init__(self, cls: type, fields: tuple[Field[Any], ...]) -> None:
        every = cls.__dataclass_fields__.values()  # type: ignore[attr-defined]
        if any("InitVar" in str(f.type) for f in every if f not in fields):
            raise TypeError(f"@record {cls.__qualname__}: InitVar fields are not supported")
        params = [f for f in fields if f.init and not f.kw_only]
        self.positional = len(params)
        params += [f for f in fields if f.init and f.kw_only]
        seen_default = None
        for f in params[: self.positional]:
            if _has_default(f):
                seen_default = f.name
            elif seen_default is not None:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        self.cls = cls
        self.names = tuple(f.name for f in params)
        self.defaults = {f.name: f.default for f in params if f.default is not MISSING}
        self.factories = {
            f.name: f.default_factory for f in params if f.default_factory is not MISSING
        }
        self.locals = tuple(
            (f.name, f.default_factory, f.default) for f in fields if not f.init and _has_default(f)
        )
        self.post_init = hasattr(cls, "__post_init__")
        self.calls = 0

    def interpreted(self) -> Callable[..., None]:
        plan = self
        names, positional = self.names, self.positional
        defaults, factories, locals_ = self.defaults, self.factories, self.locals

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            plan.calls += 1
            if plan.calls == COMPILE_AFTER:  # made in bulk: compile it from here on
                plan.cls.__init__ = plan.compiled()  # type: ignore[misc]
            given = len(args)
            if given > positional:
                raise plan.error(
                    f"takes {positional + 1} positional arguments but {given + 1} were given"
                )
            for name, value in zip(names, args, strict=False):  # the first `given` names
                setattr(self, name, value)
            for name in names[given:]:
                if name in kwargs:
                    value = kwargs.pop(name)
                elif name in defaults:
                    value = defaults[name]
                elif name in factories:
                    value = factories[name]()
                else:
                    raise plan.error(f"missing a required argument: {name!r}")
                setattr(self, name, value)
            if kwargs:
                name = next(iter(kwargs))
                problem = "multiple values for" if name in names else "an unexpected keyword"
                raise plan.error(f"got {problem} argument {name!r}")
            for name, factory, default in locals_:
                setattr(self, name, default if factory is MISSING else factory())
            if plan.post_init:
                self.__post_init__()

        __init__.__qualname__ = f"{self.cls.__qualname__}.__init__"
        return __init__

    def error(self, problem: str) -> TypeError:
        return TypeError(f"{self.cls.__qualname__}.__init__() {problem}")

    def compiled(self) -> Callable[..., None]:
        """The same ``__init__`` as Python source, compiled (what ``dataclass`` generates)."""
        scope: dict[str, Any] = {"_FACTORY": _FACTORY, "_MISSING": MISSING}
        params, body = ["self"], []
        for index, name in enumerate(self.names):
            if index == self.positional:
                params.append("*")
            if name in self.factories:
                scope[f"_f_{name}"] = self.factories[name]
                params.append(f"{name}=_FACTORY")
                body.append(f"self.{name} = _f_{name}() if {name} is _FACTORY else {name}")
                continue
            if name in self.defaults:
                scope[f"_d_{name}"] = self.defaults[name]
                params.append(f"{name}=_d_{name}")
            else:
                params.append(name)
            body.append(f"self.{name} = {name}")
        for name, factory, default in self.locals:
            scope[f"_l_{name}"] = default if factory is MISSING else factory
            body.append(f"self.{name} = _l_{name}{'' if factory is MISSING else '()'}")
        if self.post_init:
            body.append("self.__post_init__()")
        source = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
        exec(source, scope)
        made: Callable[..., None] = scope["__init__"]
        made.__qualname__ = f"{self.cls.__qualname__}.__init__"
        return made


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _has_default(f: Field[Any]) -> bool:
    return f.default is not MISSING or f.default_factory is not MISSING
