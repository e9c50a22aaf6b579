"""Formulas for custom pages (miner.php's `gen`/`bgen`), parsed instead of eval'd.

    >>> f = compile_formula("POOL.Difficulty Accepted/max(POOL.Accepted,1)",
    ...                     fields=["POOL.Difficulty Accepted", "POOL.Accepted"])
    >>> f.evaluate({"POOL.Difficulty Accepted": 300.0, "POOL.Accepted": 3})
    100.0

A small grammar of our own (lark, LALR; in formula_syntax.py) and an evaluator built
here from closures over numbers and strings: field references, + - * / %, ** with a
bounded exponent, comparisons, and/or/not, and an allow-list of functions (min, max,
abs, round, floor, ceil, sqrt, log, if). No Python eval, no attribute access, no names
but fields and those functions. Formula length, nesting depth, number size and string
length are bounded, so no formula can exhaust CPU or memory. Every problem is a
FormulaError with a message (and, for syntax, the position).

Field names may contain spaces, dots and %: unquoted, they are matched longest
first against the fields the section has (formula_syntax.py); "double quotes" name
a field too. 'Single quotes' are strings. Plain Python: no Django here.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lark import Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from rigs.web.php import php_round

from .formula_syntax import deeper_than, parser, substitute_fields

MAX_LENGTH = 500       # characters of a formula
MAX_DEPTH = 40         # nesting of the parse tree
MAX_EXPONENT = 64      # |b| in a ** b
MAX_NUMBER = 1e300     # |x| of any result
MAX_STRING = 1000      # characters of any string value
FUNCTIONS = ("min", "max", "abs", "round", "floor", "ceil", "sqrt", "log", "if", "pow")


class FormulaError(Exception):
    """A formula that cannot be parsed or evaluated; ``pos`` is 1-based, or None."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message if pos is None else f"{message} at position {pos}")
        self.message = message
        self.pos = pos


# ---------------------------------------------------------------- values


def _num(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise FormulaError(f"'{v[:30]}' is not a number") from None
    raise FormulaError("not a number")


def _check(v):
    if isinstance(v, float):
        if v != v or abs(v) == math.inf:
            raise FormulaError("result is not a finite number")
        if abs(v) > MAX_NUMBER:
            raise FormulaError("number too large")
    elif isinstance(v, int) and not isinstance(v, bool):
        if abs(v) > MAX_NUMBER:
            raise FormulaError("number too large")
    elif isinstance(v, str) and len(v) > MAX_STRING:
        raise FormulaError("text too long")
    return v


def _row_value(v):
    """What a rig value means in a formula: numbers stay numbers, numeric text becomes one."""
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return _check(float(v)) if isinstance(v, float) else _check(v)
    if v is None:
        raise FormulaError("value is empty")
    s = str(v)
    try:
        return _check(float(s))
    except (ValueError, FormulaError):
        return s[:MAX_STRING]


def _truthy(v):
    return bool(v) if not isinstance(v, str) else v not in ("", "N", "false")


def _add(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    return _num(a) + _num(b)


def _div(a, b):
    b = _num(b)
    if b == 0:
        raise FormulaError("division by zero")
    return _num(a) / b


def _mod(a, b):
    b = _num(b)
    if b == 0:
        raise FormulaError("division by zero")
    return math.fmod(_num(a), b)


def _pow(a, b):
    a, b = _num(a), _num(b)
    if abs(b) > MAX_EXPONENT:
        raise FormulaError(f"exponent larger than {MAX_EXPONENT}")
    if a == 0 and b < 0:
        raise FormulaError("division by zero")
    try:
        r = float(a) ** float(b)
    except OverflowError:
        raise FormulaError("number too large") from None
    if isinstance(r, complex):
        raise FormulaError("no real result")
    return r


def _compare(op, a, b):
    if isinstance(a, str) or isinstance(b, str):
        a, b = str(a).lower(), str(b).lower()
    return {"==": a == b, "=": a == b, "!=": a != b, "<": a < b, "<=": a <= b,
            ">": a > b, ">=": a >= b}[op]


def _round(x, n=0):
    n = int(_num(n))
    if not 0 <= n <= 12:
        raise FormulaError("round() takes 0 to 12 decimals")
    try:
        return php_round(_num(x), n)  # half away from zero, as PHP: round(1.815, 2) is 1.82
    except ArithmeticError:
        raise FormulaError("number too large") from None


def _sqrt(x):
    x = _num(x)
    if x < 0:
        raise FormulaError("square root of a negative number")
    return math.sqrt(x)


def _log(x, base=None):
    x = _num(x)
    if x <= 0:
        raise FormulaError("log of a number <= 0")
    if base is None:
        return math.log(x)
    base = _num(base)
    if base <= 0 or base == 1:
        raise FormulaError("log base must be > 0 and not 1")
    return math.log(x, base)


def _minmax(fn):
    def f(*args):
        if not args:
            raise FormulaError("needs at least one value")
        if all(isinstance(a, str) for a in args):
            return fn(args, key=str.lower)
        return fn(_num(a) for a in args)
    return f


STRICT = {  # name: (function, fewest args, most args)
    "min": (_minmax(min), 1, 20), "max": (_minmax(max), 1, 20),
    "abs": (lambda x: abs(_num(x)), 1, 1), "round": (_round, 1, 2),
    "floor": (lambda x: float(math.floor(_num(x))), 1, 1),
    "ceil": (lambda x: float(math.ceil(_num(x))), 1, 1),
    "sqrt": (_sqrt, 1, 1), "log": (_log, 1, 2), "pow": (_pow, 2, 2),
}
BINOPS = {"+": _add, "-": lambda a, b: _num(a) - _num(b), "*": lambda a, b: _num(a) * _num(b),
          "/": _div, "%": _mod}


# ---------------------------------------------------------------- compiling


@v_args(inline=True)
class _Build(Transformer):
    """Parse tree -> a closure ``f(row) -> value``."""

    def __init__(self, slots):
        super().__init__()
        self.slots = slots
        self.names = set()

    def number(self, tok):
        v = float(tok) if any(c in tok for c in ".eE") else int(tok)
        _check(v)
        return lambda row: v

    def string(self, tok):
        s = str(tok)[1:-1]
        return lambda row: s

    def _field(self, name):
        self.names.add(name)

        def get(row):
            try:
                v = row[name]
            except KeyError:
                raise FormulaError(f"field '{name}' is missing") from None
            return _row_value(v)
        return get

    def qfield(self, tok):
        return self._field(str(tok)[1:-1])

    def slot(self, tok):
        return self._field(self.slots[int(str(tok)[1:-1])])

    def name(self, tok):
        if str(tok) in FUNCTIONS:
            raise FormulaError(f"{tok} is a function: write {tok}(...)", tok.column)
        return self._field(str(tok))

    def call(self, tok, *args):
        fname = str(tok)
        if fname not in FUNCTIONS:
            raise FormulaError(f"unknown function '{fname}' (allowed: {', '.join(FUNCTIONS)})", tok.column)
        if fname == "if":
            if len(args) != 3:
                raise FormulaError("if() takes a condition, a value if true and a value if false", tok.column)
            cond, yes, no = args
            return lambda row: yes(row) if _truthy(cond(row)) else no(row)
        fn, lo, hi = STRICT[fname]
        if not lo <= len(args) <= hi:
            raise FormulaError(f"{fname}() takes {lo}{'' if lo == hi else f' to {hi}'} values", tok.column)
        return lambda row: _check(fn(*(a(row) for a in args)))

    def binop(self, a, op, b):
        f = BINOPS[str(op)]
        return lambda row: _check(f(a(row), b(row)))

    def pow(self, a, b):
        return lambda row: _check(_pow(a(row), b(row)))

    def neg(self, a):
        return lambda row: -_num(a(row))

    def compare(self, a, op, b):
        op = str(op)
        return lambda row: 1 if _compare(op, a(row), b(row)) else 0

    def and_(self, a, b):
        return lambda row: 1 if _truthy(a(row)) and _truthy(b(row)) else 0

    def or_(self, a, b):
        return lambda row: 1 if _truthy(a(row)) or _truthy(b(row)) else 0

    def not_(self, a):
        return lambda row: 0 if _truthy(a(row)) else 1


class Formula:
    def __init__(self, text: str, fn: Callable[[Mapping[str, Any]], Any], fields: list[str]) -> None:
        self.text = text
        self._fn = fn
        self.fields = fields  # the field names the formula reads

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        """The value for one row; raises FormulaError (never anything else)."""
        try:
            return _check(self._fn(row))
        except FormulaError:
            raise
        except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
            raise FormulaError(str(exc) or exc.__class__.__name__) from None
        except RecursionError:
            raise FormulaError("formula too deeply nested") from None

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


def compile_formula(text: str, fields: Iterable[str] = ()) -> Formula:
    """Parse ``text``; ``fields`` are the field names the section's rows may have."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters")
    if text.count("(") > MAX_DEPTH:
        raise FormulaError("formula too deeply nested")
    source, slots = substitute_fields(text, fields)
    try:
        tree = parser.parse(source)
    except UnexpectedCharacters as exc:
        raise FormulaError(f"unexpected '{source[exc.pos_in_stream]}'", exc.column) from None
    except UnexpectedEOF:
        raise FormulaError("formula ends too early", len(text) + 1) from None
    except UnexpectedInput as exc:
        tok = getattr(exc, "token", None)
        what = f"'{tok}'" if tok is not None and str(tok) else "end of formula"
        raise FormulaError(f"unexpected {what}", getattr(exc, "column", None)) from None
    except (LarkError, RecursionError):
        raise FormulaError("formula cannot be parsed") from None
    if deeper_than(tree, MAX_DEPTH):
        raise FormulaError("formula too deeply nested")
    builder = _Build(slots)
    try:
        fn = builder.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, FormulaError):
            raise exc.orig_exc from None
        raise FormulaError("formula cannot be parsed") from None
    return Formula(text, fn, sorted(builder.names))


def evaluate(text: str, row: Mapping[str, Any], fields: Iterable[str] | None = None) -> Any:
    """Compile (against the row's own fields) and evaluate in one go."""
    return compile_formula(text, row.keys() if fields is None else fields).evaluate(row)
