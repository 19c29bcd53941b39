"""Receptive field arithmetic: effective stride, field size and centre offset per layer.

Coordinates are the network input's pixel indices along one axis (pixel ``i`` has its centre at
``i``). A :class:`Field` describes the units of one layer: unit ``o`` sees input pixels centred at
``start + o * jump`` over ``size`` pixels (padding included: the *theoretical* receptive field,
which at the borders extends into the zero padding). The standard recurrences, for a window
layer with dilated kernel ``k_eff``, stride ``s`` and padding ``p`` before the data:

    jump' = jump * s
    size' = size + (k_eff - 1) * jump
    start' = start + ((k_eff - 1) / 2 - p) * jump

TensorFlow's SAME padding puts ``p = floor(total / 2)`` before the data, where
``total = max((ceil(n / s) - 1) * s + k_eff - n, 0)`` depends on the layer's input size ``n``.
The offset is therefore computed from ``in_size``: an int gives a number, a symbolic size an
exact expression (e.g. ``-H + 2*ceil(H / 2)`` pixels of padding for a 3x3 stride-2 window). When
``k_eff < s`` and ``k_eff > 1`` the ``max`` is size-dependent in a way the representation cannot
express and :class:`~slimdsl.symbolic.expr.Undecidable` is raised: pass a concrete size then.
``conv2d_same`` (ResNet) pads ``(k_eff - 1) // 2`` before, independent of the size. VALID pads 0.

Transposed convolutions (``conv2d_transpose``) divide the jump by the stride. Output unit ``o``
takes input units ``i`` with ``o = i*s - p + t``, ``0 <= t < k`` (``p`` the padding of the
forward convolution it is the gradient of: ``max(k - s, 0) // 2`` for SAME, 0 for VALID). Its
centre is the image of ``(o + p - (k - 1) / 2) / s`` and its size the maximum over units,
``size + (ceil(k / s) - 1) * jump`` (units see ``floor`` or ``ceil`` of ``k / s`` inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import gcd, lcm

from ..records import dataclass
from .expr import Expr, as_expr, evaluate, exact_div
from .tf import Dim, effective_kernel, same_padding

__all__ = ["Offset", "Field", "input_field", "conv_field", "pad_field", "transpose_field"]


@dataclass(frozen=True)
class Offset:
    """``num / den`` pixels: an exact rational that may depend on the sizes (``num`` an Expr)."""

    num: Expr
    den: int = 1

    def at(self, env: Mapping[str, int] | None = None) -> Fraction:
        """The value at these sizes (``env`` may be omitted when constant).

        >>> Offset(as_expr(7), 2).at()
        Fraction(7, 2)
        """
        return Fraction(evaluate(self.num, env or {}), self.den)

    def plus(self, coef: Fraction, e: Expr | int) -> Offset:
        """``self + coef * e`` with ``coef`` rational and ``e`` an integer expression."""
        den = lcm(self.den, coef.denominator)
        scale = coef.numerator * (den // coef.denominator)
        num = self.num * (den // self.den) + as_expr(e) * scale
        return _reduced(num, den)

    def format(self, unicode: bool = False) -> str:
        """``7/2``, ``H - 1``, ``(2*ceil(H / 2) - 1)/2``."""
        text = self.num.format(unicode)
        if self.den == 1:
            return text
        if len(self.num.terms) + (self.num.const != 0) > 1 or text.startswith("-"):
            text = f"({text})"
        return f"{text}/{self.den}"

    def __str__(self) -> str:
        return self.format()


def _reduced(num: Expr, den: int) -> Offset:
    g = den
    for c in list(num.terms.values()) + [num.const]:
        g = gcd(g, c)
    return Offset(exact_div(num, g), den // g) if g > 1 else Offset(num, den)


@dataclass(frozen=True)
class Field:
    """The receptive field of one layer's units (see the module docstring).

    ``jump``: effective stride in input pixels; ``size``: field extent in input pixels (for
    layers after a transposed convolution, the maximum over units); ``start``: centre of unit 0.
    """

    jump: Fraction
    size: Fraction
    start: Offset

    def format(self, unicode: bool = False) -> str:
        """``stride 32, field 211, centre of unit 0 at 105/2``."""
        return (f"stride {_num(self.jump)}, field {_num(self.size)}, "
                f"centre of unit 0 at {self.start.format(unicode)}")

    def __str__(self) -> str:
        return self.format()


def _num(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def input_field() -> Field:
    """The input itself: stride 1, field 1, unit ``o`` centred on pixel ``o``.

    >>> print(input_field())
    stride 1, field 1, centre of unit 0 at 0
    """
    return Field(Fraction(1), Fraction(1), Offset(as_expr(0)))


def conv_field(f: Field, kernel: int, stride: int, padding: str = "SAME", rate: int = 1,
               in_size: Dim = None) -> Field:
    """A convolution or pooling window (``padding``: ``"SAME"``, ``"VALID"`` or
    ``"conv2d_same"``); ``in_size`` (this layer's input size, int or Expr) is needed for SAME.

    >>> from slimdsl.symbolic.expr import sym
    >>> f = conv_field(input_field(), 7, 2, "SAME", in_size=224)     # conv1 of ResNet
    >>> print(f)
    stride 2, field 7, centre of unit 0 at 1
    >>> print(conv_field(f, 3, 2, "SAME", in_size=112))
    stride 4, field 11, centre of unit 0 at 3
    >>> print(conv_field(input_field(), 3, 2, "SAME", in_size=sym("H")))
    stride 2, field 3, centre of unit 0 at H - 2*ceil(H / 2) + 1
    """
    k_eff = effective_kernel(kernel, rate)
    if padding == "VALID":
        before: Dim = 0
    elif padding == "conv2d_same":
        before = (k_eff - 1) // 2
    elif padding == "SAME":
        if in_size is None:
            raise ValueError("SAME padding depends on the input size: pass in_size")
        before = same_padding(in_size, kernel, stride, rate)[0]
    else:
        raise ValueError(f"unknown padding {padding!r}")
    # start + ((k_eff - 1)/2 - before) * jump = start + jump/2 * ((k_eff - 1) - 2*before)
    start = f.start.plus(f.jump / 2, as_expr(k_eff - 1) - as_expr(before) * 2)
    return Field(f.jump * stride, f.size + (k_eff - 1) * f.jump, start)


def pad_field(f: Field, before: int) -> Field:
    """Explicit padding: unit 0 now sits ``before`` units to the left.

    >>> print(pad_field(input_field(), 3))
    stride 1, field 1, centre of unit 0 at -3
    """
    return Field(f.jump, f.size, f.start.plus(f.jump, -before))


def transpose_field(f: Field, kernel: int, stride: int, padding: str = "SAME") -> Field:
    """``conv2d_transpose`` (see the module docstring for the convention).

    >>> f = conv_field(input_field(), 3, 2, "VALID")
    >>> print(transpose_field(f, 3, 2, "VALID"))
    stride 1, field 5, centre of unit 0 at 0
    """
    p = max(kernel - stride, 0) // 2 if padding == "SAME" else 0
    # centre of output unit o: image of (o + p - (k - 1)/2) / s input units
    start = f.start.plus(f.jump / (2 * stride), 2 * p - (kernel - 1))
    units = -(-kernel // stride)
    return Field(f.jump / stride, f.size + (units - 1) * f.jump, start)
