"""Random networks for differential shape fuzzing: the description and its .slim rendering.

A network is drawn (by hypothesis, or from a seed) as a small plain-data description
(:class:`Net`): an input
declaration and a sequence of items — layers of every registry kind, ``repeat``/``stack``,
``concat``/``add`` over branches, residual adds, a second input, variable scopes, ``arg_scope``
and calls of blocks. Argument values are drawn freely (kernels larger than the input, VALID
padding, stride with rate, squeezing non-1 axes, ...), so a good share of networks is invalid.

The description is rendered twice, independently: :func:`render_slim` here writes ``.slim`` text
(remembering the line of every item), and ``fuzz_oracle.Oracle`` interprets it with real
tf_slim calls. Nothing here imports TensorFlow or slimdsl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fuzz_more import more_layer_args
from hypothesis import strategies as st
from oracles.slim_text import Sym, slim_text

# ---------------------------------------------------------------------------- description


@dataclass(frozen=True)
class Param(Sym):
    """A reference to the enclosing block's parameter ``d`` (an int), written bare."""

    name: str = "d"


@dataclass(eq=False)
class Layer:
    """One layer call: ``kind(*pos, **kw) as name``."""

    kind: str
    pos: tuple = ()
    kw: tuple = ()  # ((name, value), ...)
    name: str | None = None


@dataclass(eq=False)
class Repeat:
    """``repeat(count, kind, *pos, **kw) as name`` (kind may be a block name)."""

    count: int
    layer: Layer  # its name is unused; repeat names the inner scopes
    name: str | None = None


@dataclass(eq=False)
class Stack:
    """``stack(kind, [items...], **kw) as name``; each item is a tuple of positional args."""

    layer: Layer  # kind and kw; pos unused
    items: tuple
    name: str | None = None


@dataclass(eq=False)
class Branch:
    """``Name { ... }`` or an anonymous ``{ ... }`` inside concat/add."""

    scope: str | None
    seq: list


@dataclass(eq=False)
class Combine:
    """``concat(axis=k) as name { branches }`` or ``add() as name { two branches }``."""

    kind: str  # concat | add
    axis: int
    branches: list
    name: str | None = None


@dataclass(eq=False)
class Residual:
    """``sK = net; seq; add(sK) as name``."""

    var: str
    seq: list
    name: str | None = None


@dataclass(eq=False)
class WithInput:
    """``add(y) as name`` or ``concat([net, y], axis=k) as name`` with the second input."""

    kind: str  # add | concat
    axis: int = -1
    name: str | None = None


@dataclass(eq=False)
class Variable:
    """``vK = model_variable("vK", [1])`` then ``add(net, vK) as name``."""

    var: str
    name: str | None = None


@dataclass(eq=False)
class Scope:
    """``scope name { seq }`` (a variable scope)."""

    name: str
    seq: list


@dataclass(eq=False)
class ArgScope:
    """``arg_scope([kinds], **kw) { seq }``."""

    kinds: tuple
    kw: tuple
    seq: list


@dataclass(eq=False)
class BlockCall:
    """``bK(d) as name``: a call of block ``bK`` (one int parameter ``d``); ``as none`` when
    ``noscope``."""

    block: str
    d: int
    name: str | None = None
    noscope: bool = False


@dataclass(eq=False)
class Arith:
    """``net = net OP other`` / ``net = other OP net`` / ``net = -net`` / ``net = f(net, other)``:
    tensor arithmetic with a number or the second input ``y``."""

    op: str  # + - * / ** or neg
    other: Any = None  # a number, or "y"
    left: bool = False  # the other operand first
    func: str = ""  # the named form (multiply, subtract, ...) instead of the operator


@dataclass(eq=False)
class Slice:
    """``net = net[spec]``; ``spec`` is the subscript text, ``index`` the same as Python."""

    spec: str
    index: tuple


@dataclass(eq=False)
class Split:
    """``parts = split(net, pieces, axis=axis) [as name]``, then ``net = parts[take]``."""

    pieces: Any
    axis: int
    take: int
    name: str | None = None


@dataclass(eq=False)
class Net:
    """A whole network: inputs, top-level items and block definitions."""

    shape: tuple  # of int | None
    dtype: str
    items: list
    second: tuple | None = None  # shape of input y, if any
    blocks: dict = field(default_factory=dict)  # name -> list of items
    helpers: set = field(default_factory=set)  # blocks declared `as none` (no scope)


# ---------------------------------------------------------------------------- generation


class Chooser:
    """Where a generator's choices come from: hypothesis (shrinkable) or a seeded Random."""

    def int(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def pick(self, seq: Any) -> Any:
        raise NotImplementedError

    def subset(self, seq: Any, max_size: int) -> list:
        raise NotImplementedError

    def bool(self) -> bool:
        return self.int(0, 1) == 1


class DrawChooser(Chooser):
    """Choices drawn by hypothesis (``st.composite``'s ``draw``), so failures shrink."""

    def __init__(self, draw: Any):
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def pick(self, seq: Any) -> Any:
        return self.draw(st.sampled_from(seq))

    def subset(self, seq: Any, max_size: int) -> list:
        if not seq:  # hypothesis cannot sample from an empty sequence
            return []
        return self.draw(st.lists(st.sampled_from(seq), unique=True, max_size=max_size))


class RandomChooser(Chooser):
    """Choices from ``random.Random(seed)``: ~100x cheaper, for the 20,000-case run."""

    def __init__(self, seed: int):
        import random
        self.rnd = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rnd.randint(lo, hi)

    def pick(self, seq: Any) -> Any:
        return self.rnd.choice(list(seq))

    def subset(self, seq: Any, max_size: int) -> list:
        seq = list(seq)
        return self.rnd.sample(seq, self.rnd.randint(0, min(max_size, len(seq))))


#: Layers that are TF-Slim functions with a ``scope`` argument (repeat/stack/arg_scope work).
SLIM_FUNCS = ("conv2d", "conv2d_same", "separable_conv2d", "conv2d_transpose", "conv2d_in_plane",
              "fully_connected", "max_pool2d", "avg_pool2d", "subsample", "dropout", "flatten",
              "batch_norm", "bias_add", "unit_norm", "softmax", "conv1d", "conv3d",
              "conv3d_transpose", "convolution", "max_pool3d", "avg_pool3d", "pool",
              "instance_norm", "layer_norm", "group_norm", "linear", "maxout")
SPATIAL = ("conv2d", "conv2d_same", "separable_conv2d", "conv2d_transpose", "conv2d_in_plane",
           "max_pool2d", "avg_pool2d", "subsample", "convolution", "pool")
#: The window layers that fit an input of each rank (chosen most of the time).
SPATIAL_BY_RANK = {3: ("conv1d", "convolution", "pool", "sequence_to_images"),
                   4: SPATIAL + ("images_to_sequence",),
                   5: ("conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d", "convolution",
                       "pool")}
OTHER = ("fully_connected", "dropout", "flatten", "batch_norm", "bias_add", "unit_norm",
         "softmax", "squeeze", "reduce_mean", "pad", "relu", "relu6", "elu", "leaky_relu",
         "sigmoid", "tanh", "instance_norm", "layer_norm", "group_norm", "linear", "maxout",
         "scale_gradient", "gdn", "spatial_softmax", "images_to_sequence", "sequence_to_images")
#: TensorFlow ops (and activations) called like layers.
OPS = ("reshape", "expand_dims", "tile", "transpose", "reduce_max", "reduce_sum", "lrn",
       "depth_to_space", "space_to_depth", "resize", "clip_by_value", "hard_swish", "swish",
       "hard_sigmoid", "drop_path", "pad", "cast")
#: Kinds TensorFlow gives no name argument (their op names are their own; TF-Slim's
#: scale_gradient has no scope argument).
UNNAMED = ("scale_gradient", "swish", "drop_path")
_CONV_KEYS = {"stride", "padding", "activation_fn", "normalizer_fn", "biases_initializer",
              "kernel_size"}
_NORM_KEYS = {"center", "scale", "activation_fn"}
_LINEAR_KEYS = {"padding", "activation_fn", "normalizer_fn", "biases_initializer"}
#: arg_scope-able kinds and the keys of OPTIONAL their TF-Slim functions accept.
SCOPE_KEYS = {
    "conv2d": _CONV_KEYS | {"rate"},
    "separable_conv2d": _CONV_KEYS | {"rate", "depth_multiplier"},
    "conv2d_transpose": _CONV_KEYS, "conv2d_in_plane": _CONV_KEYS,
    "fully_connected": {"activation_fn", "normalizer_fn", "biases_initializer"},
    "max_pool2d": {"stride", "padding", "kernel_size"},
    "avg_pool2d": {"stride", "padding", "kernel_size"},
    "dropout": {"keep_prob"}, "batch_norm": _NORM_KEYS,
    # arg_scope([convolution], ...) breaks every conv1d/conv2d/conv3d call inside (TF-Slim)
    # (the 1-D and 3-D layers' windows differ from the 2-D ones OPTIONAL draws: slimdsl checks
    # an arg_scope's values where it is opened, TF-Slim only in the calls it reaches)
    "convolution": _CONV_KEYS | {"rate"}, "conv3d": _LINEAR_KEYS, "conv1d": _LINEAR_KEYS,
    "conv3d_transpose": _LINEAR_KEYS, "max_pool3d": {"padding"}, "avg_pool3d": {"padding"},
    "pool": {"padding"},
    "instance_norm": _NORM_KEYS, "layer_norm": _NORM_KEYS, "group_norm": _NORM_KEYS,
}


def _kernel(c: Chooser) -> Any:
    return c.int(1, 5) if c.int(0, 2) else [c.int(1, 4), c.int(1, 4)]


def _stride(c: Chooser) -> Any:
    return c.int(1, 3) if c.int(0, 2) else [c.int(1, 3), c.int(1, 3)]


def _rate(c: Chooser) -> Any:
    k = c.int(0, 3)
    return 1 if k == 0 else c.int(1, 3) if k < 3 else [c.int(1, 2), c.int(1, 2)]


#: How the optional arguments (and the arg_scope keys) are drawn.
OPTIONAL = {
    "stride": _stride, "rate": _rate, "kernel_size": _kernel,
    "padding": lambda c: c.pick(("SAME", "VALID")),
    "activation_fn": lambda c: c.pick((Sym("relu"), Sym("none"), Sym("tanh"), Sym("relu6"),
                                       Sym("hard_swish"), Sym("swish"))),
    "normalizer_fn": lambda c: c.pick((Sym("batch_norm"), Sym("none"), Sym("batch_norm"),
                                       Sym("instance_norm"), Sym("layer_norm"),
                                       Sym("group_norm"))),
    "biases_initializer": lambda c: c.pick((Sym("none"), Sym("zeros"))),
    "depth_multiplier": lambda c: c.int(1, 3), "keep_prob": lambda c: c.pick((0.5, 1.0)),
    "center": lambda c: c.bool(), "scale": lambda c: c.bool(),
}


class _Gen:
    """Builds one :class:`Net` from a :class:`Chooser`."""

    def __init__(self, c: Chooser):
        self.c = c
        self.counter = 0
        self.used: list[str] = []
        self.blocks: dict = {}
        self.rank = 4  # the input's rank: which window layers fit
        self.helpers: set = set()

    def fresh(self, prefix: str = "L", reuse: bool = False) -> str:
        """A new scope name; now and then a nested one (``g/L7``) or (``reuse``) an old one."""
        self.counter += 1
        roll = self.c.int(0, 39)
        if roll <= 1 and reuse and self.used:
            # A clash of names: TF uniquifies name scopes and op names (ignoring case) and
            # rejects variables created twice; a variable scope entered again (a `scope` or a
            # layer named like an earlier op) gets a uniquified *name* scope for its ops.
            old = self.c.pick(self.used)
            return old if roll == 0 else old.swapcase()
        name = f"g{self.counter}/{prefix}{self.counter}" if roll == 2 else \
            f"{prefix}{self.counter}"
        self.used.append(name)
        return name

    def maybe_name(self, prefix: str) -> str | None:
        return self.fresh(prefix) if self.c.bool() else None

    def kw(self, keys: tuple) -> tuple:
        kw = tuple((k, OPTIONAL[k](self.c)) for k in self.c.subset(keys, 3))
        if ("normalizer_fn", Sym("group_norm")) in kw:  # its default, groups=32, rarely fits
            kw += (("normalizer_params", {"groups": self.c.pick((1, 2, 4))}),)
        return kw

    def outs(self, in_block: bool) -> Any:
        return Param() if in_block and self.c.int(0, 2) == 0 else self.c.int(1, 5)

    def layer(self, kind: str, in_block: bool = False, named: bool | None = None) -> Layer:
        """One layer of ``kind`` with drawn arguments (possibly invalid for its input)."""
        c = self.c
        pos: tuple = ()
        kw: tuple = ()
        if kind == "conv2d":
            pos = (self.outs(in_block), _kernel(c))
            kw = self.kw(("stride", "padding", "rate", "activation_fn", "normalizer_fn",
                          "biases_initializer"))
        elif kind == "conv2d_same":
            pos = (self.outs(in_block), c.int(1, 5), c.int(1, 3))
            kw = self.kw(("rate", "activation_fn", "normalizer_fn"))
        elif kind == "separable_conv2d":
            pos = (Sym("none") if c.int(0, 3) == 0 else c.int(1, 5), _kernel(c))
            kw = _no_strided_atrous(self.kw(("depth_multiplier", "stride", "padding", "rate",
                                             "activation_fn", "normalizer_fn")))
        elif kind == "conv2d_transpose":
            pos = (self.outs(in_block), _kernel(c))
            kw = self.kw(("stride", "padding", "activation_fn", "normalizer_fn"))
        elif kind == "conv2d_in_plane":
            pos = (_kernel(c),)
            kw = self.kw(("stride", "padding", "activation_fn"))
        elif kind == "fully_connected":
            pos = (self.outs(in_block),)
            kw = self.kw(("activation_fn", "normalizer_fn", "biases_initializer"))
        elif kind in ("max_pool2d", "avg_pool2d"):
            pos = (_kernel(c),)
            kw = self.kw(("stride", "padding"))
        elif kind == "subsample":
            pos = (c.int(1, 3),)
        elif kind == "dropout":
            kw = self.kw(("keep_prob",))
        elif kind == "batch_norm":
            kw = self.kw(("center", "scale"))
        elif kind == "unit_norm":
            pos = (c.int(-1, 4),)
        elif kind == "squeeze":
            if c.int(0, 2):
                pos = ([c.int(-4, 4) for _ in range(c.int(1, 2))],)
        elif kind == "reduce_mean":
            if c.int(0, 3):
                pos = ([c.int(-4, 4) for _ in range(c.int(0, 3))],)
            if c.bool():
                kw = (("keepdims", c.bool()),)
        elif kind == "pad":
            rank = c.pick((4, 4, 4, 2, 3))
            pos = ([[c.int(0, 2), c.int(0, 2)] for _ in range(rank)],)
            if c.int(0, 2) == 0:
                kw = (("mode", c.pick(("REFLECT", "SYMMETRIC", "reflect"))),)
        elif kind == "reshape":
            pos = (c.pick(([-1], [-1, c.int(1, 8)], [c.pick((1, 2, 3, 4)), -1], [-1, 4, 4, 3],
                           [-1, c.int(1, 4), c.int(1, 4), c.int(1, 4)])),)
        elif kind == "expand_dims":
            pos = (c.int(-5, 4),)
        elif kind == "tile":
            pos = ([c.int(0, 2) for _ in range(c.pick((4, 4, 2, 3)))],)
        elif kind == "transpose":
            perm = c.pick(([0, 2, 1, 3], [0, 3, 1, 2], [3, 2, 1, 0], [1, 0], [0, 2, 1],
                           [0, 1, 1, 2]))
            pos = (perm,) if c.int(0, 3) else ()
        elif kind in ("reduce_max", "reduce_sum"):
            if c.int(0, 3):
                pos = ([c.int(-4, 4) for _ in range(c.int(0, 3))],)
            if c.bool():
                kw = (("keepdims", c.bool()),)
        elif kind == "lrn":
            kw = (("depth_radius", c.int(0, 3)),) if c.bool() else ()
        elif kind in ("depth_to_space", "space_to_depth"):
            pos = (c.pick((2, 2, 3, 1)),)
        elif kind == "resize":
            pos = ([c.int(1, 12), c.int(1, 12)],)
            corners = c.pick(((), (("align_corners", True),), (("half_pixel_centers", True),)))
            kw = corners + ((("method", "nearest"),) if c.bool() else ())
        elif kind == "clip_by_value":
            pos = (c.pick((0, -1.5)), c.pick((6, 1.0)))
        elif kind == "drop_path":
            pos = (c.pick((0.5, 0.8)),)
        elif kind == "cast":
            pos = (c.pick(("float32", "int32", "float16")),)
        elif kind == "leaky_relu":
            if c.bool():
                kw = (("alpha", 0.1),)
        elif kind == "one_hot_encoding":
            pos = (c.int(1, 5),)
        else:
            pos, kw = more_layer_args(self, kind, in_block)
        if named is None:
            named = c.int(0, 3) > 0 and kind not in UNNAMED
        return Layer(kind, pos, kw, self.fresh("L", reuse=True) if named else None)

    def tensor_expr(self, in_block: bool) -> Any:
        """Tensor arithmetic, a slice or a split of net."""
        c = self.c
        roll = c.int(0, 9)
        if roll < 5:
            op = c.pick(("+", "-", "*", "/", "**", "neg", "*"))
            if op == "neg":
                return Arith("neg")
            other = "y" if not in_block and c.int(0, 3) == 0 else c.pick((0.5, 2, -1.5, 3.0))
            func = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide",
                    "**": "pow"}[op] if c.int(0, 3) == 0 else ""
            return Arith(op, other, c.bool() and other != "y", func)
        if roll < 8:
            items, index = [], []
            for _ in range(c.int(1, 4)):
                r = c.int(0, 9)
                if r == 0:
                    items.append("...")
                    index.append(Ellipsis)
                elif r == 1:
                    items.append("none")
                    index.append(None)
                elif r == 2:
                    i = c.int(-2, 2)
                    items.append(str(i))
                    index.append(i)
                else:
                    a = c.pick((None, None, 1, -1, 2))
                    b = c.pick((None, None, -1, 3))
                    step = c.pick((None, None, 2, -1))
                    text = ("" if a is None else str(a)) + ":" + ("" if b is None else str(b))
                    items.append(text + ("" if step is None else f":{step}"))
                    index.append(slice(a, b, step))
            return Slice(", ".join(items), tuple(index))
        pieces = c.pick((2, 3, [1, -1], [1, 2], 1))
        count = pieces if isinstance(pieces, int) else len(pieces)
        return Split(pieces, c.pick((3, -1, 1, 0)), c.int(0, count - 1), self.maybe_name("P"))

    def seq(self, depth: int, lo: int = 1, hi: int = 4, in_block: bool = False) -> list:
        """A list of items; ``depth`` bounds the nesting of branches, scopes and blocks."""
        c = self.c
        items: list = []
        for _ in range(c.int(lo, hi)):
            roll = c.int(0, 99)
            if roll < 36 or depth <= 0:
                fitting = SPATIAL_BY_RANK.get(self.rank, SPATIAL) if c.int(0, 4) else SPATIAL
                items.append(self.layer(c.pick(fitting), in_block))
            elif roll < 50:
                items.append(self.layer(c.pick(OTHER), in_block))
            elif roll < 54:
                items.append(self.layer(c.pick(OPS), in_block))
            elif roll < 58:
                items.append(self.tensor_expr(in_block))
            elif roll < 64:
                layer = self.layer(c.pick(SLIM_FUNCS), in_block, False)
                items.append(Repeat(c.int(0, 3), layer, self.maybe_name("R")))
            elif roll < 68:
                kind = c.pick(("conv2d", "fully_connected", "max_pool2d", "conv2d_transpose"))
                first = self.layer(kind, in_block, False)
                width = len(first.pos)
                args = tuple(tuple(self.layer(kind, in_block, False).pos[:width])
                             for _ in range(c.int(1, 3)))
                items.append(Stack(Layer(kind, (), first.kw), args, self.maybe_name("S")))
            elif roll < 78:
                kind = c.pick(("concat", "concat", "add"))
                branches = [Branch(c.pick((f"Branch_{i}", None)),
                                   self.seq(depth - 1, 0, 2, in_block))
                            for i in range(2 if kind == "add" else c.int(1, 3))]
                items.append(Combine(kind, c.pick((3, 3, 3, -1, 1, 2, 0, 4)), branches,
                                     self.maybe_name("C")))
            elif roll < 83:
                self.counter += 1
                items.append(Residual(f"s{self.counter}", self.seq(depth - 1, 1, 2, in_block),
                                      self.maybe_name("A")))
            elif roll < 86 and not in_block:
                items.append(WithInput(c.pick(("add", "concat")), c.pick((3, -1, 1, 0)),
                                       self.maybe_name("Y")))
            elif roll < 88:
                items.append(Scope(self.fresh("sc", reuse=True),
                                   self.seq(depth - 1, 1, 2, in_block)))
            elif roll < 90:
                self.counter += 1
                items.append(Variable(f"v{self.counter}", self.maybe_name("V")))
            elif roll < 95:
                kinds = tuple(c.subset(tuple(SCOPE_KEYS), 3)) or ("conv2d",)
                common = set(OPTIONAL)
                for k in kinds:
                    common &= SCOPE_KEYS[k]
                kw = self.kw(tuple(sorted(common)))
                if "separable_conv2d" in kinds:
                    kw = _no_strided_atrous(kw)
                items.append(ArgScope(kinds, kw, self.seq(depth - 1, 1, 3, in_block)))
            else:
                items.append(self.block_call(depth))
        return items

    def block_call(self, depth: int) -> BlockCall:
        # Blocks live in one dict per network; a body calls only blocks completed before it
        # (no recursion) and may define new ones.
        c = self.c
        done = sorted(b for b, body in self.blocks.items() if body)
        if not done or (len(self.blocks) < 3 and c.bool()):
            name = f"blk{len(self.blocks)}"
            self.blocks[name] = []  # reserved: not callable from its own body
            outer = self.counter, self.used
            self.counter, self.used = 0, []  # layer names restart inside a block
            self.blocks[name] = self.seq(depth - 1, 1, 3, True) or [Layer("relu")]
            self.counter, self.used = outer
            if c.int(0, 3) == 0:
                self.helpers.add(name)
            done = sorted(b for b, body in self.blocks.items() if body)
        name = self.maybe_name("B")
        return BlockCall(c.pick(done), c.int(1, 5), name, name is None and c.int(0, 3) == 0)

    def net(self, max_items: int = 4, depth: int = 2) -> Net:
        c = self.c
        if c.int(0, 24) == 0:  # integer labels -> one_hot_encoding first
            shape = tuple(c.pick((None, 2, 3)) for _ in range(c.int(1, 2)))
            items = [self.layer("one_hot_encoding")] + self.seq(depth, 0, 2)
            return Net(shape, "int32", items, None, self.blocks, self.helpers)
        rank = self.rank = c.pick((4,) * 14 + (5, 5, 5, 3, 3, 2, 2, 1))
        batch = c.pick((None, None, 1, 2, 3))
        unknown_spatial = c.int(0, 9) == 0
        dims = [batch] + [None if unknown_spatial and c.int(0, 2) == 0 else c.int(1, 24)
                          for _ in range(rank - 2)]
        if rank > 1:
            dims.append(c.pick((None,) + (1, 2, 3, 4, 5) * 4))
        items = self.seq(depth, 1, max_items)
        second = None
        if any(isinstance(i, WithInput) or (isinstance(i, Arith) and i.other == "y")
               for i in _walk(items)):
            second = c.pick((tuple(dims[-1:]), (1, 1, dims[-1]), tuple(dims),
                             (None,) + tuple(c.int(1, 5) for _ in range(rank - 1)),
                             (c.int(1, 5),)))
        return Net(tuple(dims), "float32", items, second, self.blocks, self.helpers)


def _no_strided_atrous(kw: tuple) -> tuple:
    """Drop ``rate`` when it comes with stride > 1 (see the separable_conv2d note)."""
    # TF 2.21 builds separable_conv2d with stride > 1 AND rate > 1; slimdsl rejects it, as
    # TF-Slim's docstring says it is unsupported. That asymmetry has its own test in
    # test_fuzz_differential.py and is kept out of the equality property.
    d = dict(kw)
    if _gt1(d.get("stride", 1)) and _gt1(d.get("rate", 1)):
        return tuple((k, v) for k, v in kw if k != "rate")
    return kw


def _gt1(v: Any) -> bool:
    return any(x > 1 for x in v) if isinstance(v, list) else v > 1


@st.composite
def networks(draw: Any, max_items: int = 4, depth: int = 2) -> Net:
    """Hypothesis strategy: a random network description (see the module docstring)."""
    return _Gen(DrawChooser(draw)).net(max_items, depth)


def random_network(seed: int, max_items: int = 4, depth: int = 2) -> Net:
    """The same distribution from ``random.Random(seed)`` (reproducible by seed)."""
    return _Gen(RandomChooser(seed)).net(max_items, depth)


def _walk(items: list):
    for item in items:
        yield item
        for attr in ("seq",):
            if hasattr(item, attr):
                yield from _walk(getattr(item, attr))
        if isinstance(item, Combine):
            for b in item.branches:
                yield from _walk(b.seq)


# ---------------------------------------------------------------------------- .slim text


def _call_text(kind: str, pos: tuple, kw: tuple, lead: list[str] = ()) -> str:
    args = list(lead) + [slim_text(p) for p in pos] + [f"{k}={slim_text(v)}" for k, v in kw]
    return f"{kind}({', '.join(args)})"


def _as(name: str | None) -> str:
    if not name:
        return ""
    return f' as "{name}"' if "/" in name else f" as {name}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.line_of: dict = {}  # id(item) (and (id, "add") for Variable) -> 1-based line

    def emit(self, text: str, indent: int, item: Any = None) -> None:
        self.lines.append("  " * indent + text)
        if item is not None:
            self.line_of[id(item)] = len(self.lines)

    def seq(self, items: list, indent: int) -> None:
        for item in items:
            self.item(item, indent)

    def item(self, it: Any, ind: int) -> None:
        if isinstance(it, Layer):
            self.emit(_call_text(it.kind, it.pos, it.kw) + _as(it.name), ind, it)
        elif isinstance(it, Repeat):
            lead = [str(it.count), it.layer.kind]
            self.emit(_call_text("repeat", it.layer.pos, it.layer.kw, lead) + _as(it.name),
                      ind, it)
        elif isinstance(it, Stack):
            items = "[" + ", ".join("(" + ", ".join(slim_text(a) for a in args) + ",)"
                                    if len(args) != 1 else slim_text(args[0])
                                    for args in it.items) + "]"
            self.emit(_call_text("stack", (), it.layer.kw, [it.layer.kind, items])
                      + _as(it.name), ind, it)
        elif isinstance(it, Combine):
            head = f"concat(axis={it.axis})" if it.kind == "concat" else "add()"
            self.emit(head + _as(it.name) + " {", ind, it)
            for b in it.branches:
                self.emit((b.scope + " {") if b.scope else "{", ind + 1)
                self.seq(b.seq, ind + 2)
                self.emit("}", ind + 1)
            self.emit("}", ind)
        elif isinstance(it, Residual):
            self.emit(f"{it.var} = net", ind)
            self.seq(it.seq, ind)
            self.emit(f"add({it.var})" + _as(it.name), ind, it)
        elif isinstance(it, WithInput):
            text = "add(y)" if it.kind == "add" else f"concat([net, y], axis={it.axis})"
            self.emit(text + _as(it.name), ind, it)
        elif isinstance(it, Scope):
            self.emit(f"scope{_as(it.name)[3:]} {{", ind, it)
            self.seq(it.seq, ind + 1)
            self.emit("}", ind)
        elif isinstance(it, ArgScope):
            self.emit(_call_text("arg_scope", (), it.kw, ["[" + ", ".join(it.kinds) + "]"])
                      + " {", ind, it)
            self.seq(it.seq, ind + 1)
            self.emit("}", ind)
        elif isinstance(it, BlockCall):
            self.emit(f"{it.block}({it.d})" + (" as none" if it.noscope else _as(it.name)),
                      ind, it)
        elif isinstance(it, Variable):
            self.emit(f'{it.var} = model_variable("{it.var}", [1])', ind, it)
            self.emit(f"add(net, {it.var})" + _as(it.name), ind)
            self.line_of[id(it), "add"] = len(self.lines)
        elif isinstance(it, Arith):
            self.emit("net = " + arith_text(it), ind, it)
        elif isinstance(it, Slice):
            self.emit(f"net = net[{it.spec}]", ind, it)
        elif isinstance(it, Split):
            self.emit(f"parts = split(net, {slim_text(it.pieces)}, axis={it.axis})"
                      + _as(it.name), ind, it)
            self.emit(f"net = parts[{it.take}]", ind)
        else:  # pragma: no cover - a new item type without a renderer
            raise TypeError(it)


def arith_text(it: Arith) -> str:
    """The .slim expression of an :class:`Arith` item (over ``net``)."""
    if it.op == "neg":
        return "-net"
    other = it.other if isinstance(it.other, str) else slim_text(it.other)
    a, b = (other, "net") if it.left else ("net", other)
    if it.func:
        return f"{it.func}({a}, {b})"
    if it.op == "**" and a.startswith("-"):
        a = f"({a})"
    return f"{a} {it.op} {b}"


def render_slim(net: Net, model: str = "fz") -> tuple[str, dict[int, int]]:
    """The network as a .slim file, and the line of every item (by ``id``)."""
    w = _Writer()
    w.emit(f"model {model} {{", 0)
    dims = "[" + ", ".join("?" if d is None else str(d) for d in net.shape) + "]"
    w.emit(f"input x: {dims}" + (" int32" if net.dtype == "int32" else ""), 1)
    if net.second is not None:
        w.emit("input y: [" + ", ".join("?" if d is None else str(d) for d in net.second)
               + "]", 1)
    w.seq(net.items, 1)
    w.emit("}", 0)
    for name, body in net.blocks.items():
        w.emit(f"block {name}(d: int){' as none' if name in net.helpers else ''} {{", 0)
        w.seq(body, 1)
        w.emit("}", 0)
    return "\n".join(w.lines) + "\n", w.line_of
