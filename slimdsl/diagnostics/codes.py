"""The stable diagnostic codes: the names users grep for and CI tools key rules on.

``docs/errors.md`` is generated from :data:`CODES` (``scripts/gen_docs.py``) and checked against
it by the tests.
"""

from __future__ import annotations

from ..records import dataclass


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """A stable diagnostic code: the name users grep for and CI tools key rules on."""

    name: str
    title: str
    description: str
    #: "error", or "warning" for a lint (``--no-warn CODE`` silences it)
    severity: str = "error"
    #: a warning reported without ``--warn CODE`` (False: only when asked for)
    default_on: bool = True


#: Every code slimdsl can emit, in documentation order. ``docs/errors.md`` is checked against it.
CODES: dict[str, ErrorCode] = {}


def _code(name: str, title: str, description: str) -> ErrorCode:
    code = ErrorCode(name, title, description)
    CODES[name] = code
    return code


def _warning(name: str, title: str, description: str, default_on: bool = True) -> ErrorCode:
    code = ErrorCode(name, title, description, "warning", default_on)
    CODES[name] = code
    return code


SYNTAX = _code("syntax", "Syntax error", "The text is not valid .slim syntax.")
ENCODING = _code("encoding", "Unreadable text", "The file is not UTF-8 text or contains NUL bytes.")
TOO_DEEP = _code("too-deep", "Nesting too deep",
                 "Brackets or blocks are nested deeper than the compiler's limit.")
IMPORT = _code("import", "Import failed", "An imported file cannot be found or read.")
UNKNOWN_LAYER = _code("unknown-layer", "Unknown layer or block",
                      "A call names no layer of the registry and no block in scope.")
UNKNOWN_ARGUMENT = _code("unknown-argument", "Unknown argument",
                         "A keyword argument is not a parameter of the layer or block.")
MISSING_ARGUMENT = _code("missing-argument", "Missing argument",
                         "A required argument was not given and no arg_scope provides it.")
DUPLICATE_ARGUMENT = _code("duplicate-argument", "Argument given twice",
                           "An argument is given both positionally and by keyword, or twice.")
TOO_MANY_ARGUMENTS = _code("too-many-arguments", "Too many positional arguments",
                           "A call passes more positional arguments than the layer takes.")
BAD_VALUE = _code("bad-value", "Invalid argument value",
                  "An argument has the wrong type or a value outside its allowed range.")
UNKNOWN_NAME = _code("unknown-name", "Unknown name",
                     "A name refers to no parameter, tensor, loop variable or builtin.")
REDEFINED = _code("redefined", "Name defined twice",
                  "A model, block, parameter or input is defined twice.")
SCOPE_NAME = _code("scope-name", "Invalid or duplicate scope name",
                   "A scope name is not a valid TensorFlow name, or reuses variables.")
ARG_SCOPE = _code("arg-scope", "Invalid arg_scope",
                  "An arg_scope lists a non-layer, or sets a key none of its layers accept.")
SHAPE = _code("shape", "Shape error",
              "A layer cannot be applied to its input's shape (e.g. a kernel larger than the "
              "input with VALID padding).")
RANK = _code("rank", "Wrong rank", "A layer received a tensor of a rank it does not accept.")
INCOMPATIBLE = _code("incompatible-shapes", "Incompatible shapes",
                     "Tensors combined by concat or add have incompatible shapes.")
NO_VALID_SIZE = _code("no-valid-size", "No input size is valid",
                      "A model with named input sizes (`input images: [?, H, W, 3]`) works for "
                      "no value of them: e.g. a concat that needs H even after a layer that "
                      "needs it odd. The notes name a minimal set of layers that conflict.")
SOME_SIZES = _code("some-sizes", "Only some input sizes are valid",
                   "A warning: a model with named input sizes works only for some of them "
                   "(e.g. `H = 32k, k ≥ 1` for a U-Net whose skip connections must line up). "
                   "The message gives the valid sizes in closed form and the smallest; the notes "
                   "name the layers that exclude the others. `slimc check --sizes error` makes "
                   "it an error, `--sizes ignore` drops it.")
DTYPE = _code("dtype", "Incompatible dtypes",
              "An op gets a tensor of a dtype it does not take, tensors of two dtypes, or a "
              "number that does not fit the tensor's dtype: TensorFlow never converts a dtype "
              "implicitly.")
ASSERTION = _code("assertion", "Assertion failed", "An `assert` in the spec does not hold.")
EXPRESSION = _code("expression", "Invalid expression",
                   "An expression cannot be evaluated (type error, division by zero, ...).")
STRUCTURE = _code("structure", "Invalid model structure",
                  "A statement is in the wrong place, or a model has no input/output.")
RECURSION = _code("recursion", "Recursive block", "A block calls itself, directly or not.")
BUDGET = _code("budget", "Over budget", "A model exceeds --max-params or --max-flops.")
IO = _code("io", "I/O error", "A path cannot be read or written.")
INTERNAL = _code("internal", "Internal compiler error",
                 "slimc itself failed on this input. This is a bug in slimc: please report it "
                 "with the input file. The message names the Python exception.")

# ---------------------------------------------------------------------------- warnings (lints)
# Reported by slimdsl.lint; `--no-warn CODE` silences one, `--warn CODE` turns on one that is off
# by default, `--warnings-as-errors` makes them findings (exit 1). A `# slimc: ignore[CODE]`
# comment on the reported line silences it there (say why next to it).

UNUSED_BINDING = _warning(
    "unused-binding", "Unused name",
    "A name bound with `NAME = ...` is never read. For a layer or block call this is often a "
    "slip: `enc1 = double_conv(base)` leaves `net` unchanged, so the next layer without an "
    "explicit input reads `net`, not `enc1`.")
DEAD_LAYER = _warning(
    "dead-layer", "Dead layer",
    "A layer's output reaches no model output, end point or later layer: its variables are "
    "created and never affect anything.")
UNUSED_PARAMETER = _warning(
    "unused-parameter", "Unused parameter",
    "A parameter of a model, block or `def` function is never read in its body (names "
    "starting with `_` are exempt).")
DEGENERATE_VALUE = _warning(
    "degenerate-value", "Degenerate initializer or regularizer",
    "An initializer or regularizer whose literal values make it useless: a normal with stddev "
    "0 (every weight equal; `random_normal`/`truncated_normal` take the stddev first), a "
    "uniform with minval >= maxval, weights initialized to a constant (every unit stays the "
    "same), a regularizer with scale 0.")
FC_RANK4 = _warning(
    "unflattened-fully-connected", "fully_connected on a rank-4 tensor",
    "`fully_connected` on an image-shaped tensor acts on its last axis only (a 1x1 "
    "convolution); a `flatten()` before it is usually missing.")
REDUNDANT_LAYER = _warning(
    "redundant-layer", "Redundant layer",
    "A layer repeats what its input's layer already did: an activation layer after the same "
    "activation_fn, a batch_norm after normalizer_fn=batch_norm.")
UNUSED_BLOCK = _warning(
    "unused-block", "Unused block",
    "A block of a file that defines models is called by nothing in the file (off by default: "
    "other files may import it; turn on with `--warn unused-block`).", default_on=False)
