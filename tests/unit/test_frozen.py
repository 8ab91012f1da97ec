"""deploykit.frozen: `@frozen` records behave as `@dataclasses.dataclass(frozen=True)` ones, built without exec."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from deploykit.frozen import frozen


def _twins(**options):
    """The same class as a frozen dataclass and as a @frozen record."""
    made = []
    for decorate in (dataclasses.dataclass(frozen=True, **options), frozen(**options)):
        @decorate
        class Pod:
            """A pod."""

            name: str
            namespace: str = "default"
            labels: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
            ports: tuple[int, ...] = ()
        made.append(Pod)
    return made


def test_construction_repr_and_fields_match_dataclasses():
    """A record built by position, by name or from defaults reads, prints and lists fields as a dataclass does."""
    reference, record = _twins()
    for args, kwargs in [(("web",), {}), (("web", "shop"), {"ports": (80,)}), ((), {"name": "db", "labels": {"a": 1}}),
                         (("web", "shop", {"x": 1}, (1, 2)), {})]:
        a, b = reference(*args, **kwargs), record(*args, **kwargs)
        assert repr(a) == repr(b)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
        assert list(vars(a)) == list(vars(b))  # field order: reports serialise some records' __dict__
    assert [f.name for f in dataclasses.fields(record)] == ["name", "namespace", "labels", "ports"]
    assert dataclasses.is_dataclass(record("web"))


def test_each_instance_gets_its_own_default_factory_value():
    """Two records never share a mutable default (a changed dict in one would show in the other)."""
    _, record = _twins()
    first, second = record("a"), record("b")
    first.labels["x"] = 1
    assert second.labels == {}


def test_equality_and_hash_follow_the_compared_fields():
    """Records are equal (and hash alike) when their compared fields are, and never equal another class."""
    reference, record = _twins()
    assert record("web", labels={"a": 1}) == record("web", labels={"b": 2})  # labels: compare=False
    assert record("web") != record("web", "shop")
    assert hash(record("web", ports=(1,))) == hash(record("web", ports=(1,)))
    assert record("web") != reference("web")
    assert (record("web") == record("web")) == (reference("web") == reference("web"))
    assert len({record("web"), record("web"), record("db")}) == 2


def test_assignment_and_deletion_raise_frozen_instance_error():
    """A record cannot change after construction, with the exception dataclasses raise."""
    _, record = _twins()
    pod = record("web")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
        pod.name = "db"
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'name'"):
        del pod.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        pod.other = 1


def test_replace_copies_with_changes():
    """dataclasses.replace works on records and keeps them frozen."""
    _, record = _twins()
    changed = dataclasses.replace(record("web", ports=(80,)), namespace="shop")
    assert (changed.name, changed.namespace, changed.ports) == ("web", "shop", (80,))


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {}, "missing required argument: 'name'"),
    (("a", "b", {}, (), "extra"), {}, "takes 5 positional arguments but 6 were given"),
    (("a",), {"name": "b"}, "multiple values for argument 'name'"),
    (("a",), {"nmae": "b"}, "unexpected keyword argument 'nmae'"),
])
def test_wrong_arguments_raise_type_error(args, kwargs, message):
    """A wrong call names the argument, as a dataclass constructor does."""
    _, record = _twins()
    with pytest.raises(TypeError, match=message):
        record(*args, **kwargs)


def test_post_init_runs_and_may_normalise_fields():
    """__post_init__ runs after the fields are set (records normalise lists to tuples there)."""
    @frozen
    class Listing:
        items: tuple = ()

        def __post_init__(self) -> None:
            object.__setattr__(self, "items", tuple(self.items))

    assert Listing([1, 2]).items == (1, 2)


def test_inherited_fields_come_first():
    """A record extending another takes the base's fields first, as dataclasses order them."""
    @frozen
    class Base:
        name: str

    @frozen
    class Child(Base):
        size: int = 1

    assert Child("x", 2) == Child(name="x", size=2)
    assert repr(Child("x")) == "test_inherited_fields_come_first.<locals>.Child(name='x', size=1)"


def test_eq_false_keeps_identity_and_order_true_sorts():
    """eq=False compares by identity (hashable by id); order=True sorts by the fields in order."""
    @frozen(eq=False)
    class Handle:
        name: str

    @frozen(order=True)
    class Ref:
        kind: str
        name: str

    assert Handle("a") != Handle("a") and len({Handle("a"), Handle("a")}) == 2
    assert sorted([Ref("b", "a"), Ref("a", "z"), Ref("a", "b")]) == [Ref("a", "b"), Ref("a", "z"), Ref("b", "a")]
    with pytest.raises(TypeError):
        Ref("a", "b") < ("a", "c")  # noqa: B015 - only records of one class are ordered


def test_own_methods_win():
    """A class's own __eq__, __hash__ and __repr__ are kept; __eq__ alone still gets the field hash."""
    @frozen
    class Version:
        text: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Version) and self.text.lstrip("v") == other.text.lstrip("v")

        def __repr__(self) -> str:
            return f"<{self.text}>"

    assert Version("v1") == Version("1") and repr(Version("1")) == "<1>"
    assert hash(Version("1")) == hash(Version("1"))


def test_records_pickle_and_init_false_fields_without_default_stay_unset():
    """Records survive pickling (worker processes); an init=False field with no default is simply not set."""
    pickled = pickle.loads(pickle.dumps(_Picklable("web")))
    assert pickled == _Picklable("web") and pickled.size == 3
    assert not hasattr(_Picklable("web"), "computed")


@frozen
class _Picklable:
    name: str
    size: int = dataclasses.field(default=3, init=False)
    computed: int = dataclasses.field(init=False, compare=False, repr=False)


def test_a_class_defining_setattr_is_refused():
    """A frozen record cannot define __setattr__ (it would defeat the freeze), as dataclasses refuse."""
    with pytest.raises(TypeError, match="cannot define __setattr__"):
        @frozen
        class Broken:
            name: str

            def __setattr__(self, name, value):
                pass


def test_a_record_without_docstring_is_documented_by_its_fields():
    """help() on an undocumented record shows how to build it."""
    @frozen
    class Plain:
        name: str
        size: int = 1

    assert Plain.__doc__ == "Plain(name, size)"
