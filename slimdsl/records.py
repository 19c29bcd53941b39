"""Record classes, ``@dataclass`` as slimdsl uses it, cheap to define and to instantiate.

The syntax tree, the IR, the values and the diagnostics are some sixty small record classes.
The standard ``dataclasses`` compiles half a dozen methods per class with ``exec`` and copies
the class to give it ``__slots__``: 1-2 ms a class, which was most of the time ``slimc check``
spent importing slimdsl (the syntax tree alone has 32 classes), and its frozen ``__init__``
sets every field through ``object.__setattr__``. This module gives the same classes for the
options slimdsl uses (``frozen``, ``slots``, ``eq``, ``repr``; defaults and :func:`field`
with ``default`` or ``default_factory``, ``compare`` and ``repr``):

- ``__init__`` with the same signature, the only method compiled per class (a frozen class
  with slots sets its fields through the slots' own descriptors);
- ``__repr__`` (``Name(field=value, ...)``), ``__eq__`` (same class, fields compared in order),
  ``__hash__`` for frozen classes with ``eq`` (and ``None`` for mutable ones, as dataclasses),
  ``__match_args__``, pickling of frozen slotted records: shared functions, not compiled;
- frozen classes refuse assignment and deletion with :class:`FrozenInstanceError`.

:func:`replace` and :func:`fields` work as the ``dataclasses`` functions of the same names, and
those functions (``replace``, ``fields``, ``asdict``, ``is_dataclass``) take records too.
Other ``dataclasses`` options (``order``, ``kw_only``, ``__post_init__``, ``ClassVar``) are
not supported and raise :class:`TypeError`; use the standard module for such classes.
"""

from __future__ import annotations

from operator import attrgetter

__all__ = ["FrozenInstanceError", "dataclass", "field", "fields", "replace"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    """A field's default (see :func:`field`)."""

    __slots__ = ("default", "default_factory", "compare", "repr")

    def __init__(self, default=MISSING, default_factory=MISSING, compare: bool = True,
                 repr: bool = True):  # noqa: A002 - the dataclasses keyword
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr


def field(*, default=MISSING, default_factory=MISSING, compare: bool = True,
          repr: bool = True) -> Field:  # noqa: A002 - the dataclasses keyword
    """A field's default value, or a function called for a fresh default on each instance;
    ``compare=False`` leaves the field out of ``==`` and the hash, ``repr=False`` out of the
    repr (as the ``dataclasses`` options of the same names)."""
    return Field(default, default_factory, compare, repr)


def fields(obj_or_cls) -> tuple[str, ...]:
    """The names of a record's fields, in order."""
    return obj_or_cls.__record_fields__


def replace(obj, /, **changes):
    """A copy of the record ``obj`` with the fields in ``changes`` replaced."""
    unknown = set(changes) - set(obj.__record_fields__)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values = {name: changes[name] if name in changes else getattr(obj, name)
              for name in obj.__record_fields__}
    return type(obj)(**values)


def dataclass(cls=None, /, *, frozen: bool = False, slots: bool = False, eq: bool = True,
              repr: bool = True, init: bool = True, order: bool = False,  # noqa: A002
              unsafe_hash: bool = False):
    """Make ``cls`` a record class (see the module's documentation)."""
    if order or unsafe_hash or not init:
        raise TypeError("records support frozen, slots, eq and repr only")

    def wrap(cls):
        return _make(cls, frozen, slots, eq, repr)

    return wrap if cls is None else wrap(cls)


# ---------------------------------------------------------------------------- shared methods


def _repr(self) -> str:
    values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{type(self).__qualname__}({values})"


def _methods(key):
    """``__eq__`` and ``__hash__`` over ``key`` (the fields' values, as a tuple)."""
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self):
        return hash(key(self))

    return __eq__, __hash__


class _DataclassFields:
    """``__dataclass_fields__``, made on first use, so that the standard ``dataclasses``
    functions (``replace``, ``fields``, ``asdict``, ``is_dataclass``) take records too."""

    def __get__(self, obj, cls):
        import dataclasses

        out = {}
        annotations = {}
        for klass in reversed(cls.__mro__):
            annotations.update(klass.__dict__.get("__annotations__", {}))
        for name in cls.__record_fields__:
            default = cls.__record_defaults__.get(name)
            if default is None:
                f = dataclasses.field()
            elif default.default_factory is not MISSING:
                f = dataclasses.field(default_factory=default.default_factory,
                                      compare=default.compare, repr=default.repr)
            else:
                f = dataclasses.field(default=default.default, compare=default.compare,
                                      repr=default.repr)
            f.name, f.type = name, annotations.get(name)
            f._field_type = dataclasses._FIELD  # what dataclasses sets on its own fields
            out[name] = f
        type.__setattr__(cls, "__dataclass_fields__", out)
        return out


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self):
    return [getattr(self, name) for name in self.__record_fields__]


def _setstate(self, state):
    for name, value in zip(self.__record_fields__, state):
        object.__setattr__(self, name, value)


# ---------------------------------------------------------------------------- the class


def _make(cls, frozen: bool, slots: bool, eq: bool, repr_: bool):
    names: list[str] = []
    defaults: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for name in base.__dict__.get("__record_fields__", ()):
            if name not in names:
                names.append(name)
            if name in base.__record_defaults__:
                defaults[name] = base.__record_defaults__[name]
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if "ClassVar" in text or "InitVar" in text or "KW_ONLY" in text:
            raise TypeError(f"{cls.__name__}.{name}: records do not support {text}")
        if name not in names:
            names.append(name)
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            defaults[name] = value
        elif value is not MISSING:
            if isinstance(value, (list, dict, set)):
                raise ValueError(f"mutable default {type(value)} for field {name} is not "
                                 f"allowed: use default_factory")
            defaults[name] = Field(value)
        else:
            defaults.pop(name, None)
    if "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: records do not support __post_init__")
    seen_default = False
    for name in names:
        if name in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")

    namespace = dict(cls.__dict__)
    for name in names:  # class attributes keep plain defaults (as dataclasses), not Fields
        value = namespace.get(name, MISSING)
        if isinstance(value, Field):
            if value.default is MISSING:
                del namespace[name]
            else:
                namespace[name] = value.default
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    if slots:
        for name in names:
            namespace.pop(name, None)
        namespace["__slots__"] = tuple(n for n in names if n not in _inherited_slots(cls))
    namespace["__record_fields__"] = tuple(names)
    namespace["__dataclass_fields__"] = _DataclassFields()
    namespace["__record_defaults__"] = defaults
    namespace["__match_args__"] = tuple(names)
    namespace["__record_repr__"] = tuple(n for n in names if n not in defaults or
                                         defaults[n].repr)
    compared = [n for n in names if n not in defaults or defaults[n].compare]
    key = attrgetter(*compared) if len(compared) > 1 else \
        (lambda obj, _get=attrgetter(compared[0]): (_get(obj),)) if compared else \
        (lambda obj: ())
    if repr_ and "__repr__" not in cls.__dict__:
        namespace["__repr__"] = _repr
    if eq and "__eq__" not in cls.__dict__:
        namespace["__eq__"], hash_ = _methods(key)
        if "__hash__" not in cls.__dict__ or cls.__dict__["__hash__"] is None:
            namespace["__hash__"] = hash_ if frozen else None
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
        if slots:
            namespace["__getstate__"] = _getstate
            namespace["__setstate__"] = _setstate
    new = type(cls)(cls.__name__, cls.__bases__, namespace) if slots else cls
    if not slots:
        for key_name, value in namespace.items():
            if key_name not in cls.__dict__ or cls.__dict__[key_name] is not value:
                setattr(new, key_name, value)
        for name in names:
            if name not in namespace and name in cls.__dict__:
                delattr(new, name)
    new.__qualname__ = cls.__qualname__
    new.__init__ = _lazy_init(new, names, defaults, frozen, slots)
    return new


def _inherited_slots(cls) -> set[str]:
    return {s for base in cls.__mro__[1:] for s in base.__dict__.get("__slots__", ())}


def _lazy_init(cls, names: list[str], defaults: dict[str, Field], frozen: bool, slots: bool):
    """An ``__init__`` that compiles the class's own on first use (most classes are not used
    by a given run: compiling them all would cost more than defining them)."""
    def __init__(self, *args, **kwargs):
        if cls.__dict__.get("__init__") is __init__:
            cls.__init__ = _init(cls, names, defaults, frozen, slots)
        cls.__init__(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _init(cls, names: list[str], defaults: dict[str, Field], frozen: bool, slots: bool):
    """The compiled ``__init__`` of a record class."""
    globals_: dict = {"MISSING": MISSING, "__builtins__": {}}
    params, lines = [], []
    for i, name in enumerate(names):
        f = defaults.get(name)
        value = name
        if f is None:
            params.append(name)
        elif f.default_factory is not MISSING:
            params.append(f"{name}=MISSING")
            globals_[f"_factory{i}"] = f.default_factory
            value = f"_factory{i}() if {name} is MISSING else {name}"
        else:
            params.append(f"{name}=_default{i}")
            globals_[f"_default{i}"] = f.default
        if frozen and slots:
            globals_[f"_set{i}"] = cls.__dict__[name].__set__ if name in cls.__dict__ else \
                _setter(name)
            lines.append(f"    _set{i}(self, {value})")
        elif frozen and not _inherited_slots(cls):
            # straight into the instance's dict (what object.__setattr__ does here, without
            # a call per field): a frozen record's only way in
            lines.append(f"    _d[{name!r}] = {value}")
        elif frozen:
            globals_[f"_set{i}"] = _setter(name)
            lines.append(f"    _set{i}(self, {value})")
        else:
            lines.append(f"    self.{name} = {value}")
    if any(line.startswith("    _d[") for line in lines):
        lines.insert(0, "    _d = self.__dict__")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(lines) or "    pass")
    if not names:
        source = "def __init__(self):\n    pass"
    exec(source, globals_)  # noqa: S102 - field names only: identifiers of slimdsl's own classes
    init = globals_["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _setter(name: str):
    def set_field(obj, value, _name=name, _set=object.__setattr__):
        _set(obj, _name, value)
    return set_field
