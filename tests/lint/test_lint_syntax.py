"""The lints' tree walker knows every node of the syntax tree: a statement or expression kind
added to the language without teaching the walker would hide the names it reads (and make them
look unused) or the code nested in it (and leave it unchecked)."""

from __future__ import annotations

import typing

from slimdsl.api import check_source
from slimdsl.frontend import tree as n
from slimdsl.lint import syntax


def test_every_statement_and_expression_kind_is_handled():
    assert set(typing.get_args(n.Stmt)) == set(syntax.STATEMENTS)
    assert set(typing.get_args(n.Expr)) == set(syntax.EXPRESSIONS)


def test_reads_in_every_position_count():
    text = """
def twice(v) = 2 * v
model m(a: int = 1, b: int = 2, c: list = [1], d: string = "x", e: bool = true, f: int = 3,
        g: int = 1, h: int = 8, k: int = 5, lo: int = 1, hi: int = 3) {
  input images: [?, 8, 8, 3]
  scope "s_{d}" {
    conv2d(twice(a), [1, 1][0] if e else b) as "c_{f}"
  }
  for i in range(len(c[lo:hi])) {
    assert g > 0
  }
  end_point "p_{d}"
  arg_scope([conv2d], stride=k) { conv2d(h, 1) as last }
}
"""
    diags = check_source(text, "m.slim").diagnostics
    assert [f"{d.span.line}: {d.message}" for d in diags] == []
