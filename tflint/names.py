"""Resolve names to qualified names through the module's own imports.

A light, scope-insensitive pass over Import/ImportFrom statements: LibCST's Scope and
QualifiedName providers cost ~9x the parse itself on real TensorFlow code, and
linting only needs to know what `tf`, `np`, `keras`, `function`, `layers` ... stand for.
Aliases that spell the same API in several ways are normalised (`tensorflow.keras` → `keras`).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from tflint.traverse import walk

# Longest prefix first: how the many spellings of one API map to one canonical name.
_CANONICAL_PREFIXES = (
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.api.", "keras."),
    ("keras.src.", "keras."),
)


def canonical(qualname: str) -> str:
    dotted = qualname + "."
    for prefix, replacement in _CANONICAL_PREFIXES:
        if dotted.startswith(prefix):
            return (replacement + dotted[len(prefix) :]).rstrip(".")
    return qualname


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of Name/Attribute nodes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class ImportMap:
    """Local name → canonical qualified name, for every import in the module."""

    def __init__(self, aliases: dict[str, str], module_bindings: frozenset[str]) -> None:
        self._aliases = aliases
        self._module_bindings = module_bindings

    @classmethod
    def from_module(cls, module: cst.Module) -> ImportMap:
        collector = _ImportCollector()
        walk(module, collector)
        return cls(collector.aliases, frozenset(_module_level_bindings(module.body)))

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """The canonical qualified name of a Name/Attribute chain, or None.

        An unimported name resolves to `builtins.<name>` unless the module binds it itself
        (then it is the module's own and resolves to None).
        """
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self._aliases.get(head)
        if target is None:
            if head in self._module_bindings:
                return None
            target = f"builtins.{head}"
        return canonical(f"{target}.{rest}" if rest else target)

    def aliases_of(self, qualname: str) -> list[str]:
        """Local names bound to exactly `qualname` (e.g. the module's alias of tensorflow)."""
        return sorted(local for local, target in self._aliases.items() if target == qualname)


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = canonical(full)
            else:
                head = full.split(".")[0]
                self.aliases[head] = head
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return False
        module = dotted_name(node.module)
        if module is None:
            return False
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = canonical(f"{module}.{name}")
        return False

    # Imports live in statements; expressions never hold them.
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return any(isinstance(s, cst.Import | cst.ImportFrom) for s in node.body)


def _module_level_bindings(body: Iterable[cst.BaseStatement]) -> set[str]:
    """Names the module defines itself (def, class, assignment) at top level."""
    names: set[str] = set()
    for statement in body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        names.update(target_names(target.target))
                elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                    names.update(target_names(small.target))
    return names


def target_names(target: cst.BaseExpression) -> list[str]:
    """Plain names bound by an assignment target (tuples unpacked; attributes skipped)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        names: list[str] = []
        for element in target.elements:
            names.extend(target_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []
