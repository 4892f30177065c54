"""A safe evaluator for the short formulas students type into the exercises (`0.5*sum(mu**2 + ...)`).

Nothing the student types is ever given to `eval`, `exec` or `compile`-and-run. The text is parsed with
`ast.parse(..., mode="eval")`, which only builds a syntax tree, and the tree is then walked twice:
1. `parse` checks every node against a whitelist and refuses the whole expression at the first node
   that is not on it, with a message that names what was refused;
2. `evaluate` interprets the checked tree with numpy, node by node. Only the nodes of the whitelist have
   an interpretation, so nothing else can run even if a check were missed.

The whitelist: numbers (int and float, not bool or complex), the variable names the caller allows
(e.g. `mu`, `sigma`), the constants `pi` and `e`, the operators + − * / ** and unary ±, and calls with
positional arguments to the functions in `FUNCTIONS`, spelled `log(...)` or `np.log(...)` /
`numpy.log(...)`, and `np.pi`, `np.e`. Everything else is refused: other names (`open`, `__import__`,
anything starting with an underscore), attribute access other than `np.<function>`, subscripts, strings,
comparisons, lambdas, comprehensions, keyword arguments, walrus, containers. Limits keep it cheap: at
most `MAX_LENGTH` characters and `MAX_NODES` syntax nodes, and every exponent must lie within
±`MAX_EXPONENT` (so `9**9**9` is refused, not computed). All arithmetic is float64 numpy: a log of a
negative number gives nan and a division by zero inf, which the caller reports as a wrong value rather
than a crash.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import numpy as np

MAX_LENGTH = 300
MAX_NODES = 200
MAX_EXPONENT = 64.0
MODULES = ("np", "numpy")
CONSTANTS = {"pi": np.pi, "e": np.e}
FUNCTIONS: dict[str, tuple[Callable, int]] = {  # name -> (numpy function, number of arguments)
    "sum": (np.sum, 1), "mean": (np.mean, 1), "prod": (np.prod, 1), "len": (np.size, 1), "size": (np.size, 1),
    "log": (np.log, 1), "exp": (np.exp, 1), "sqrt": (np.sqrt, 1), "abs": (np.abs, 1), "square": (np.square, 1),
    "log2": (np.log2, 1), "log10": (np.log10, 1), "log1p": (np.log1p, 1), "dot": (np.dot, 2),
}
OPERATORS: dict[type, Callable] = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                                   ast.Div: np.divide, ast.Pow: np.power}
UNARY: dict[type, Callable] = {ast.USub: np.negative, ast.UAdd: np.positive}
REFUSED_NAMES = {  # node types with their own message (anything else: "… is not allowed")
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed", ast.GeneratorExp: "comprehensions are not allowed",
    ast.Subscript: "indexing and slicing (x[i]) are not allowed: use sum, mean, … over the whole vector",
    ast.Compare: "comparisons are not allowed", ast.BoolOp: "and/or are not allowed",
    ast.IfExp: "if/else is not allowed", ast.NamedExpr: "assignments (:=) are not allowed",
    ast.Starred: "*arguments are not allowed", ast.JoinedStr: "strings are not allowed",
}


class UnsafeExpression(ValueError):
    """The expression was refused before anything was evaluated; the message says why."""


def parse(text: str, names: tuple[str, ...] = ("mu", "sigma")) -> ast.Expression:
    """The checked syntax tree of `text`, whose free variables may be `names` (and pi, e); raises
    `UnsafeExpression` with a readable message for anything outside the whitelist."""
    if not isinstance(text, str):
        raise UnsafeExpression("the expression must be text")
    text = text.strip()
    if not text:
        raise UnsafeExpression("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpression(f"the expression is too long ({len(text):,} characters; at most {MAX_LENGTH})")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        detail = getattr(err, "msg", None) or type(err).__name__
        raise UnsafeExpression(f"this is not a valid expression ({detail})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise UnsafeExpression(f"the expression is too complicated ({len(nodes)} parts; at most {MAX_NODES})")
    _check(tree.body, frozenset(names))
    return tree


def _check(node: ast.AST, names: frozenset[str]) -> None:
    """Refuse `node` unless it and all its children are on the whitelist (see the module docstring)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise UnsafeExpression(f"only numbers are allowed as constants, not {type(node.value).__name__}s "
                                   f"({ast.unparse(node)[:40]})")
        if not abs(node.value) < 1e300:
            raise UnsafeExpression("a number in the expression is too large")
    elif isinstance(node, ast.Name):
        _check_name(node.id, names)
    elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        if (isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int | float) and not abs(node.right.value) <= MAX_EXPONENT):
            raise UnsafeExpression(f"exponents must lie within ±{MAX_EXPONENT:g}, not {ast.unparse(node.right)[:20]}")
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        _check(node.operand, names)
    elif isinstance(node, ast.Call):
        name = _function_name(node.func)
        if node.keywords:
            raise UnsafeExpression(f"keyword arguments are not allowed (in {name})")
        if len(node.args) != FUNCTIONS[name][1]:
            raise UnsafeExpression(f"{name} takes {FUNCTIONS[name][1]} argument(s), not {len(node.args)}")
        for arg in node.args:
            _check(arg, names)
    elif _is_module_constant(node):
        return
    elif isinstance(node, ast.Attribute):
        raise UnsafeExpression(f"attribute access ({ast.unparse(node)[:40]}) is not allowed, only calls of "
                               f"np.<function> for the functions {', '.join(FUNCTIONS)}")
    elif isinstance(node, ast.BinOp | ast.UnaryOp):
        raise UnsafeExpression(f"the operator {type(node.op).__name__} is not allowed: use + - * / ** only")
    else:
        raise UnsafeExpression(REFUSED_NAMES.get(type(node), f"{type(node).__name__} is not allowed here"))


def _check_name(name: str, names: frozenset[str]) -> None:
    if name.startswith("_"):
        raise UnsafeExpression(f"names starting with an underscore ({name}) are not allowed")
    if name in FUNCTIONS:
        raise UnsafeExpression(f"{name} is a function: call it, as in {name}(mu)")
    if name not in names and name not in CONSTANTS:
        allowed = ", ".join((*sorted(names), *CONSTANTS))
        raise UnsafeExpression(f"unknown name {name!r}: the variables are {allowed}")


def _is_module_constant(node: ast.AST) -> bool:
    """`np.pi` or `np.e` (or numpy.pi, numpy.e)."""
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODULES
            and node.attr in CONSTANTS)


def _function_name(func: ast.AST) -> str:
    """The whitelisted function a call names (`log` or `np.log`); refuses any other callee."""
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return func.id
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in MODULES
            and func.attr in FUNCTIONS):
        return func.attr
    callee = ast.unparse(func)[:40]
    raise UnsafeExpression(f"calling {callee} is not allowed; the functions are {', '.join(FUNCTIONS)} "
                           "(also as np.log, ...)")


def evaluate(tree: ast.Expression | str, values: Mapping[str, object]) -> np.ndarray:
    """The value of a checked expression (or of text, checked first) for the variables in `values`,
    as a float64 numpy array; raises `UnsafeExpression` for an exponent beyond ±`MAX_EXPONENT`."""
    if isinstance(tree, str):
        tree = parse(tree, tuple(values))
    env = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    with np.errstate(all="ignore"):
        return np.asarray(_eval(tree.body, env), dtype=np.float64)


def _eval(node: ast.AST, env: dict[str, np.ndarray]) -> np.ndarray:
    """Interpret one whitelisted node; any other node type raises (it cannot get here after `parse`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else np.float64(CONSTANTS[node.id])
    if _is_module_constant(node):
        return np.float64(CONSTANTS[node.attr])
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Pow) and np.any(np.abs(right) > MAX_EXPONENT):  # nan passes: a wrong value
            raise UnsafeExpression(f"exponents must lie within ±{MAX_EXPONENT:g} (here up to "
                                   f"{float(np.max(np.abs(right))):.3g})")
        return OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.Call):
        function = FUNCTIONS[_function_name(node.func)][0]
        return np.asarray(function(*(_eval(arg, env) for arg in node.args)), dtype=np.float64)
    raise UnsafeExpression(f"{type(node).__name__} cannot be evaluated")
