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
