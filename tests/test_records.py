"""``@record`` behaves as the frozen dataclass its type says it is: value equality and hashing
over every field, a dataclass repr, and ``dataclasses.replace``/``fields``/``asdict``."""

from __future__ import annotations

import dataclasses

from angelctl.records import record


@record
class Point:
    x: int
    y: int = 0


@record
class Other:
    x: int
    y: int = 0


@record
class Secretive:
    name: str
    token: str = dataclasses.field(default="", repr=False)
    note: str = dataclasses.field(default="", compare=False)


@record(slots=True)
class Slim:
    a: str
    b: tuple[int, ...] = ()


def test_equality_and_hash_are_over_every_field() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != Other(1, 2)  # another class with the same fields is not equal
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2
    assert Slim("a", (1,)) == Slim("a", (1,)) and Slim("a") != Slim("b")


def test_repr_and_the_dataclass_functions_still_work() -> None:
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert repr(Slim("a")) == "Slim(a='a', b=())"
    assert dataclasses.replace(Point(1, 2), y=5) == Point(1, 5)
    assert [f.name for f in dataclasses.fields(Slim)] == ["a", "b"]
    assert dataclasses.asdict(Point(3)) == {"x": 3, "y": 0}
    assert not hasattr(Slim("a"), "__dict__")  # slots kept


def test_a_class_without_a_docstring_gets_its_name_not_a_rendered_signature() -> None:
    assert Point.__doc__ == "Point"


def test_a_field_kept_out_of_the_repr_or_the_comparison_stays_out() -> None:
    assert "s3cret" not in repr(Secretive("a", token="s3cret"))
    assert repr(Secretive("a", token="s3cret")) == "Secretive(name='a', note='')"
    assert Secretive("a", note="x") == Secretive("a", note="y")
    assert hash(Secretive("a", note="x")) == hash(Secretive("a", note="y"))
    assert Secretive("a", token="1") != Secretive("a", token="2")


@record
class Shaped:
    """Every kind of field an ``__init__`` binds."""

    name: str
    size: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)
    cache: dict[str, int] = dataclasses.field(default_factory=dict, init=False)
    stamp: str = dataclasses.field(default="-", init=False)
    mode: str = dataclasses.field(default="a", kw_only=True)
    seen: list[str] = dataclasses.field(default_factory=list, init=False, compare=False)

    def __post_init__(self) -> None:
        self.seen.append(self.name)


@record(frozen=False)
class Counter:
    count: int = 0


def _make_both(cls: type, *args: object, **kwargs: object) -> list[object]:
    """One instance through the interpreted ``__init__`` and one through the compiled one."""
    import angelctl.records as records

    made = [cls(*args, **kwargs)]
    while vars(cls)["__init__"].__code__.co_varnames[:2] == ("self", "args"):  # interpreted
        made.append(cls(*args, **kwargs))
    assert len(made) <= records.COMPILE_AFTER  # it was compiled after its quota of instances
    made.append(cls(*args, **kwargs))
    return [made[0], made[-1]]


def test_init_binds_as_the_dataclass_would_before_and_after_compiling() -> None:
    for shaped in _make_both(Shaped, "x", 3, ["t"], mode="b"):
        assert isinstance(shaped, Shaped)
        assert (shaped.name, shaped.size, shaped.tags, shaped.mode) == ("x", 3, ["t"], "b")
        assert (shaped.cache, shaped.stamp, shaped.seen) == ({}, "-", ["x"])  # __post_init__
    first, second = Shaped("a"), Shaped("a")
    assert first.tags == [] and first.tags is not second.tags  # a fresh factory value each
    assert first.cache is not second.cache
    assert Shaped(name="k", size=2) == Shaped("k", 2)


def test_init_refuses_what_the_dataclass_refuses_before_and_after_compiling() -> None:
    import pytest

    for _ in _make_both(Point, 1):
        for args, kwargs, problem in (
            ((), {}, "missing .*'x'"),
            ((1, 2, 3), {}, "positional arguments but 4 were given"),
            ((1,), {"x": 2}, "multiple values for argument 'x'"),
            ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
        ):
            with pytest.raises(TypeError, match=problem):
                Point(*args, **kwargs)
    with pytest.raises(TypeError):
        Shaped("a", 1, [], "b")  # type: ignore[call-arg]  # mode is keyword-only
    with pytest.raises(TypeError):
        Shaped("a", cache={})  # type: ignore[call-arg]  # not an __init__ parameter


def test_a_required_field_after_a_defaulted_one_is_refused_when_the_class_is_made() -> None:
    import pytest

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @record
        class Wrong:
            a: int = 0
            b: int  # type: ignore[misc]


def test_a_mutable_record_can_be_assigned_and_is_unhashable_like_a_mutable_dataclass() -> None:
    import pytest

    counter = Counter()
    counter.count += 1
    assert counter == Counter(1) and repr(counter) == "Counter(count=1)"
    with pytest.raises(TypeError):
        hash(counter)


def test_a_subclass_record_binds_its_parents_fields_first() -> None:
    @record
    class Child(Point):
        z: int = 9

    assert [f.name for f in dataclasses.fields(Child)] == ["x", "y", "z"]
    child = Child(1, 2, 3)
    assert (child.x, child.y, child.z) == (1, 2, 3) and Child(1) == Child(1, 0, 9)
