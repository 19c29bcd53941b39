"""The LALR(1) parser loop over Lark's tables, building the syntax tree as it reduces.

This is Lark's LALR algorithm (``lark.parsers.lalr_parser_state``) on Lark's own tables
(:mod:`.tables`), with two differences that make it several times faster and change nothing
it accepts, builds or reports:

- **Unit reductions are skipped in one step.** The expression grammar's twelve precedence
  levels (``?expr: ternary``, ``?ternary: or_expr``, ...) reduce a lone operand through every
  level; each such ``?rule: other`` reduction only replaces the state on top of the stack, so
  the state a whole chain of them ends in depends on the state below, the state on top and the
  lookahead alone, and is looked up once (:attr:`Tables.unit_memo`) instead of walked.
- **No parse tree.** Each reduction calls the builder's method for its rule (or alias) with
  the children Lark's tree would have had (anonymous tokens dropped, ``_rule`` children
  spliced, ``None`` for absent optional parts) and a *meta*: the first and last token of the
  text the rule covers, from which the builder makes the node's span. These are the positions
  Lark's ``propagate_positions`` gives, including its "container" rule: a parenthesised
  expression keeps its own span, but a node starting or ending with it covers the brackets.

A syntax error stops the loop in the same state as Lark's parser would be in, and reports the
same token and the same expected terminals.
"""

from __future__ import annotations

from typing import Any

from .lexer import Token
from .tables import Tables


class UnexpectedToken(Exception):
    """``token`` cannot follow what came before; ``expected``: the terminals that could (as
    Lark's exception of that name says)."""

    def __init__(self, token: Token, expected: set[str]):
        super().__init__(f"unexpected {token.type}")
        self.token = token
        self.expected = expected


def _filter(rule):
    """A function from a rule's reduced symbols to the children its builder method takes."""
    include, nones_after, size = rule.include, rule.nones_after, rule.size
    if not nones_after and all(not expand and not nones for _, expand, nones in include):
        indices = [i for i, _, _ in include]
        if indices == list(range(size)):
            return None  # all of them, as they are
        if not indices:
            return lambda kids: []
        if len(indices) == 1:
            (only,) = indices
            return lambda kids: [kids[only]]
        return lambda kids: [kids[i] for i in indices]

    def children(kids: list) -> list:
        out: list = []
        for i, expand, nones in include:
            if nones:
                out += [None] * nones
            if expand:
                if out:
                    out += kids[i]
                else:  # a left-recursive list helper: extend its list in place
                    out = kids[i]
            else:
                out.append(kids[i])
        if nones_after:
            out += [None] * nones_after
        return out

    return children


class Parser:
    """Parses token lists with one set of tables; ``builder`` has a method per rule name."""

    def __init__(self, tables: Tables):
        self.tables = tables
        self.filters = [_filter(r) for r in tables.rules]
        empty: set[str] = set()  # the rules that can match no text
        while True:
            more = {r.origin for r in tables.rules if all(s in empty for s in r.symbols)}
            if more <= empty:
                break
            empty |= more
        nested = [r.origin for r in tables.rules if r.size and empty & set(r.symbols)]
        if nested:  # the loop takes a rule's last token to be the last one shifted
            raise ValueError(f"rules {sorted(set(nested))} contain a rule that can be empty")

    def handlers(self, builder: Any) -> list:
        """The builder's method for each rule (None where Lark would inline or expand)."""
        out = []
        for rule in self.tables.rules:
            method = getattr(builder, rule.name, None)
            single = (rule.expand1 and not rule.nones_after and len(rule.include) == 1
                      and not rule.include[0][1] and not rule.include[0][2])
            if method is None and not (rule.inline or single):
                raise TypeError(f"{type(builder).__name__} has no method for rule {rule.name}")
            out.append(method)
        return out

    def parse(self, tokens: list[Token], builder: Any, start: str = "start",
              end_token: Token | None = None) -> Any:
        """The value of ``start`` over ``tokens`` (then ``$END``); raises UnexpectedToken.

        ``end_token`` is None when the tokens stop before an error of the lexer: then no
        ``$END`` is fed and the loop returns None once they are consumed.
        """
        tables = self.tables
        actions, gotos, memo = tables.actions, tables.gotos, tables.unit_memo
        rules, filters = tables.rules, self.filters
        handlers = self.handlers(builder)
        end_state = tables.end_states[start]
        # One stack: the start state, then (value, first token, state) for every symbol shifted
        # or reduced. The last token a reduction covers is always the last one shifted (no rule
        # matching no text sits inside another, which __init__ checked): it needs no stack.
        stack: list[Any] = [tables.start_states[start]]
        push = stack.extend
        last = None
        if end_token is not None:
            tokens = tokens + [end_token]
        for tok in tokens:
            kind = tok[0]
            while True:
                action = actions[stack[-1]].get(kind)
                if action is None:
                    raise UnexpectedToken(tok, set(actions[stack[-1]]))
                if action >= 0:
                    push((tok, tok, action))
                    last = tok
                    break
                rule = rules[~action]
                if rule.identity:  # ?a: b: only the state changes; a chain in one look-up
                    key = (stack[-4], stack[-1], kind)
                    top = memo.get(key)
                    if top is None:
                        top = memo[key] = _unit_chain(tables, stack[-4], rule, kind)
                    stack[-1] = top
                    if kind == "$END" and top == end_state:  # a start symbol like ?expr
                        return stack[-3]
                    continue
                size = rule.size
                if size:
                    n = 3 * size
                    kids = stack[-n::3]
                    first = stack[1 - n]
                    del stack[-n:]
                    select = filters[~action]
                    children = kids if select is None else select(kids)
                else:  # only a start symbol matches nothing
                    children, first = [], None
                if rule.inline:
                    value = children
                elif rule.expand1 and len(children) == 1:
                    value = children[0]
                else:
                    value = handlers[~action]((first, last if first is not None else None),
                                              children)
                push((value, first, gotos[stack[-1]][rule.origin]))
                if kind == "$END" and stack[-1] == end_state:
                    return value
        return None


def _unit_chain(tables: Tables, below: int, rule, kind: str) -> int:
    """The state on top after reducing ``rule`` and every unit rule that follows it on
    lookahead ``kind`` (stopping before a shift, another reduction or an error)."""
    actions, gotos, rules = tables.actions, tables.gotos, tables.rules
    while True:
        top = gotos[below][rule.origin]
        action = actions[top].get(kind)
        if action is None or action >= 0 or not rules[~action].identity:
            return top
        rule = rules[~action]


