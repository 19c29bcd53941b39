"""The reference parse: Lark's own LALR parser and tree, positions propagated by Lark.

``slimdsl.frontend.parser.parse`` runs its own lexer and parser loop over the tables Lark
computes (slimdsl/frontend/lalr.py). This module parses the same text the way Lark itself does
(``grammar()``: Lark's lexer, the grammar's post-lexer, Lark's parser, a parse tree with
``propagate_positions=True``) and turns that tree into syntax-tree nodes with the *same*
builder (``AstBuilder``), each node's meta taken from Lark's: so any difference in a tree, a
span or a syntax error between the two is the front end's loop or lexer departing from Lark.
"""

from __future__ import annotations

from typing import Any

from lark import Token as LarkToken
from lark import Tree
from lark.exceptions import UnexpectedCharacters as LarkUnexpectedCharacters
from lark.exceptions import UnexpectedInput
from lark.exceptions import UnexpectedToken as LarkUnexpectedToken

from slimdsl import diagnostics as dg
from slimdsl.diagnostics import CompileError, Diagnostics
from slimdsl.frontend.builder import AstBuilder, token_span
from slimdsl.frontend.grammar import grammar, start_parser
from slimdsl.frontend.lalr import UnexpectedToken
from slimdsl.frontend.lexer import (
    MAX_NESTING,
    NestingTooDeep,
    Token,
    UnexpectedCharacters,
    make_token,
)
from slimdsl.frontend.parser import check_source, syntax_diagnostic


def token(tok: LarkToken) -> Token:
    """A Lark token as the front end's token."""
    return make_token(tok.type, str(tok), tok.line, tok.column, tok.end_line, tok.end_column,
                      tok.start_pos)


def meta(tree: Tree) -> tuple:
    """Lark's propagated positions of a tree as the builder's (first, last) meta."""
    m = tree.meta
    if getattr(m, "empty", True):
        return (None, None)
    return (make_token("", "", m.line, m.column, 0, 0, 0),
            make_token("", "", 0, 0, m.end_line, m.end_column, 0))


def build(tree: Tree, builder: AstBuilder) -> Any:
    """The builder's value for a Lark tree, children first, without recursion."""
    results: list[Any] = []
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if not isinstance(node, Tree):  # a Token, or None for an absent [optional] part
            results.append(token(node) if isinstance(node, LarkToken) else node)
        elif not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
        else:
            start = len(results) - len(node.children)
            children = results[start:]
            del results[start:]
            results.append(getattr(builder, node.data)(meta(node), children))
    return results[0]


def reference_parse(text: str, path: str = "<string>", start: str = "start") -> Any:
    """What ``parse`` must return for ``text`` (a File; a list of statements for ``stmts``);
    raises CompileError with the diagnostics it must raise."""
    diags = Diagnostics()
    text = check_source(text, path, diags)
    parser = grammar() if start == "start" else start_parser(start)
    try:
        tree = parser.parse(text)
    except NestingTooDeep as exc:
        diags.error(token_span(path, token(exc.token)), dg.TOO_DEEP,
                    f"brackets and blocks nested more than {MAX_NESTING} deep")
        raise CompileError(diags.items) from None
    except UnexpectedInput as exc:
        diags.items.append(syntax_diagnostic(_ours(exc), text, path))
        raise CompileError(diags.items) from None
    result = build(tree, AstBuilder(path, diags))
    if diags.has_errors:
        raise CompileError(diags.items)
    return result


def _ours(exc: UnexpectedInput) -> Exception:
    if isinstance(exc, LarkUnexpectedCharacters):
        return UnexpectedCharacters(exc.pos_in_stream, exc.line, exc.column)
    if isinstance(exc, LarkUnexpectedToken):
        return UnexpectedToken(token(exc.token), set(exc.expected))
    raise AssertionError(f"Lark's LALR parser raised {type(exc).__name__}")
