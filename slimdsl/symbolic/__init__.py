"""slimdsl.symbolic (issue 14): symbolic tensor dimensions with TensorFlow's exact shape arithmetic.

Pure Python (stdlib only). The pieces:

* :mod:`.expr`: canonical integer quasi-polynomials over named dimensions (``Expr``),
  ``floor_div``/``ceil_div``, ``evaluate``, ``substitute``, ``free_symbols``;
* :mod:`.analysis`: ``max_``/``min_`` (decided or :class:`Undecidable`), ``bounds``, and the
  facts the solver uses (``affine_form``, ``period``, ``monotone``);
* :mod:`.tf`: TensorFlow's shape rules over ``int | Expr | None`` and the constraints they
  impose;
* :mod:`.constraints` and :mod:`.solver`: ``eq``/``ge``/``positive`` and ``solve``,
  valid sizes in closed form (:class:`IntSet`), minimal conflicts, ``classify``;
* :mod:`.approx`: FLOPs/memory formulas with float coefficients;
* :mod:`.receptive`: receptive field, effective stride and centre offset per layer.

>>> from slimdsl.symbolic import sym, ceil_div, eq, solve
>>> H = sym("H")
>>> print(solve([eq(2 * ceil_div(H, 2), H)])[0])
H = 2k, k ≥ 1
"""

import importlib

#: Where each name of the package's API lives. The submodules load on first use (PEP 562): a
#: check of a model without named sizes needs only ``expr`` and ``constraints``, not the solver.
_HOMES = {
    "analysis": ("bounds", "max_", "min_"),
    "approx": ("Approx", "approximate"),
    "constraints": ("Constraint", "eq", "ge", "le", "positive"),
    "expr": ("Expr", "Undecidable", "as_expr", "ceil_div", "clear_caches", "const", "evaluate",
             "exact_div", "floor_div", "free_symbols", "substitute", "sym"),
    "intset": ("IntSet",),
    "printing": ("format_expr",),
    "solver": ("Implication", "Solution", "equivalent", "solve"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["Expr", "Undecidable", "sym", "const", "as_expr", "floor_div", "ceil_div", "exact_div",
           "evaluate", "substitute", "free_symbols", "format_expr", "max_", "min_", "bounds",
           "Constraint", "eq", "ge", "le", "positive", "IntSet", "Solution", "Implication",
           "solve", "equivalent", "Approx", "approximate", "clear_caches"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
