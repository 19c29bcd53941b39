"""slimdsl.records: the same classes as the standard ``dataclasses`` for the options slimdsl
uses, checked side by side (construction, defaults, repr, equality, hashing, frozenness,
slots, pickling, replace) on twin classes."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from slimdsl import records


def twins(**options):
    """The same class made by dataclasses and by records."""
    out = []
    for module in (dataclasses, records):
        @module.dataclass(**options)
        class Point:
            x: int
            y: str = "a"
            tags: list = module.field(default_factory=list)
            z: float = module.field(default=1.5)

            def norm(self) -> int:
                return self.x * 2

        out.append(Point)
    return out


OPTIONS = [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"eq": False},
           {"slots": True}, {"frozen": True, "slots": True, "eq": False}]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_records_behave_as_dataclasses(options):
    std, ours = twins(**options)
    for args, kwargs in (((1,), {}), ((1, "b"), {"z": 2.0}), ((), {"x": 3, "tags": [1]})):
        a, b = std(*args, **kwargs), ours(*args, **kwargs)
        assert repr(a).split("Point(")[1] == repr(b).split("Point(")[1]
        assert (a.x, a.y, a.tags, a.z, a.norm()) == (b.x, b.y, b.tags, b.z, b.norm())
        assert (a == std(*args, **kwargs)) == (b == ours(*args, **kwargs))
        assert (a == std(9)) == (b == ours(9))
        assert (b == a) is False  # another class is never equal
    assert ours(1).tags is not ours(1).tags  # a fresh default each time
    assert (std.__hash__ is None) == (ours.__hash__ is None)
    if options.get("frozen") and options.get("eq", True):
        assert hash(ours(1, "b", ())) == hash(std(1, "b", ()))  # the fields' tuple's hash
    assert hasattr(std(1), "__dict__") == hasattr(ours(1), "__dict__")
    assert ours.__match_args__ == std.__match_args__
    if options.get("frozen"):
        with pytest.raises(records.FrozenInstanceError):
            ours(1).x = 2
        with pytest.raises(AttributeError):
            del ours(1).x
    else:
        b = ours(1)
        b.x = 5
        assert b.x == 5
    with pytest.raises(TypeError):
        ours()
    with pytest.raises(TypeError):
        ours(1, "a", [], 1.0, 5)


@records.dataclass(frozen=True, slots=True)
class Frozen:
    a: int
    b: tuple = ()


def test_replace_fields_and_pickle():
    p = Frozen(1, (2,))
    assert records.replace(p, b=(3,)) == Frozen(1, (3,))
    assert records.fields(Frozen) == ("a", "b")
    assert pickle.loads(pickle.dumps(p)) == p
    with pytest.raises(TypeError):
        records.replace(p, w=1)


def test_mistakes_dataclasses_refuse_are_refused():
    with pytest.raises(ValueError):
        @records.dataclass
        class A:
            x: list = []  # noqa: RUF012 - the mistake under test
    with pytest.raises(TypeError):
        @records.dataclass
        class B:
            x: int = 1
            y: int
    with pytest.raises(TypeError):
        records.dataclass(order=True)


def test_the_dataclasses_functions_take_records():
    p = Frozen(1, (2,))
    assert dataclasses.is_dataclass(p) and dataclasses.is_dataclass(Frozen)
    assert [f.name for f in dataclasses.fields(p)] == ["a", "b"]
    assert dataclasses.replace(p, a=5) == Frozen(5, (2,))
    assert dataclasses.asdict(p) == {"a": 1, "b": (2,)}
    _, Point = twins()
    assert dataclasses.replace(Point(1, tags=[3]), y="q").tags == [3]


def test_a_field_left_out_of_comparison_and_repr_as_dataclasses_does():
    for module in (dataclasses, records):
        @module.dataclass(frozen=True, slots=True)
        class Finding:
            code: str
            source: str | None = module.field(default=None, compare=False, repr=False)

        a, b = Finding("x", "text"), Finding("x")
        assert a == b and hash(a) == hash(b) and a != Finding("y", "text")
        assert repr(a) == "test_a_field_left_out_of_comparison_and_repr_as_dataclasses_does." \
            "<locals>.Finding(code='x')", module
        assert dataclasses.replace(a, code="y").source == "text"
        assert not dataclasses.fields(Finding)[1].compare
