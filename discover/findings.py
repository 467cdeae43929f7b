"""The findings vocabulary: what every method answers in.

Small immutable records, each printable, JSON-serialisable (``to_dict`` /
``from_dict`` give a round trip through plain JSON types) and comparable with
``==`` in tests. Expressions are :class:`sympy.Expr` over the series' own
column names; graphs are :class:`networkx.DiGraph`.

Examples
--------
>>> import sympy as sp
>>> from discover.findings import Equation, from_dict
>>> x, y = sp.symbols("x y")
>>> eq = Equation("x", -2 * x + 3 * x * y, method="sindy")
>>> print(eq)
d(x)/dt = 3*x*y - 2*x
>>> from_dict(eq.to_dict()) == eq
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import networkx as nx
import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

__all__ = [
    "Finding",
    "Equation",
    "Graph",
    "Invariant",
    "Spectrum",
    "SymbolicCode",
    "Simulation",
    "from_dict",
    "parse_expr",
    "expr_to_str",
    "expr_names",
    "symbols_for",
]

# ---------------------------------------------------------------------------
# helpers: sympy <-> text over arbitrary column names, numbers <-> JSON

# A "plain" column name is one token of the printed text: it starts with a
# letter or underscore and goes on with letters, digits, "_" or "." ("x.1" is
# plain). Such names are printed as they are; any other name (spaces,
# operators, leading digits, quotes ...) is printed as ``Symbol('...')``,
# which sympify also reads. Parsing replaces every plain name of the known
# column names by a private placeholder before sympify runs, so columns
# called ``E``, ``I``, ``S``, ``N``, ``Q``, ``beta`` or ``lambda`` stay symbols.
_PLAIN = re.compile(r"[^\W\d][\w.]*")
_TOKENS = re.compile(
    r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""  # string literals (inside Symbol('...')): copied as they are
    r"|(?<![\w.])([^\W\d][\w.]*)(?![\w.]|\s*\()"  # a whole name that is not a function call
    r"|(?<![\w.])(\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)(?![\w.])"  # a float literal
)
# sympy names that, met in a text without known column names, are constants
_SYMPY_CONSTANTS = frozenset({"E", "I", "pi", "oo", "zoo", "nan", "EulerGamma", "GoldenRatio", "Catalan"})


def symbols_for(names) -> dict[str, sp.Symbol]:
    """Real sympy symbols for column names (any string is a valid symbol name)."""
    return {str(n): sp.Symbol(str(n), real=True) for n in names}


def _is_plain(name: str) -> bool:
    return bool(_PLAIN.fullmatch(name))


class _ColumnPrinter(StrPrinter):
    """``sstr`` with exact float coefficients and column names that read back.

    Floats are printed with Python's shortest round-trip ``repr`` (17
    significant digits at most), names that are not plain as
    ``Symbol('...')``, and the constants ``E``/``I``/``pi`` in another
    spelling when a column has the same name.
    """

    _default_settings = {**StrPrinter._default_settings, "order": "lex", "names": frozenset()}

    def _print_Symbol(self, expr):
        return expr.name if _is_plain(expr.name) else f"Symbol({expr.name!r})"

    _print_Dummy = _print_Symbol

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Exp1(self, expr):
        return "exp(1)" if "E" in self._settings["names"] else "E"

    def _print_ImaginaryUnit(self, expr):
        return "sqrt(-1)" if "I" in self._settings["names"] else "I"

    def _print_Pi(self, expr):
        return "acos(-1)" if "pi" in self._settings["names"] else "pi"


def expr_names(expr: sp.Basic | None) -> list[str]:
    """Sorted names of the free symbols of ``expr`` (what :func:`parse_expr` needs)."""
    return [] if expr is None else sorted({s.name for s in expr.free_symbols})


def expr_to_str(expr: sp.Expr) -> str:
    """Text that :func:`parse_expr` (and ``sympy.sympify`` for plain names) reads back.

    Examples
    --------
    >>> import sympy as sp
    >>> x1, E = sp.Symbol("x.1"), sp.Symbol("E")
    >>> text = expr_to_str(sp.Rational(1, 3) * x1 - 0.25 * E)
    >>> text
    '-0.25*E + x.1/3'
    >>> parse_expr(text, ["x.1", "E"]) == sp.Rational(1, 3) * sp.Symbol("x.1", real=True) - 0.25 * sp.Symbol("E", real=True)
    True
    """
    if expr is None:
        return ""
    return _print_cached(sp.sympify(expr))


@lru_cache(maxsize=512)
def _print_cached(expr: sp.Basic) -> str:
    # a report prints each expression several times (json, html, embedded json);
    # printing a long sum in lexicographic order is the slow part
    return _ColumnPrinter({"names": frozenset(expr_names(expr))}).doprint(expr)


def parse_expr(text: str, names=None) -> sp.Expr:
    """Parse an expression written over column ``names`` (real symbols).

    Every plain name in ``names`` (see :func:`expr_to_str`) is swapped for a
    private placeholder before :func:`sympy.sympify` runs, so that a column
    called ``E`` or ``I`` stays a symbol (and does not become Euler's number
    or the imaginary unit), ``lambda`` is not a Python keyword, ``beta`` is
    not the beta function and ``x.1`` is not an attribute access. A name
    directly followed by ``(`` is a function call. Without ``names`` every
    name in the text that is not a sympy constant (``E``, ``I``, ``pi`` ...)
    is taken for a column.

    Raises :class:`sympy.SympifyError` for text that is not an expression.
    """
    text = str(text)
    if names is None:
        names = {m.group(2) for m in _TOKENS.finditer(text) if m.group(2)} - _SYMPY_CONSTANTS
    syms = symbols_for(names)
    local: dict[str, Any] = {}
    placeholder: dict[str, str] = {}

    def swap(m: re.Match) -> str:
        if m.group(3) is not None:  # floats read by Python, correctly rounded (sympy would round twice)
            ph = f"Dn{len(local)}nD"
            local[ph] = sp.Float(float(m.group(3)))
            return ph
        name = m.group(2)
        if name is None or name not in syms:
            return m.group(0)
        if name not in placeholder:
            placeholder[name] = ph = f"Dv{len(local)}vD"
            local[ph] = syms[name]
        return placeholder[name]

    body = _TOKENS.sub(swap, text)
    _check_safe(body, text)
    terms = _top_level_terms(body)
    if len(terms) > 1:  # sympify adds term by term (quadratic); one Add of parsed terms is linear
        parts = [sp.sympify(t, locals=local, rational=False) for t in terms]
        if not all(isinstance(p, sp.Basic) for p in parts):
            raise sp.SympifyError(text)
        expr = sp.Add(*parts)
    else:
        expr = sp.sympify(body, locals=local, rational=False)
    if not isinstance(expr, sp.Basic):
        raise sp.SympifyError(text)
    return _normalize(expr)


_SYMBOL_LITERAL = re.compile(r"""\bSymbol\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)""")
_IDENT = re.compile(r"[^\W\d]\w*")
_PLACEHOLDER = re.compile(r"D[vn]\d+[vn]D")


@lru_cache(maxsize=4096)
def _sympy_name_ok(name: str) -> bool:
    """True for the sympy names an expression may use: functions (sin, exp,
    Piecewise ...), classes of expressions, constants (pi, E, I, oo)."""
    import builtins
    import keyword

    if name.startswith("_") or keyword.iskeyword(name) and name not in ("True", "False"):
        return False
    if name in ("sqrt", "cbrt", "root", "real_root", "True", "False", "abs", "pow"):
        return True
    if not hasattr(sp, name):  # an undefined function f(x): sympify makes a Function of it
        return not hasattr(builtins, name)
    obj = getattr(sp, name)
    if isinstance(obj, sp.Basic) or isinstance(obj, sp.FunctionClass):
        return True
    return isinstance(obj, type) and issubclass(obj, sp.Basic) and name not in ("Dummy", "Wild", "Function")


def _check_safe(body: str, text: str) -> None:
    """Refuse text that is not a plain expression before sympify evaluates it
    (sympify runs ``eval``; a report.json may come from anywhere): no
    attribute access, no strings but ``Symbol('...')`` names, no names but
    columns and sympy's functions and constants."""
    rest = _SYMBOL_LITERAL.sub("Dv0vD", body)
    bad = None
    if "'" in rest or '"' in rest or "__" in rest:
        bad = "quotes or double underscores"
    elif re.search(r"\.\s*[^\W\d]", rest):
        bad = "attribute access"
    else:
        for m in _IDENT.finditer(rest):
            name = m.group(0)
            if not (_PLACEHOLDER.fullmatch(name) or _sympy_name_ok(name)):
                bad = f"the name {name!r}"
                break
    if bad is not None:
        raise sp.SympifyError(f"{text!r} is not an expression over the column names ({bad} not allowed)")


_ARITHMETIC = re.compile(r"[\w\s.+\-*/()^,]*")


def _top_level_terms(body: str) -> list[str]:
    """Split ``a + b - c`` (as the printer writes sums: spaces around the
    operator, outside brackets) into ``["a", "b", "-(c)"]``; one item when the
    text is not a plain arithmetic sum."""
    if len(body) < 200 or not _ARITHMETIC.fullmatch(body):
        return [body]
    terms, depth, start, sign, i = [], 0, 0, "", 0
    while i < len(body):
        c = body[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c in "+-" and body[i - 1:i] == " " and body[i + 1:i + 2] == " " and i > 1:
            chunk = body[start:i - 1].strip()
            if not chunk:
                return [body]
            terms.append(f"{sign}({chunk})" if sign else chunk)
            sign = "-" if c == "-" else ""
            start = i + 2
            i += 2
            continue
        i += 1
    chunk = body[start:].strip()
    if not chunk or depth != 0:
        return [body]
    terms.append(f"{sign}({chunk})" if sign else chunk)
    return terms


def _normalize(expr: sp.Basic | None) -> sp.Basic | None:
    """Every symbol real (``Symbol(name, real=True)``) and every float a double,
    so that round trips compare equal."""
    if expr is None:
        return None
    subs: dict = {}
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol):
            r = sp.Symbol(s.name, real=True)
            if r is not s and r != s:
                subs[s] = r
    for f in expr.atoms(sp.Float):
        d = sp.Float(float(f))
        if f._prec != d._prec or f != d:
            subs[f] = d
    return expr.xreplace(subs) if subs else expr


def _as_expr(value) -> sp.Basic:
    """A finding's expression from a sympy object, a number or a text (in which
    every name, ``E`` and ``I`` included, is a column)."""
    if isinstance(value, sp.Basic):
        return _normalize(value)
    if isinstance(value, str):  # every bare name is a column: Equation("S", "-beta*S*I/N") is SIR
        return parse_expr(value, {m.group(2) for m in _TOKENS.finditer(value) if m.group(2)})
    return _normalize(sp.sympify(value))


def _num(v: Any) -> Any:
    """A JSON-safe number: complex -> [re, im]; nan/inf -> strings."""
    if isinstance(v, (complex, np.complexfloating)):
        return [_num(float(np.real(v))), _num(float(np.imag(v)))]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return v


def _unnum(v: Any) -> Any:
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    if isinstance(v, list) and len(v) == 2 and all(isinstance(a, (int, float, str)) for a in v):
        return complex(_unnum(v[0]), _unnum(v[1]))
    return v


def _array_to_json(a) -> Any:
    if a is None:
        return None
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return {"real": _nested(a.real), "imag": _nested(a.imag)}
    return _nested(a)


def _nested(a: np.ndarray) -> Any:
    """Nested lists of floats (bools stay bools); nan/inf as strings."""
    if a.ndim == 0:
        return _num(a.item())
    if a.dtype.kind == "b":
        return a.tolist()
    a = np.asarray(a, dtype=float)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    obj = a.astype(object)
    obj[np.isnan(a)] = "nan"
    obj[np.isposinf(a)] = "inf"
    obj[np.isneginf(a)] = "-inf"
    return obj.tolist()


def _array_from_json(v, dtype=float) -> np.ndarray | None:
    if v is None:
        return None
    if isinstance(v, dict) and "real" in v:
        return _array_from_json(v["real"]) + 1j * _array_from_json(v["imag"])
    return np.array(_denan(v), dtype=dtype)


def _denan(v):
    if isinstance(v, list):
        return [_denan(x) for x in v]
    if isinstance(v, dict):
        return {k: _denan(x) for k, x in v.items()}
    return _unnum(v) if isinstance(v, str) else v


def _jsonable(obj: Any) -> Any:
    """Metrics and parameters into JSON types (numpy scalars, arrays, tuples)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _array_to_json(obj)
    if isinstance(obj, sp.Basic):
        return expr_to_str(obj)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, float, complex, np.number)):
        return _num(obj)
    if obj is None or isinstance(obj, str):
        return obj
    return repr(obj)


def _unjson_metrics(d: dict | None) -> dict:
    if not d:
        return {}
    return {k: _denan(v) for k, v in d.items()}


def _arrays_equal(a, b) -> bool:
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True))


# ---------------------------------------------------------------------------


class Finding:
    """Common behaviour of all records: JSON round trip and equality."""

    type: ClassVar[str] = ""

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: dict) -> Finding:  # pragma: no cover - abstract
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())

    __hash__ = None  # mutable containers inside


def _same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0) or a == b
    return a == b


@dataclass(frozen=True, eq=False)
class Equation(Finding):
    """One governing equation ``d(variable)/dt = rhs`` (or a map, or an algebraic law).

    Parameters
    ----------
    variable : str
        The column whose evolution the equation gives.
    rhs : sympy.Expr
        Right-hand side over the series' column names (states and inputs).
    kind : str
        ``"ode"`` (d variable/dt = rhs), ``"map"`` (variable[k+1] = rhs),
        ``"algebraic"`` (variable = rhs) or ``"affine-region"``.
    method : str
        Name of the method that found it.
    metrics : dict
        E.g. ``{"r2": 0.999, "complexity": 3, "validation_rmse": 0.01}``.
    uncertainty : dict, optional
        Per term (the term's text): ``{"lower", "upper", "probability"}``.
    """

    type: ClassVar[str] = "equation"
    variable: str
    rhs: sp.Expr
    kind: str = "ode"
    method: str = ""
    metrics: dict = field(default_factory=dict)
    uncertainty: dict | None = None

    def __post_init__(self):
        object.__setattr__(self, "rhs", _as_expr(self.rhs))

    @property
    def lhs(self) -> str:
        if self.kind == "ode":
            return f"d({self.variable})/dt"
        if self.kind == "map":
            return f"{self.variable}[k+1]"
        return self.variable

    def terms(self) -> dict[str, float]:
        """The equation as ``{term: coefficient}`` (terms as text, "1" for the constant)."""
        return expr_terms(self.rhs)

    def __str__(self) -> str:
        return f"{self.lhs} = {expr_to_str(self.rhs)}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "variable": self.variable,
            "rhs": expr_to_str(self.rhs),
            "names": expr_names(self.rhs),
            "kind": self.kind,
            "method": self.method,
            "metrics": _jsonable(self.metrics),
            "uncertainty": _jsonable(self.uncertainty) if self.uncertainty is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Equation:
        return cls(
            variable=d["variable"],
            rhs=parse_expr(d["rhs"], d.get("names")),
            kind=d.get("kind", "ode"),
            method=d.get("method", ""),
            metrics=_unjson_metrics(d.get("metrics")),
            uncertainty=None if d.get("uncertainty") is None else _unjson_metrics(d["uncertainty"]),
        )


def expr_terms(expr: sp.Expr) -> dict[str, float]:
    """Split a sum into ``{monomial text: coefficient}``; the constant is ``"1"``."""
    out: dict[str, float] = {}
    expr = sp.expand(expr)
    for term in sp.Add.make_args(expr):
        if term == 0:
            continue
        coeff, rest = term.as_coeff_Mul()
        key = "1" if rest == 1 else expr_to_str(rest)
        try:
            out[key] = out.get(key, 0.0) + float(coeff)
        except TypeError:  # symbolic coefficient
            out[expr_to_str(term)] = 1.0
    return out


@dataclass(frozen=True, eq=False)
class Graph(Finding):
    """A directed graph between variables.

    ``graph`` is a :class:`networkx.DiGraph` (or ``MultiDiGraph`` when several
    lags join the same pair) whose nodes are variable names and whose edges
    carry ``weight`` (float), ``lag`` (int, 0 = contemporaneous), ``score``
    (in [0, 1]) and ``selected`` (bool: False for candidate edges kept only for
    ranking). ``kind`` is ``"causal"``, ``"interaction"`` or ``"transition"``.
    """

    type: ClassVar[str] = "graph"
    graph: nx.DiGraph
    kind: str = "interaction"
    method: str = ""
    metrics: dict = field(default_factory=dict)

    def edges(self, selected_only: bool = True) -> list[dict]:
        """Edges as dicts ``{source, target, lag, weight, score, selected}``."""
        rows = []
        data = self.graph.edges(data=True, keys=True) if self.graph.is_multigraph() else (
            (u, v, None, a) for u, v, a in self.graph.edges(data=True)
        )
        for u, v, _k, a in data:
            row = {
                "source": str(u),
                "target": str(v),
                "lag": int(a.get("lag", 0)),
                "weight": float(a.get("weight", 1.0)),
                "score": float(a.get("score", 1.0)),
                "selected": bool(a.get("selected", True)),
            }
            if selected_only and not row["selected"]:
                continue
            rows.append(row)
        return rows

    def __str__(self) -> str:
        es = ", ".join(
            f"{e['source']}->{e['target']}" + (f"@{e['lag']}" if e["lag"] else "")
            for e in self.edges()
        )
        return f"{self.kind} graph ({self.method}): {es or 'no edges'}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "kind": self.kind,
            "method": self.method,
            "multigraph": bool(self.graph.is_multigraph()),
            "nodes": [str(n) for n in self.graph.nodes],
            "edges": [{k: _num(v) for k, v in e.items()} for e in self.edges(selected_only=False)],
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Graph:
        multi = d.get("multigraph")
        if multi is None:
            multi = len({(e["source"], e["target"]) for e in d["edges"]}) < len(d["edges"])
        g = nx.MultiDiGraph() if multi else nx.DiGraph()
        g.add_nodes_from(d["nodes"])
        for e in d["edges"]:
            attrs = {k: _unnum(e[k]) for k in ("weight", "lag", "score", "selected") if k in e}
            g.add_edge(e["source"], e["target"], **attrs)
        return cls(graph=g, kind=d.get("kind", "interaction"), method=d.get("method", ""),
                   metrics=_unjson_metrics(d.get("metrics")))


@dataclass(frozen=True, eq=False)
class Invariant(Finding):
    """A quantity conserved along trajectories.

    ``residual`` is its relative variation along trajectories (0 = exactly
    conserved); ``confidence`` in [0, 1].
    """

    type: ClassVar[str] = "invariant"
    expression: sp.Expr
    residual: float = float("nan")
    confidence: float = float("nan")
    method: str = ""
    metrics: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "expression", _as_expr(self.expression))

    def __str__(self) -> str:
        return f"{expr_to_str(self.expression)} = const  (residual {self.residual:.2g})"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "expression": expr_to_str(self.expression),
            "names": expr_names(self.expression),
            "residual": _num(self.residual),
            "confidence": _num(self.confidence),
            "method": self.method,
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Invariant:
        return cls(
            expression=parse_expr(d["expression"], d.get("names")),
            residual=_unnum(d.get("residual", "nan")),
            confidence=_unnum(d.get("confidence", "nan")),
            method=d.get("method", ""),
            metrics=_unjson_metrics(d.get("metrics")),
        )


@dataclass(frozen=True, eq=False)
class Spectrum(Finding):
    """Eigenvalues of a linear (Koopman/DMD) operator and what goes with them.

    Parameters
    ----------
    eigenvalues : array of complex, shape (r,)
        Discrete-time eigenvalues λ of the one-step operator.
    dt : float
        Time step; continuous-time eigenvalues are ``log(λ)/dt``.
    modes : array, shape (n_features, r), optional
    amplitudes : array, shape (r,), optional
    residuals : array, shape (r,), optional
        Residual of each eigenpair (residual DMD); ``spurious`` flags the
        untrustworthy ones.
    variables : tuple of str
        Names of the rows of ``modes``.
    eigenfunctions : list of sympy.Expr or None
        Koopman eigenfunctions where the dictionary is symbolic.
    intervals : array of complex, shape (r, 2), optional
        An interval for each continuous-time eigenvalue ``ω = log(λ)/dt``:
        ``intervals[j, 0]`` holds the lower bounds of ``Re ω`` and ``Im ω``
        (as its real and imaginary parts), ``intervals[j, 1]`` the upper
        ones. :attr:`period_intervals` and :attr:`growth_rate_intervals`
        are read from it.
    time_unit : str
        What the time axis is measured in (the time column's name, e.g.
        ``"year"``); periods and growth times are in this unit.
    """

    type: ClassVar[str] = "spectrum"
    eigenvalues: np.ndarray
    dt: float = 1.0
    modes: np.ndarray | None = None
    amplitudes: np.ndarray | None = None
    residuals: np.ndarray | None = None
    spurious: np.ndarray | None = None
    variables: tuple = ()
    eigenfunctions: list | None = None
    method: str = ""
    metrics: dict = field(default_factory=dict)
    intervals: np.ndarray | None = None
    time_unit: str = ""

    def __post_init__(self):
        object.__setattr__(self, "eigenvalues", np.asarray(self.eigenvalues, dtype=complex))
        object.__setattr__(self, "time_unit", str(self.time_unit or ""))
        if self.intervals is not None:
            object.__setattr__(self, "intervals", np.asarray(self.intervals, dtype=complex).reshape(-1, 2))
        for name in ("modes", "amplitudes"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, np.asarray(v, dtype=complex))
        if self.residuals is not None:
            object.__setattr__(self, "residuals", np.asarray(self.residuals, dtype=float))
        if self.spurious is not None:
            object.__setattr__(self, "spurious", np.asarray(self.spurious, dtype=bool))
        object.__setattr__(self, "variables", tuple(str(v) for v in self.variables))
        if self.eigenfunctions is not None:
            object.__setattr__(self, "eigenfunctions", [
                None if f is None else _as_expr(f)
                for f in self.eigenfunctions
            ])

    @property
    def continuous_eigenvalues(self) -> np.ndarray:
        """``log(λ)/dt`` (principal branch); ``-inf`` (real part) for ``λ = 0``."""
        lam = self.eigenvalues
        out = np.empty(lam.shape, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore"):
            out.real = np.log(np.abs(lam)) / self.dt
            out.imag = np.angle(lam) / self.dt
        return out

    @property
    def frequencies(self) -> np.ndarray:
        """Oscillation frequencies in cycles per time unit, ``Im(ω)/(2π)``."""
        return self.continuous_eigenvalues.imag / (2 * np.pi)

    @property
    def growth_rates(self) -> np.ndarray:
        """Growth (positive) or decay (negative) rates, ``Re(ω)``."""
        return self.continuous_eigenvalues.real

    @property
    def periods(self) -> np.ndarray:
        """Oscillation periods ``2π/|Im ω|`` in the data's time unit; ``inf`` for a real eigenvalue."""
        with np.errstate(divide="ignore"):
            return 2 * np.pi / np.abs(self.continuous_eigenvalues.imag)

    @property
    def growth_times(self) -> np.ndarray:
        """``1/Re(ω)`` in the data's time unit: the time a mode takes to grow (positive)
        or decay (negative) by a factor e; ``inf`` for a neutral one."""
        with np.errstate(divide="ignore"):
            return 1 / self.continuous_eigenvalues.real

    @property
    def period_intervals(self) -> np.ndarray | None:
        """``(r, 2)`` lower and upper period of each eigenvalue, from :attr:`intervals`."""
        if self.intervals is None:
            return None
        im = np.abs(self.intervals.imag)
        lo_im = np.where(self.intervals[:, 0].imag * self.intervals[:, 1].imag <= 0, 0.0, im.min(axis=1))
        with np.errstate(divide="ignore"):
            return np.column_stack([2 * np.pi / im.max(axis=1), 2 * np.pi / lo_im])

    @property
    def growth_rate_intervals(self) -> np.ndarray | None:
        """``(r, 2)`` lower and upper growth rate ``Re ω`` of each eigenvalue, from :attr:`intervals`."""
        return None if self.intervals is None else self.intervals.real

    def __str__(self) -> str:
        w = self.continuous_eigenvalues
        head = ", ".join(f"{z.real:.4g}{z.imag:+.4g}j" for z in w[:6])
        more = f" … ({len(w)} in all)" if len(w) > 6 else ""
        return f"spectrum ({self.method}): ω = {head}{more}"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "method": self.method,
            "dt": _num(self.dt),
            "eigenvalues": _array_to_json(self.eigenvalues),
            "continuous_eigenvalues": _array_to_json(self.continuous_eigenvalues),
            "frequencies": _array_to_json(self.frequencies),
            "growth_rates": _array_to_json(self.growth_rates),
            "periods": _array_to_json(self.periods),
            "growth_times": _array_to_json(self.growth_times),
            "intervals": _array_to_json(self.intervals),
            "period_intervals": _array_to_json(self.period_intervals),
            "time_unit": self.time_unit,
            "modes": _array_to_json(self.modes),
            "amplitudes": _array_to_json(self.amplitudes),
            "residuals": _array_to_json(self.residuals),
            "spurious": None if self.spurious is None else [bool(s) for s in self.spurious],
            "variables": list(self.variables),
            "eigenfunctions": None if self.eigenfunctions is None else [
                None if f is None else expr_to_str(f) for f in self.eigenfunctions
            ],
            "eigenfunction_names": None if self.eigenfunctions is None else sorted(
                {n for f in self.eigenfunctions if f is not None for n in expr_names(f)}),
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Spectrum:
        efs = d.get("eigenfunctions")
        if efs is not None:
            names = d.get("eigenfunction_names")
            efs = [None if f is None else parse_expr(f, names) for f in efs]
        return cls(
            eigenvalues=_array_from_json(d["eigenvalues"], complex),
            dt=_unnum(d.get("dt", 1.0)),
            modes=_array_from_json(d.get("modes"), complex),
            amplitudes=_array_from_json(d.get("amplitudes"), complex),
            residuals=_array_from_json(d.get("residuals")),
            spurious=None if d.get("spurious") is None else np.array(d["spurious"], dtype=bool),
            variables=tuple(d.get("variables", ())),
            eigenfunctions=efs,
            method=d.get("method", ""),
            metrics=_unjson_metrics(d.get("metrics")),
            intervals=_array_from_json(d.get("intervals"), complex),
            time_unit=d.get("time_unit", ""),
        )

    def __eq__(self, other):  # arrays compare numerically
        if not isinstance(other, Spectrum):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())


@dataclass(frozen=True, eq=False)
class SymbolicCode(Finding):
    """The symbolic code of a piecewise-linear model.

    ``alphabet`` names the linear regions (e.g. bit patterns "011"),
    ``sequence`` is the region visited at each sample, ``maps`` gives each
    region's affine map ``z -> A z + b`` as ``{region: {"A": array, "b": array}}``.
    """

    type: ClassVar[str] = "symbolic_code"
    alphabet: tuple
    sequence: tuple
    maps: dict = field(default_factory=dict)
    variables: tuple = ()
    method: str = ""
    metrics: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "alphabet", tuple(str(a) for a in self.alphabet))
        object.__setattr__(self, "sequence", tuple(str(s) for s in self.sequence))
        object.__setattr__(self, "variables", tuple(str(v) for v in self.variables))
        object.__setattr__(self, "maps", {
            str(k): {"A": np.asarray(v["A"], float), "b": np.asarray(v["b"], float)}
            for k, v in self.maps.items()
        })

    def __str__(self) -> str:
        return f"symbolic code ({self.method}): {len(self.alphabet)} regions, {len(self.sequence)} symbols"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "method": self.method,
            "alphabet": list(self.alphabet),
            "sequence": list(self.sequence),
            "maps": {k: {"A": _array_to_json(v["A"]), "b": _array_to_json(v["b"])}
                     for k, v in self.maps.items()},
            "variables": list(self.variables),
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, d: dict) -> SymbolicCode:
        return cls(
            alphabet=tuple(d["alphabet"]),
            sequence=tuple(d["sequence"]),
            maps={k: {"A": _array_from_json(v["A"]), "b": _array_from_json(v["b"])}
                  for k, v in d.get("maps", {}).items()},
            variables=tuple(d.get("variables", ())),
            method=d.get("method", ""),
            metrics=_unjson_metrics(d.get("metrics")),
        )


@dataclass(frozen=True, eq=False)
class Simulation(Finding):
    """A free-running trajectory of a learned model, to check against the data.

    ``values`` has shape ``(len(t), len(variables))``. When the simulation
    failed part-way (blow-up, stiff failure) ``failed_at`` is the time it
    stopped and ``message`` says why; ``values`` holds what was computed.
    """

    type: ClassVar[str] = "simulation"
    t: np.ndarray
    values: np.ndarray
    variables: tuple
    method: str = ""
    trajectory: int = 0
    failed_at: float | None = None
    message: str = ""
    metrics: dict = field(default_factory=dict)

    def __post_init__(self):
        t = np.array(self.t, dtype=float)
        v = np.array(self.values, dtype=float)
        if v.ndim == 1:
            v = v[:, None]
        t.setflags(write=False)
        v.setflags(write=False)
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "variables", tuple(str(n) for n in self.variables))

    def __str__(self) -> str:
        state = f", failed at t={self.failed_at:g}: {self.message}" if self.failed_at is not None else ""
        return f"simulation ({self.method}): {len(self.t)} steps of {', '.join(self.variables)}{state}"

    def to_frame(self):
        """The trajectory as a :class:`pandas.DataFrame` indexed by time."""
        import pandas as pd

        return pd.DataFrame(self.values, index=pd.Index(self.t, name="t"), columns=list(self.variables))

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "method": self.method,
            "variables": list(self.variables),
            "trajectory": int(self.trajectory),
            "t": _array_to_json(self.t),
            "values": _array_to_json(self.values),
            "failed_at": _num(self.failed_at) if self.failed_at is not None else None,
            "message": self.message,
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Simulation:
        return cls(
            t=_array_from_json(d["t"]),
            values=_array_from_json(d["values"]).reshape(len(d["t"]), len(d["variables"])),
            variables=tuple(d["variables"]),
            method=d.get("method", ""),
            trajectory=int(d.get("trajectory", 0)),
            failed_at=_unnum(d["failed_at"]) if d.get("failed_at") is not None else None,
            message=d.get("message", ""),
            metrics=_unjson_metrics(d.get("metrics")),
        )


_TYPES = {c.type: c for c in (Equation, Graph, Invariant, Spectrum, SymbolicCode, Simulation)}


def from_dict(d: dict) -> Finding:
    """Rebuild any finding from its ``to_dict()`` form (dispatch on ``d["type"]``)."""
    try:
        cls = _TYPES[d["type"]]
    except KeyError:
        raise ValueError(f"Unknown finding type {d.get('type')!r}; expected one of {sorted(_TYPES)}") from None
    return cls.from_dict(d)
