"""Canonical integer quasi-polynomials over named dimensions.

An :class:`Expr` is a polynomial with integer coefficients whose variables are *atoms*: a named
dimension (``H``) or ``floor(N / m)`` of another Expr ``N`` and an integer ``m >= 2``. Every Expr is
built by the smart constructors of this module, which normalize, and is interned (hash-consed):
two live Exprs with the same canonical form are the same object, so ``==`` is ``is`` and hashing
is by identity. The intern tables hold weak references, so a language server that rebuilds its
models on every keystroke does not leak.

Normal form of ``floor(N / m)`` (see :func:`floor_div`), applied in this order:

1. gcd: ``floor((g*P + c) / (g*m')) = floor((P + floor(c/g)) / m')`` when ``g`` divides ``m`` and
   every non-constant coefficient;
2. nesting: when exactly one monomial of ``N`` holds floor atoms and it is a lone atom
   ``F = floor(P / a)`` with coefficient ``1 (mod m)``:
   ``floor((F + R) / m) = floor((P + a*R) / (a*m))`` (likewise for coefficient ``-1 (mod m)``
   through the twin of ``F``, below);
3. whole parts: ``floor((m*q + r) / m) = q + floor(r / m)`` for integer-valued ``q``, leaving every
   numerator coefficient in ``1 .. m-1`` and the constant in ``0 .. m-1``;
4. twins: ``floor(N / m) = S - floor(N~ / m)`` where ``S`` is the sum of the monomials of ``N`` and
   ``N~ = m*S - N + m - 1``; of the two the one with the smaller coefficient sum is kept, and on a
   tie the larger constant (``ceil(H / 2)`` is kept, ``floor(H / 2)`` becomes ``H - ceil(H / 2)``;
   the printer shows it as ``floor(H / 2)`` again).

>>> H = sym("H")
>>> x = H
>>> for _ in range(5):
...     x = ceil_div(x, 2)
>>> print(x)
ceil(H / 32)
>>> valid = lambda x: floor_div(x - 3, 2) + 1      # VALID 3x3 stride 2
>>> print(valid(valid(H)))
floor((H - 3) / 4)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import gcd

__all__ = ["Expr", "Atom", "sym", "const", "as_expr", "floor_div", "ceil_div", "exact_div",
           "evaluate", "substitute", "free_symbols", "Undecidable"]


class Undecidable(ValueError):
    """A question (e.g. ``max(e, c)``) whose answer depends on the sizes and cannot be written in
    this representation; ``str(exc)`` says which."""


_CACHE_LIMIT = 200_000  # interned objects kept before the tables are dropped (memory bound)
_ATOMS: dict = {}
_EXPRS: dict = {}
_EMPTY: frozenset = frozenset()


class Atom:
    """A variable of the polynomial: a symbol (``name`` set) or ``floor(num / den)``
    (``name`` None).

    Equality and hashing are structural (the interning only makes equal atoms usually identical).
    """

    __slots__ = ("name", "num", "den", "free", "memo", "hash", "mono")

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, o: object) -> bool:
        return self is o or (type(o) is Atom and self.hash == o.hash and self.name == o.name
                             and self.den == o.den and self.num == o.num)

    def __repr__(self) -> str:
        return self.name if self.name is not None else f"floor(({self.num}) / {self.den})"

    def __reduce__(self):  # unpickling goes through the interning constructors
        return (_sym_atom, (self.name,)) if self.name is not None else \
            (_floor_atom, (self.num, self.den))


def _new_atom(key, name, num, den, free) -> Atom:
    a = Atom()
    a.name, a.num, a.den, a.free, a.memo, a.hash = name, num, den, free, {}, hash(key)
    a.mono = frozenset(((a, 1),))  # the monomial "a", built once
    if len(_ATOMS) >= _CACHE_LIMIT:
        _ATOMS.clear()
    _ATOMS[key] = a
    return a


def _sym_atom(name: str) -> Atom:
    a = _ATOMS.get(name)
    return a if a is not None else _new_atom(name, name, None, 1, frozenset((name,)))


def _floor_atom(num: Expr, den: int) -> Atom:
    key = (num, den)
    a = _ATOMS.get(key)
    return a if a is not None else _new_atom(key, None, num, den, num.free)


class Expr:
    """An integer quasi-polynomial in canonical form. Build with :func:`sym`, ints and operators.

    ``terms`` maps each non-constant monomial (a frozenset of ``(Atom, power)``) to its non-zero
    coefficient; ``const`` is the constant term. Treat both as read-only. Equality is structural
    (and, thanks to interning, usually an identity test).

    >>> H, W = sym("H"), sym("W")
    >>> print(H * W * 3), print((H + 1) * (H - 1)), print(-(-H // 4))
    3*H*W
    H^2 - 1
    ceil(H / 4)
    (None, None, None)
    >>> (H + 1) - 1 == H, {H: 1}[sym("H")]
    (True, 1)
    """

    __slots__ = ("terms", "const", "free", "memo", "hash", "key")

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, o: object) -> bool:
        return self is o or (type(o) is Expr and self.hash == o.hash and self.key == o.key)

    def __ne__(self, o: object) -> bool:
        return not self.__eq__(o)

    # -- arithmetic: every result is normalized --
    def __add__(self, o: Expr | int) -> Expr:
        return _add(self, as_expr(o), 1)

    __radd__ = __add__

    def __sub__(self, o: Expr | int) -> Expr:
        return _add(self, as_expr(o), -1)

    def __rsub__(self, o: Expr | int) -> Expr:
        return _add(as_expr(o), self, -1)

    def __neg__(self) -> Expr:
        return scale_expr(self, -1)

    def __pos__(self) -> Expr:
        return self

    def __mul__(self, o: Expr | int) -> Expr:
        return _mul(self, as_expr(o))

    __rmul__ = __mul__

    def __floordiv__(self, m: int) -> Expr:
        return floor_div(self, m)

    def __int__(self) -> int:
        if self.terms:
            raise TypeError(f"{self} is not a constant")
        return self.const

    @property
    def is_const(self) -> bool:
        """True when the expression has no symbols."""
        return not self.terms

    def atoms(self) -> tuple[Atom, ...]:
        """The distinct atoms of the top-level monomials (not those inside floor numerators)."""
        got = self.memo.get("atoms")
        if got is None:
            seen: dict[Atom, None] = {}
            for mono in self.terms:
                for a, _ in mono:
                    seen[a] = None
            got = self.memo["atoms"] = tuple(seen)
        return got

    def __str__(self) -> str:
        from .printing import format_expr
        return format_expr(self)

    def __repr__(self) -> str:
        return f"Expr({str(self)!r})"

    def format(self, unicode: bool = False) -> str:
        """The canonical human form; ``unicode`` uses ``·`` and superscripts instead of ``*``,
        ``^``.

        >>> print((sym("H") * sym("W") * 2).format(unicode=True))
        2·H·W
        """
        from .printing import format_expr
        return format_expr(self, unicode=unicode)

    def __reduce__(self):  # pickling re-interns through the constructors
        return (_rebuild, (tuple(self.terms.items()), self.const))


def _rebuild(items, c):
    return make_expr(dict(items), c)


def make_expr(terms: dict, c: int) -> Expr:
    """Intern the expression with these (already normalized, zero-free) terms."""
    key = (frozenset(terms.items()), c) if terms else c
    e = _EXPRS.get(key)
    if e is None:
        e = Expr.__new__(Expr)
        free = _EMPTY
        for mono in terms:
            for a, _ in mono:
                af = a.free
                if af is not free and not af <= free:
                    free = af if not free else free | af
        e.terms, e.const, e.free, e.memo, e.key, e.hash = terms, c, free, {}, key, hash(key)
        if len(_EXPRS) >= _CACHE_LIMIT:
            _EXPRS.clear()
        _EXPRS[key] = e
    return e


def _atom_expr(a: Atom) -> Expr:
    return make_expr({a.mono: 1}, 0)


_SMALL: dict = {}


def const(c: int) -> Expr:
    """The constant expression ``c``.

    >>> const(3).is_const, int(const(3))
    (True, 3)
    """
    e = _SMALL.get(c)
    if e is None:
        e = make_expr({}, c)
        if -64 <= c <= 1024:
            _SMALL[c] = e
    return e


def sym(name: str) -> Expr:
    """The named dimension ``name`` as an expression.

    >>> print(sym("H") + 1)
    H + 1
    """
    if not isinstance(name, str) or not name:
        raise TypeError("a symbol name must be a non-empty str")
    return _atom_expr(_sym_atom(name))


def as_expr(x: Expr | int) -> Expr:
    """An Expr for an Expr or an int (bools and floats are refused: sizes are integers).

    >>> as_expr(4) == const(4)
    True
    """
    if type(x) is Expr:
        return x
    if type(x) is int:
        return const(x)
    if isinstance(x, int) and not isinstance(x, bool):
        return const(int(x))
    raise TypeError(f"not an integer expression: {x!r}")


def _add(a: Expr, b: Expr, sign: int) -> Expr:
    if not b.terms:
        return make_expr(a.terms, a.const + sign * b.const) if b.const else a
    if not a.terms and sign == 1:
        return make_expr(b.terms, a.const + b.const)
    terms = dict(a.terms)
    for m, c in b.terms.items():
        v = terms.get(m, 0) + sign * c
        if v:
            terms[m] = v
        else:
            del terms[m]
    return make_expr(terms, a.const + sign * b.const)


def scale_expr(a: Expr, k: int) -> Expr:
    if k == 1:
        return a
    if k == 0:
        return const(0)
    return make_expr({m: c * k for m, c in a.terms.items()}, a.const * k)


def _mono_mul(m1: frozenset, m2: frozenset) -> frozenset:
    powers = dict(m1)
    for a, p in m2:
        powers[a] = powers.get(a, 0) + p
    return frozenset(powers.items())


def _mul(a: Expr, b: Expr) -> Expr:
    if not b.terms:
        return scale_expr(a, b.const)
    if not a.terms:
        return scale_expr(b, a.const)
    terms: dict = {}
    for m1, c1 in a.terms.items():
        for m2, c2 in b.terms.items():
            m = _mono_mul(m1, m2)
            terms[m] = terms.get(m, 0) + c1 * c2
        if b.const:
            terms[m1] = terms.get(m1, 0) + c1 * b.const
    if a.const:
        for m2, c2 in b.terms.items():
            terms[m2] = terms.get(m2, 0) + a.const * c2
    return make_expr({m: c for m, c in terms.items() if c}, a.const * b.const)


def _check_divisor(m: int) -> int:
    if type(m) is not int or m < 1:
        raise ValueError(f"the divisor must be a positive int, got {m!r}")
    return m


def floor_div(p: Expr | int, m: int) -> Expr:
    """``floor(p / m)`` in normal form (see the module docstring for the rules).

    >>> H = sym("H")
    >>> print(floor_div(2 * H + 2, 4)), print(floor_div(3 * H + 7, 3)), print(floor_div(H, 2))
    ceil(H / 2)
    H + 2
    floor(H / 2)
    (None, None, None)
    >>> floor_div(H, 2) == H - ceil_div(H, 2)
    True
    """
    p = as_expr(p)
    _check_divisor(m)
    if m == 1:
        return p
    if not p.terms:
        return const(p.const // m)
    key = ("fd", m)
    hit = p.memo.get(key)
    if hit is None:
        hit = p.memo[key] = _floor_div(p, m)
    return hit


def ceil_div(p: Expr | int, m: int) -> Expr:
    """``ceil(p / m) = floor((p + m - 1) / m)``.

    >>> print(ceil_div(sym("H") - 3, 2)), ceil_div(7, 2)
    floor(H / 2) - 1
    (None, Expr('4'))
    """
    return floor_div(as_expr(p) + (_check_divisor(m) - 1), m)


def exact_div(p: Expr | int, m: int) -> Expr:
    """``p / m`` when ``m`` divides every coefficient, else ValueError.

    >>> print(exact_div(sym("H") * 4 + 8, 4))
    H + 2
    """
    p = as_expr(p)
    _check_divisor(m)
    if p.const % m or any(c % m for c in p.terms.values()):
        raise ValueError(f"{m} does not divide {p}")
    return make_expr({k: c // m for k, c in p.terms.items()}, p.const // m)


def lone_floor_monomial(p: Expr):
    """(F, c) when exactly one monomial of p holds floor atoms and it is ``c*F``; else None."""
    found = None
    for mono, c in p.terms.items():
        for a, pw in mono:
            if a.name is None:
                if found is not None or len(mono) != 1 or pw != 1:
                    return None
                found = (a, c)
                break
    return found


def monomial_sum(p: Expr) -> Expr:
    """S: the sum of the non-constant monomials of p, each with coefficient 1."""
    return make_expr({m: 1 for m in p.terms}, 0)


def _floor_div(p: Expr, m: int) -> Expr:
    # 1. gcd of the divisor and every non-constant coefficient
    g = m
    for c in p.terms.values():
        g = gcd(g, c)
        if g == 1:
            break
    if g > 1:
        p = make_expr({k: c // g for k, c in p.terms.items()}, p.const // g)
        m //= g
        if m == 1:
            return p
    # 2. a lone nested floor with coefficient +-1 (mod m) merges into one floor
    lone = lone_floor_monomial(p)
    if lone is not None:
        f, c = lone
        up, down = (c - 1) % m == 0, (c + 1) % m == 0
        if up and down:  # m == 2: go the way that does not flip the sign
            up = c > 0
        if up or down:
            rest_t = dict(p.terms)
            del rest_t[f.mono]
            rest = make_expr(rest_t, p.const)
        if up:
            whole = make_expr({f.mono: (c - 1) // m}, 0) if c != 1 else const(0)
            return whole + floor_div(f.num + scale_expr(rest, f.den), m * f.den)
        if down:  # F = S - F~ (the twin), so c*F = c*S - c*F~ and -c = 1 (mod m)
            d, s = f.den, monomial_sum(f.num)
            twin_num = scale_expr(s, d) - f.num + (d - 1)
            t = (-c - 1) // m
            whole = scale_expr(s - _atom_expr(f), t)
            return whole + floor_div(twin_num + scale_expr(rest + scale_expr(s, c), d), m * d)
    # 3. whole parts out: coefficients to 1..m-1, constant to 0..m-1
    out_t, rest_t = {}, {}
    for k, c in p.terms.items():
        q, r = divmod(c, m)
        if q:
            out_t[k] = q
        if r:
            rest_t[k] = r
    q0, r0 = divmod(p.const, m)
    if not rest_t:
        return make_expr(out_t, q0)
    # 4. of the twins floor(N/m) and S - floor(N~/m), keep the one with the smaller key; the
    # twin's key is computed without building it (N~ has coefficients m - a, constant m-1-b)
    csum = sum(rest_t.values())
    tsum = len(rest_t) * m - csum
    if (tsum, r0 - m + 1) < (csum, -r0) or (tsum == csum and r0 * 2 == m - 1
                                            and _tie_prefers_twin(rest_t, m)):
        num = make_expr({k: m - c for k, c in rest_t.items()}, m - 1 - r0)
        atom = _floor_atom(num, m)
        for k in rest_t:  # + S
            v = out_t.get(k, 0) + 1
            if v:
                out_t[k] = v
            else:
                del out_t[k]
        out_t[atom.mono] = out_t.get(atom.mono, 0) - 1
    else:
        atom = _floor_atom(make_expr(rest_t, r0), m)
        out_t[atom.mono] = out_t.get(atom.mono, 0) + 1
    return make_expr({k: c for k, c in out_t.items() if c}, q0)


def _tie_prefers_twin(rest_t: dict, m: int) -> bool:
    # Equal coefficient sums and constants: compare the coefficient vectors in the printed
    # (content-based, deterministic) monomial order.
    from .printing import monomial_sort_key
    order = sorted(rest_t, key=monomial_sort_key)
    return tuple(m - rest_t[k] for k in order) < tuple(rest_t[k] for k in order)


def floor_atoms_postorder(exprs: Iterable[Expr], done=None) -> list[Atom]:
    """Every floor atom reachable from ``exprs``, children before parents, each once.

    Iterative, so arbitrarily deep nests do not hit Python's recursion limit. ``done(atom)`` true
    prunes an atom and everything below it (used with per-atom memo tables).
    """
    out: list[Atom] = []
    seen: set = set()
    stack: list = []
    for e in exprs:
        for a in e.atoms():
            if a.name is None:
                stack.append((a, False))
    while stack:
        a, expanded = stack.pop()
        if expanded:
            out.append(a)
            continue
        if a in seen or (done is not None and done(a)):
            continue
        seen.add(a)
        stack.append((a, True))
        for b in a.num.atoms():
            if b.name is None and b not in seen:
                stack.append((b, False))
    return out


def _poly_value(e: Expr, values: Mapping) -> int:
    total = e.const
    for mono, c in e.terms.items():
        for a, p in mono:
            v = values[a]
            c *= v if p == 1 else v ** p
        total += c
    return total


def evaluate(e: Expr | int, env: Mapping[str, int], memo: dict | None = None) -> int:
    """The exact integer value of ``e`` with the symbols bound by ``env``.

    ``memo`` (a dict reused across calls with the same ``env``) shares the values of common
    sub-expressions, which makes evaluating many related expressions at one size cheap.

    >>> H = sym("H")
    >>> evaluate(ceil_div(H, 32) * 2 + H, {"H": 100})
    108
    >>> evaluate(H, {})
    Traceback (most recent call last):
    ...
    KeyError: "no value for the dimension 'H'"
    """
    e = as_expr(e)
    if not e.terms:
        return e.const
    values = {} if memo is None else memo
    order = e.memo.get("order")
    if order is None:  # every atom below e, children first: computed once per expression
        syms = {b for a in floor_atoms_postorder((e,)) for b in a.num.atoms() if b.name}
        syms.update(a for a in e.atoms() if a.name is not None)
        order = e.memo["order"] = (tuple(syms), tuple(floor_atoms_postorder((e,))))
    for a in order[0]:
        if a not in values:
            values[a] = _lookup(env, a.name)
    for a in order[1]:
        if a not in values:
            values[a] = _poly_value(a.num, values) // a.den
    return _poly_value(e, values)


def _lookup(env: Mapping[str, int], name: str) -> int:
    try:
        v = env[name]
    except KeyError:
        raise KeyError(f"no value for the dimension {name!r}") from None
    return int(v)


def substitute(e: Expr | int, mapping: Mapping[str, Expr | int]) -> Expr:
    """``e`` with symbols replaced by expressions or ints, re-normalized.

    >>> H, W = sym("H"), sym("W")
    >>> print(substitute(ceil_div(W, 2) + H, {"W": H * 4}))
    3*H
    """
    e = as_expr(e)
    if not e.free & mapping.keys():
        return e
    vals: dict = {}

    def atom_value(a: Atom) -> Expr:
        if a.name is not None:
            return as_expr(mapping[a.name]) if a.name in mapping else _atom_expr(a)
        return vals[a]

    def rebuild(x: Expr) -> Expr:
        if not x.free & mapping.keys():
            return x
        out = const(x.const)
        for mono, c in x.terms.items():
            t = const(c)
            for a, p in mono:
                v = atom_value(a)
                for _ in range(p):
                    t = t * v
            out = out + t
        return out

    for a in floor_atoms_postorder((e,)):
        vals[a] = floor_div(rebuild(a.num), a.den) if a.free & mapping.keys() \
            else _atom_expr(a)
    return rebuild(e)


def free_symbols(e: Expr | int) -> frozenset[str]:
    """The names of the dimensions ``e`` depends on.

    >>> sorted(free_symbols(ceil_div(sym("H"), 2) * sym("W") + 1))
    ['H', 'W']
    """
    return as_expr(e).free


def clear_caches() -> None:
    """Drop the intern tables and the solver's cache (memory; results are unaffected, since
    equality is structural). A language server may call this between unrelated documents.

    >>> clear_caches()
    """
    _EXPRS.clear()
    _ATOMS.clear()
    from . import solver
    solver.SOLVE_CACHE.clear()
