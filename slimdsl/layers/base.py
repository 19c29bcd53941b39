"""What a layer kind is: :class:`LayerKind`, its :class:`Arg` s and the :class:`VarSpec` s it
creates, plus the few pieces the families share (default initializers, dtypes, windows).

A family module (``conv``, ``pool``, ...) defines ``KINDS``, a list of :class:`LayerKind`; the
package assembles them into the registry (:data:`slimdsl.layers.LAYERS`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ..records import dataclass, field
from ..values import Initializer, Regularizer
from .argtypes import FLOAT_DTYPES, TYPES
from .shapes import Shape, Window, expand, size

REQUIRED = object()  # marker: the argument has no default

#: ``Arg.runtime``: a model parameter passed as exactly this argument stays a parameter of
#: generated code, read at run time, because it changes no shape or variable (dropout's
#: keep_prob, batch_norm's decay).
RUNTIME_VALUE = "value"
#: ``Arg.runtime``: a model parameter passed as exactly this argument may stay a parameter of
#: generated code when it only sizes the output or the variables (num_outputs); accounting
#: follows it through the shape and variable rules to decide.
RUNTIME_SIZE = "size"


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a layer: TF-Slim's name, its type, and its default (or REQUIRED).

    ``runtime`` is :data:`RUNTIME_VALUE`, :data:`RUNTIME_SIZE` or "" (a model parameter given
    here is fixed at compile time).
    """

    name: str
    type: str
    default: Any = REQUIRED
    doc: str = ""
    runtime: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any) -> Any:
        """Validate and normalize ``value`` (raises :class:`~.argtypes.ArgError`)."""
        return TYPES[self.type].check(value)


@dataclass(frozen=True, slots=True)
class VarSpec:
    """A variable a layer creates, relative to its scope (``weights``, ``BatchNorm/beta``)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool
    initializer: Initializer
    regularizer: Regularizer | None = None
    role: str = ""  # weights | biases | depthwise | pointwise | beta | gamma | moving_mean | ...

    @property
    def size(self) -> int:
        return math.prod(self.shape)


XAVIER = Initializer("xavier", (("uniform", True),))
ZEROS = Initializer("zeros")
ONES = Initializer("ones")

INTEGER_DTYPES = ("uint8", "int32", "int64")
#: What TensorFlow's arithmetic ops (AddV2, Sub, Mul, ...) and most array ops take.
NUMERIC_DTYPES = FLOAT_DTYPES + INTEGER_DTYPES


class DtypeError(ValueError):
    """TensorFlow refuses these dtypes together (it never converts one implicitly)."""

#: The ``outputs_collections`` argument most layers share.
COLLECT = Arg("outputs_collections", "string?", None, "collect the output as an end point")


@dataclass(frozen=True)
class LayerKind:
    """Everything slimdsl knows about one layer kind, in one place.

    Its argument schema with TF-Slim's names, order and defaults; how its tensor inputs are
    passed; its default scope name and TF-Slim's ``__name__`` (used by ``repeat``/``stack``
    naming); its shape rule; the variables it creates; its FLOP count (multiply-adds count 2);
    the input dtypes TensorFlow accepts; and its documentation. The checker, the summary, the
    code generator, the editor keyword lists and ``docs/layers.md`` all read it.
    """

    name: str
    doc: str
    args: tuple[Arg, ...]
    shape: Callable[[list[Shape], dict[str, Any]], Shape]
    inputs: str = "one"  # one | two | list | none (model_variable: no tensor input)
    aliases: tuple[str, ...] = ()
    default_scope: str = ""
    func_name: str = ""  # TF-Slim's __name__, used by repeat/stack for inner scopes
    scope_kind: str = "variable"  # variable | name (pools, flatten) | op (tf.* ops)
    arg_scope_key: str | None = None  # None: the kind itself; else whose arg_scope applies
    #: Arguments the arg_scope of ``arg_scope_key`` never sets: the wrapper passes them itself
    #: (conv2d_same's stride and rate, linear's activation_fn).
    own_args: tuple[str, ...] = ()
    variables: Callable[[list[Shape], Shape, dict[str, Any]], list[VarSpec]] = \
        field(default=lambda ins, out, a: [])
    flops: Callable[[list[Shape], Shape, dict[str, Any]], int | None] = \
        field(default=lambda ins, out, a: 0)
    tf_name: str = ""  # what it is in TF-Slim / TensorFlow, for docs
    category: str = "layer"  # layer | pool | combine | activation | reshape
    #: Input dtypes TensorFlow accepts (None: any). Floating-point math is the default; e.g.
    #: tf.one_hot needs integer labels, tf.concat takes anything.
    input_dtypes: tuple[str, ...] | None = FLOAT_DTYPES
    #: The output dtype from the inputs' (dtype, constant value or None) and the arguments
    #: (raises :class:`DtypeError` when TensorFlow refuses the combination); None: the first
    #: input's dtype.
    dtype_rule: Callable[[list[tuple[str, Any]], dict[str, Any]], str] | None = None
    #: The default scope when it depends on the arguments (``pad``: ``Pad``, ``PadV2`` or
    #: ``MirrorPad``, as ``tf.pad`` names its op); None: :attr:`default_scope`.
    scope_rule: Callable[[dict[str, Any]], str] | None = None
    #: Op names TensorFlow also takes at the caller's level, besides the node's own
    #: (``drop_path`` builds ``add``, ``Floor``, ``mul`` ... without a scope of its own).
    more_names: Callable[[dict[str, Any]], tuple[str, ...]] | None = None
    #: The .slim operator that lowers to this kind (``*``) and the op name TensorFlow gives
    #: the operator form (``mul``; ``tf.multiply`` itself names it ``Mul``, the default scope).
    operator: str = ""
    operator_scope: str = ""
    #: False for kinds written only as syntax (``x[1:, :]``), never called by name.
    callable: bool = True
    #: True when the shape rule returns one shape per output (``split``): the call's value is
    #: a list of tensors.
    multi_output: bool = False
    #: When it returns its input itself, building nothing (``subsample(1)``, a ``cast`` to the
    #: input's dtype): a function of the input's dtype and the arguments.
    identity_when: Callable[[str, dict[str, Any]], bool] | None = None
    #: How many arguments may be passed positionally after the input (None: all of them);
    #: ``linear``'s are keyword-only after num_outputs, as its functools.partial makes them.
    positional: int | None = None
    #: False when TF-Slim's function is not decorated with add_arg_scope although it is a
    #: TF-Slim layer (gdn, scale_gradient); see :attr:`arg_scopable`.
    arg_scope_decorated: bool = True
    #: The name of TF-Slim's scope argument ("" for none), written ``as NAME`` in .slim.
    scope_arg: str = "scope"
    #: Explicit names uniquified like default ones (``name``, name_1, ...). No kind sets it:
    #: TF-Slim opens an explicit variable scope as given, gdn's Keras layer too (the lowering
    #: on branch i12lang reads this switch).
    unique_names: bool = False


    def arg(self, name: str) -> Arg | None:
        for a in self.args:
            if a.name == name:
                return a
        return None

    @functools.cached_property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def default_name(self, args: dict[str, Any]) -> str:
        """The scope (or op) name a call without ``as NAME`` starts from."""
        return self.scope_rule(args) if self.scope_rule is not None else self.default_scope

    def output_dtype(self, operands: list[tuple[str, Any]], args: dict[str, Any]) -> str:
        """The output dtype for inputs of (dtype, constant or None) ``operands`` (raises
        :class:`DtypeError`)."""
        if self.dtype_rule is not None:
            return self.dtype_rule(operands, args)
        return operands[0][0] if operands else "float32"

    @functools.cached_property
    def checked_defaults(self) -> dict[str, Any]:
        """Each optional argument's default, validated and normalized once (``Arg.check``)
        rather than for every layer; only immutable values (a list is checked anew)."""
        out: dict[str, Any] = {}
        for a in self.args:
            if a.required:
                continue
            if a.default is None:
                out[a.name] = None
                continue
            try:
                value = a.check(a.default)
            except ValueError:
                continue  # reported where it is used
            if not isinstance(value, (list, dict, set)):
                out[a.name] = value
        return out

    @functools.cached_property
    def arg_template(self) -> tuple[dict[str, Any], dict[str, int], tuple[str, ...],
                                    tuple[str, ...]]:
        """What a call starts from, for the lowering: every argument in order with its
        checked default (:data:`REQUIRED` for a required one, None where the default must be
        checked anew), the position of each, the required ones, and those checked anew."""
        defaults = self.checked_defaults
        template = {a.name: REQUIRED if a.required else defaults.get(a.name) for a in self.args}
        positions = {a.name: i for i, a in enumerate(self.args)}
        required = tuple(a.name for a in self.args if a.required)
        anew = tuple(a.name for a in self.args if not a.required and a.name not in defaults)
        return template, positions, required, anew

    @property
    def arg_scopable(self) -> bool:
        """Can ``arg_scope`` list this kind? Only functions decorated with ``@add_arg_scope``:
        TF-Slim's layers (most of them) and nasnet_utils' helpers; for TensorFlow's ops
        (``tf.squeeze``, ``tf.nn.relu``) and resnet_utils' helpers TF-Slim raises ValueError."""
        return self.arg_scope_key is None and self.arg_scope_decorated and \
            self.tf_name.startswith(("slim.", "nasnet_utils."))

    @functools.cached_property
    def scoped_key(self) -> str:
        """The arg_scope key whose defaults this kind reads (conv2d_same reads conv2d's)."""
        return self.arg_scope_key or self.name


def window(a: dict[str, Any], padding: str | None = None, n: int = 0) -> Window:
    """The sliding window of a conv or pool layer's effective arguments; ``n`` > 0 expands
    ints (an N-d layer whose N the input's rank decides) to ``n`` spatial axes."""
    kernel, stride, rate = a["kernel_size"], a["stride"], a.get("rate", 1)
    if n:
        kernel, stride = expand(kernel, n, "kernel_size"), expand(stride, n, "stride")
        rate = expand(rate, n, "rate")
    elif isinstance(rate, int):
        rate = (rate,) * len(kernel)
    return Window(kernel, stride, (padding or a["padding"]).upper(), rate)


def elementwise_flops(per_element: int) -> Callable[[list[Shape], Shape, dict], int | None]:
    """A FLOP rule: ``per_element`` operations for every output element."""
    def flops(ins: list[Shape], out: Shape, a: dict[str, Any]) -> int | None:
        n = size(out)
        return None if n is None else per_element * n
    return flops
