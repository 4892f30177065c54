"""Callers ask a model's capabilities, never its kind: no branch on a kind string, `hasattr(model, ...)`,
`getattr(model, "...")` or `isinstance(model, SomeModelClass)` outside the registry (explorer/models/)."""

import ast
from pathlib import Path

from explorer import models

ROOT = Path(__file__).resolve().parents[2]
KIND_NAMES = set(models.saved_kinds())
MODEL_CLASSES = {cls.__name__ for cls, _ in {**models.REGISTRY, **models.AUXILIARY}.values()}
REGISTRY_NAMES = {"kinds", "saved_kinds", "REGISTRY", "AUXILIARY"}


def _dotted(node: ast.AST) -> list[str]:
    """`job.model.config` -> ["job", "model", "config"]; other expressions give their attribute tail."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _is_model(node: ast.AST) -> bool:
    return any(part == "model" or part.endswith("_model") for part in _dotted(node))


def _names_a_kind(node: ast.AST) -> bool:
    """A model kind's string, a collection of them, or the registry's list of kinds."""
    if isinstance(node, ast.Constant):
        return node.value in KIND_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_a_kind(element) for element in node.elts)
    if isinstance(node, ast.Call):
        return _names_a_kind(node.func)
    return bool(_dotted(node)) and _dotted(node)[-1] in REGISTRY_NAMES


def _branches(tree: ast.AST) -> list[ast.AST]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_names_a_kind(side) for side in (node.left, *node.comparators)):
            found.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            if node.func.id in {"hasattr", "getattr"} and _is_model(node.args[0]):
                found.append(node)
            elif node.func.id == "isinstance" and len(node.args) == 2 and MODEL_CLASSES & {
                    _dotted(n)[-1] for n in ast.walk(node.args[1]) if _dotted(n)}:
                found.append(node)
    return found


def test_no_kind_or_attribute_branches_outside_the_registry():
    files = [*sorted((ROOT / "explorer").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
                 for path in files if (ROOT / "explorer" / "models") not in path.parents
                 for node in _branches(ast.parse(path.read_text(), filename=str(path)))]
    assert not offenders, "ask the model's capabilities instead:\n" + "\n".join(offenders)


def test_the_guard_sees_each_kind_of_branch():
    snippets = ['model.kind == "vae"', 'x if kind in ("vqvae", "ae") else y', "hasattr(model, 'reconstruct')",
                'getattr(job.model, "KNOBS", ())', "isinstance(model, VQVAE)", 'entry["kind"] in models.kinds()']
    assert all(_branches(ast.parse(snippet)) for snippet in snippets)
    assert not _branches(ast.parse('self.kind == "square"; getattr(dist, "scale_tril", None)'))
