"""Walking the syntax tree for the lints: the expressions and bodies of a statement, the names
an expression reads, the names a body binds.

The lints read the tree as written, so they see code the lowering never ran (a block nothing
calls, an ``if`` branch not taken) and every statement once, however often it was expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from ..frontend import tree as n
from ..records import fields

#: ``{name}`` in a quoted scope name or an end-point key (the lowering's interpolation).
INTERPOLATION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: The statement and expression kinds handled here by name; any other (a kind added to the
#: language later) is read generically from its fields, and a test asks for it to be added.
STATEMENTS = (n.LayerStmt, n.InputStmt, n.DefStmt, n.OutputStmt, n.EndPointStmt,
              n.ArgScopeStmt, n.ScopeStmt, n.IfStmt, n.ForStmt, n.AssertStmt)
EXPRESSIONS = (n.Number, n.String, n.Unknown, n.Name, n.ListLit, n.TupleLit, n.DictLit, n.Call,
               n.BinOp, n.UnaryOp, n.Conditional, n.Index, n.Subscript, n.Attribute)
#: What a subscript holds besides expressions.
_SUBSCRIPT_ITEMS = (n.Slice, n.EllipsisLit)


def _is_node(value: Any) -> bool:
    return type(value).__module__ == n.__name__


def _is_stmt(value: Any) -> bool:
    return isinstance(value, STATEMENTS) or (
        _is_node(value) and type(value).__name__.endswith("Stmt"))


def _is_expr(value: Any) -> bool:
    return isinstance(value, EXPRESSIONS) or (
        _is_node(value) and hasattr(value, "span") and not _is_stmt(value)
        and not isinstance(value, (n.Keyword, n.Branch, n.ScopeName, n.Param)))


def _fields(node: Any) -> Iterator[Any]:
    """The field values of a node, tuples flattened one level (a generic reading)."""
    for name in fields(node):
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from value
        else:
            yield value


def _generic_exprs(node: Any) -> Iterator[n.Expr]:
    for v in _fields(node):
        if isinstance(v, n.Keyword):
            yield v.value
        elif isinstance(v, tuple):  # DictLit-like (key, value, span) items
            yield from (x for x in v if _is_expr(x))
        elif _is_expr(v):
            yield v


def _generic_bodies(stmt: Any) -> Iterator[tuple[n.Stmt, ...]]:
    for name in fields(stmt):
        value = getattr(stmt, name)
        if isinstance(value, tuple) and value and all(_is_stmt(x) for x in value):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, n.Branch):
                    yield item.body
                elif isinstance(item, tuple):  # (test, body) clauses
                    yield from (x for x in item if isinstance(x, tuple) and x
                                and all(_is_stmt(y) for y in x))


def statement_exprs(stmt: n.Stmt) -> Iterator[n.Expr]:
    """The expressions a statement evaluates itself (not those of its nested bodies)."""
    if isinstance(stmt, n.LayerStmt):
        yield stmt.value
    elif isinstance(stmt, n.InputStmt):
        yield stmt.shape
    elif isinstance(stmt, (n.OutputStmt, n.EndPointStmt)):
        if stmt.value is not None:
            yield stmt.value
    elif isinstance(stmt, n.ArgScopeStmt):
        yield stmt.layers
        for kw in stmt.kwargs:
            yield kw.value
    elif isinstance(stmt, n.IfStmt):
        for test, _ in stmt.clauses:
            yield test
    elif isinstance(stmt, n.ForStmt):
        yield stmt.iterable
    elif isinstance(stmt, n.AssertStmt):
        yield stmt.test
    elif not isinstance(stmt, STATEMENTS):
        yield from _generic_exprs(stmt)


def sub_bodies(stmt: n.Stmt) -> Iterator[tuple[n.Stmt, ...]]:
    """The statement lists nested in a statement (branches, if/else, loop, scope bodies)."""
    if isinstance(stmt, n.LayerStmt):
        for b in stmt.branches or ():
            yield b.body
    elif isinstance(stmt, (n.ArgScopeStmt, n.ScopeStmt, n.ForStmt)):
        yield stmt.body
    elif isinstance(stmt, n.IfStmt):
        for _, body in stmt.clauses:
            yield body
        if stmt.otherwise is not None:
            yield stmt.otherwise
    elif not isinstance(stmt, STATEMENTS):
        yield from _generic_bodies(stmt)


#: Statements that nest no body (most of them): no call of :func:`sub_bodies` needed.
_FLAT = (n.InputStmt, n.DefStmt, n.OutputStmt, n.EndPointStmt, n.AssertStmt)


def walk_body(body: tuple[n.Stmt, ...]) -> list[n.Stmt]:
    """Every statement of ``body`` and of the bodies nested in it, in source order."""
    out: list[n.Stmt] = []
    stack = [iter(body)]
    while stack:
        for stmt in stack[-1]:
            out.append(stmt)
            t = type(stmt)
            if t in _FLAT or (t is n.LayerStmt and stmt.branches is None):
                continue
            stack.append(iter([s for sub in sub_bodies(stmt) for s in sub]))
            break
        else:
            stack.pop()
    return out


def sub_exprs(e: n.Expr) -> list[n.Expr]:
    """The direct sub-expressions of an expression."""
    t = type(e)
    if t is n.Call:
        return [*e.args, *(kw.value for kw in e.kwargs)]
    if t is n.BinOp:
        return [e.left, e.right]
    if t is n.ListLit or t is n.TupleLit:
        return list(e.items)
    if t is n.Attribute:
        return [e.value]
    if t is n.Index:
        return [e.value, e.index]
    if t is n.UnaryOp:
        return [e.operand]
    if t is n.Conditional:
        return [e.then, e.test, e.otherwise]
    if t is n.DictLit:
        return [value for _, value, _ in e.items]
    if t is n.Subscript:
        return [e.value, *e.items]
    if t is n.Slice:
        return [x for x in (e.start, e.stop, e.step) if x is not None]
    if t in EXPRESSIONS or t in _SUBSCRIPT_ITEMS:
        return []
    return list(_generic_exprs(e))


def walk_expr(e: n.Expr) -> Iterator[n.Expr]:
    """An expression and all its sub-expressions (iteratively: expressions nest deeply)."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(sub_exprs(x))


def scan_expr(e: n.Expr, reads: set[str], calls: list[n.Call]) -> None:
    """Add the names ``e`` reads (``Name`` s and callees) to ``reads``, its calls to ``calls``.

    The one walk the lints make over every expression, so it avoids generators."""
    stack = [e]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        x = pop()
        t = type(x)
        if t is n.Name:
            reads.add(x.name)
        elif t is n.Call:
            reads.add(x.func)
            calls.append(x)
            extend(x.args)
            for kw in x.kwargs:
                push(kw.value)
        elif t is n.Number or t is n.String or t is n.Unknown:
            continue
        else:
            extend(sub_exprs(x))


def expr_reads(e: n.Expr) -> set[str]:
    """The names an expression reads: ``Name``s and the callee of every call."""
    reads: set[str] = set()
    scan_expr(e, reads, [])
    return reads


class Scan:
    """What a body reads (names, calls) and where its ``arg_scope`` keywords are, in one walk
    of every statement and expression (nested bodies and ``def`` bodies included).

    ``binders``: the statements that bind a name (layer statements with a target, ``def`` s),
    for the unused-name lints. With a :class:`ScanCache`, a statement scanned in the last run
    (the same object: the incremental re-parse keeps the statements an edit did not touch) is
    not walked again; the result is the same."""

    __slots__ = ("reads", "calls", "keywords", "stmts", "binders")

    def __init__(self, body: tuple[n.Stmt, ...], extra: tuple[n.Expr, ...] = (),
                 cache: ScanCache | None = None):
        self.reads: set[str] = set()
        self.calls: list[n.Call] = []
        self.keywords: list[n.Keyword] = []  # of arg_scopes (calls' are on the calls)
        self.binders: list[n.Stmt] = []
        for e in extra:
            scan_expr(e, self.reads, self.calls)
        if cache is not None:
            self.stmts: list[n.Stmt] = []
            self._merge(cache.parts(body))
            return
        self.stmts = list(walk_body(body))
        for stmt in self.stmts:
            self._statement(stmt)

    @classmethod
    def statement(cls, stmt: n.Stmt, cache: ScanCache) -> Scan:
        """The scan of one statement and the bodies nested in it (theirs from ``cache``)."""
        scan = cls(())
        scan.stmts.append(stmt)
        scan._statement(stmt)
        t = type(stmt)
        if not (t in _FLAT or (t is n.LayerStmt and stmt.branches is None)):
            for sub in sub_bodies(stmt):
                scan._merge(cache.parts(sub))
        return scan

    def _merge(self, parts: list[Scan]) -> None:
        """Append the scans of the statements that follow, in order."""
        if not parts:
            return
        self.reads.update(*[p.reads for p in parts])
        for mine, name in ((self.calls, "calls"), (self.keywords, "keywords"),
                           (self.stmts, "stmts"), (self.binders, "binders")):
            mine.extend(chain.from_iterable([getattr(p, name) for p in parts]))

    def _statement(self, stmt: n.Stmt) -> None:
        reads, calls = self.reads, self.calls
        t = type(stmt)
        if t is n.LayerStmt:
            scan_expr(stmt.value, reads, calls)
            for scope in (stmt.scope, *(b.scope for b in stmt.branches or ())):
                if scope is not None and scope.quoted:
                    reads.update(INTERPOLATION.findall(scope.text))
            if stmt.target is not None:
                self.binders.append(stmt)
            return
        for e in statement_exprs(stmt):
            scan_expr(e, reads, calls)
        if t is n.DefStmt:
            local: set[str] = set()
            scan_expr(stmt.body, local, calls)
            reads.update(local - set(stmt.params))
            self.binders.append(stmt)
        elif t is n.ArgScopeStmt:
            self.keywords.extend(stmt.kwargs)
        elif t is n.OutputStmt and stmt.value is None:
            reads.add(stmt.name)
        elif t is n.EndPointStmt and stmt.key is not None:
            reads.update(INTERPOLATION.findall(stmt.key))
        elif t is n.ScopeStmt and stmt.scope.quoted:
            reads.update(INTERPOLATION.findall(stmt.scope.text))


class ScanCache:
    """The scans of the statements of one file, kept from one run of the lints to the next
    (the language server's): a statement object seen before is not walked again, and a run of
    :data:`CHUNK` statements seen before together is one merge. Entries of statements no
    longer in the file are dropped once they are as many as the others (:meth:`done`)."""

    #: Statements of a body merged as one (an edit re-merges its chunk and the chunks' scans).
    CHUNK = 32

    def __init__(self) -> None:
        self._parts: dict[int, tuple[n.Stmt, Scan]] = {}
        # (ids of the chunk's statements) -> (the statements, their merged scan); holding the
        # statements keeps their ids from being reused while the entry exists
        self._chunks: dict[tuple[int, ...], tuple[tuple[n.Stmt, ...], Scan]] = {}
        self._live = 0  # entries (parts and chunks) after the last pruning

    def __len__(self) -> int:
        """The entries kept (statements and chunks)."""
        return len(self._parts) + len(self._chunks)

    def part(self, stmt: n.Stmt) -> Scan:
        """The scan of one statement and its nested bodies."""
        found = self._parts.get(id(stmt))
        if found is None or found[0] is not stmt:  # the object is the key: ids are reused
            found = self._parts[id(stmt)] = (stmt, Scan.statement(stmt, self))
        return found[1]

    def parts(self, body: tuple[n.Stmt, ...]) -> list[Scan]:
        """The scans of a body's statements, in order, a chunk of them per scan."""
        size = self.CHUNK
        if len(body) <= size:
            return [self.part(s) for s in body]
        out = []
        for i in range(0, len(body), size):
            stmts = body[i:i + size]
            key = tuple(map(id, stmts))
            found = self._chunks.get(key)
            if found is None:
                merged = Scan(())
                merged._merge([self.part(s) for s in stmts])
                found = self._chunks[key] = (stmts, merged)
            out.append(found[1])
        return out

    def done(self, bodies: list[tuple[n.Stmt, ...]]) -> None:
        """End a run over ``bodies`` (every body of the file)."""
        if len(self._parts) + len(self._chunks) <= 2 * self._live + 256:
            return
        keep = {id(s) for body in bodies for s in walk_body(body)}
        self._parts = {k: v for k, v in self._parts.items() if k in keep}
        self._chunks = {k: v for k, v in self._chunks.items() if keep.issuperset(k)}
        self._live = len(self._parts) + len(self._chunks)


def body_bindings(body: tuple[n.Stmt, ...]) -> set[str]:
    """Every name ``body`` binds anywhere: targets, inputs, loop variables, functions."""
    out: set[str] = set()
    for stmt in walk_body(body):
        if isinstance(stmt, n.LayerStmt) and stmt.target is not None:
            out.add(stmt.target)
        elif isinstance(stmt, (n.InputStmt, n.DefStmt)):
            out.add(stmt.name)
        elif isinstance(stmt, n.ForStmt):
            out.add(stmt.var)
    return out
