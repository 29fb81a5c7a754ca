"""Resolve names to qualified names through the module's own imports.

A light pass over Import/ImportFrom statements: LibCST's Scope and QualifiedName providers cost
~9x the parse itself on real TensorFlow code, and linting only needs to know what
`tf`, `np`, `keras`, `function`, `layers` ... stand for. Aliases that spell the same API in
several ways are normalised (`tensorflow.keras` → `keras`).

Imports are read module-wide, but a name that a function (or lambda, comprehension, class body)
binds itself is that scope's own: `def f(print): print(x)`, `for np in arrays: np.sum()` and a
closure's `print = log.info` do not mean the builtin or the NumPy module there. One extra walk
(`_ScopeScanner`) finds every such use, so every rule sees the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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

    def __init__(
        self,
        aliases: dict[str, str],
        module_bindings: frozenset[str],
        scopes: _ScopeScanner | None = None,
        imports: _ImportCollector | None = None,
    ) -> None:
        self._aliases = aliases
        self._module_bindings = module_bindings
        self._scopes = scopes or _ScopeScanner()
        self._imports = imports or _ImportCollector()
        self._local_uses = frozenset(self._scopes.local_uses)

    @classmethod
    def from_module(cls, module: cst.Module) -> ImportMap:
        collector = _ImportCollector()
        walk(module, collector)
        scanner = _ScopeScanner()
        walk(module, scanner)
        return cls(
            collector.aliases, frozenset(_module_level_bindings(module.body)), scanner, collector
        )

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """The canonical qualified name of a Name/Attribute chain, or None.

        An unimported name resolves to `builtins.<name>` unless the module binds it itself
        (then it is the module's own and resolves to None). A name bound in the enclosing
        function, lambda, comprehension or class body (a parameter, local, loop or closure
        variable) resolves to None too: it is neither the import nor the builtin there.
        """
        dotted = dotted_name(node)
        if dotted is None or _head(node) in self._local_uses:
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

    def tensorflow_name(
        self, ancestors: Sequence[cst.CSTNode], attribute: str
    ) -> tuple[str, bool] | None:
        """The name that spells `tensorflow.<attribute>` at a site with these ancestors, and
        whether `import tensorflow [as tf]` must be added for it; None when no name is safe.

        An existing binding is reused when every binding of it in the module is an import of
        TensorFlow (`tensorflow.compat.v1` too, for the attributes that are the very same
        object there) and the site's own scopes do not rebind it (`tf = 3` in the function).
        Otherwise `tf`, then `tensorflow`, is imported when nothing in the module binds that name
        (a use of it unbound, `@tf.function` with no import, could only ever have meant
        TensorFlow) and no `from ... import *` might bind it.
        """
        local = self._bound_around(ancestors)
        module_bound = self._module_assigned()
        for name in sorted(self._imports.bindings):
            targets = self._imports.bindings[name]
            if name in local or name in module_bound or not targets:
                continue
            if all(_spells_tensorflow(target, attribute) for target in targets):
                return name, False
        if self._imports.star_import:
            return None
        for name in ("tf", "tensorflow"):
            if name not in self._scopes.names_bound and name not in self._imports.bindings:
                return name, True
        return None

    def _bound_around(self, ancestors: Sequence[cst.CSTNode]) -> set[str]:
        """Names the scopes around a site bind (a class body's only when the site is in it)."""
        scopes = [node for node in ancestors if node in self._scopes.scope_bindings]
        bound: set[str] = set()
        for index, node in enumerate(scopes):
            if isinstance(node, cst.ClassDef) and index < len(scopes) - 1:
                continue
            bound |= self._scopes.scope_bindings[node]
        return bound

    def _module_assigned(self) -> set[str]:
        """Names the module scope binds other than by imports, `global` ones included."""
        return self._scopes.scopes[0].bound | self._scopes.global_names


# tf.compat.v1 attributes that are the very object tf.<name> is (checked on TF 2.21 by
# tests/test_fix_alias.py); `tf.compat.v1.reduce_sum` and `math.log` are other functions.
SAME_IN_COMPAT_V1 = frozenset(
    {
        "print", "timestamp", "abs", "exp", "sqrt", "square", "tanh", "sin", "cos", "sign",
        "floor", "maximum", "minimum", "int32", "int64", "float32", "float64",
    }
)  # fmt: skip


def _spells_tensorflow(target: str, attribute: str) -> bool:
    return target == "tensorflow" or (
        target == "tensorflow.compat.v1" and attribute in SAME_IN_COMPAT_V1
    )


def _head(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        # Every import's binding of a name (anywhere in the module): name → what it imports.
        self.bindings: dict[str, set[str]] = {}
        self.star_import = False

    def _bind(self, local: str, target: str) -> None:
        self.aliases[local] = target
        self.bindings.setdefault(local, set()).add(target)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, canonical(full))
            else:
                head = full.split(".")[0]
                self._bind(head, head)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.star_import = True
            return False
        if node.relative or node.module is None:
            for alias in node.names:  # a relative import binds a name of the project's own
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    self.bindings.setdefault(bound.value, set()).add("")
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
            self._bind(local, canonical(f"{module}.{name}"))
        return False

    # Imports live in statements; expressions never hold them.
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return any(isinstance(s, cst.Import | cst.ImportFrom) for s in node.body)


@dataclass
class _Scope:
    """Names one function, lambda, comprehension or class body binds, and the uses of names
    seen in it that are not settled yet (bindings later in the body count too)."""

    kind: str  # "module", "function", "class" or "comprehension"
    bound: set[str] = field(default_factory=set)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    uses: list[cst.Name] = field(default_factory=list)


class _ScopeScanner(cst.CSTVisitor):
    """Finds every Name used where an enclosing function, lambda, comprehension or class body
    binds it, by Python's scoping rules: a class body's names do not reach its methods,
    `global`/`nonlocal` names are not local, imports are left to the module-wide map, and
    decorators, defaults and annotations belong to the scope around the function."""

    def __init__(self) -> None:
        self.scopes = [_Scope("module")]
        self.local_uses: set[cst.Name] = set()
        self.scope_bindings: dict[cst.CSTNode, frozenset[str]] = {}
        self.names_bound: set[str] = set()
        self.global_names: set[str] = set()

    # -- scopes ------------------------------------------------------------------------------

    def _bind(self, names: Iterable[str]) -> None:
        names = list(names)
        self.scopes[-1].bound.update(names)
        self.names_bound.update(names)

    def _walk_all(self, nodes: Iterable[cst.CSTNode | None]) -> None:
        for node in nodes:
            if node is not None:
                walk(node, self)

    def _in_scope(
        self, node: cst.CSTNode, kind: str, bound: Iterable[str], body: Iterable[cst.CSTNode]
    ) -> None:
        self.scopes.append(_Scope(kind, set(bound)))
        self._walk_all(body)
        scope = self.scopes.pop()
        local = scope.bound - scope.global_names - scope.nonlocal_names
        self.scope_bindings[node] = frozenset(local)
        self.global_names |= scope.global_names
        self._close(scope, local)

    def _close(self, scope: _Scope, local: set[str]) -> None:
        outer = next(s for s in reversed(self.scopes) if s.kind != "class")
        for use in scope.uses:
            if use.value in local:
                self.local_uses.add(use)
            elif use.value not in scope.global_names:
                outer.uses.append(use)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._bind([node.name.value])
        self._walk_all(d.decorator for d in node.decorators)
        self._walk_all(_parameter_parts(node.params))
        self._walk_all([node.returns])
        self.local_uses.update(_parameter_nodes(node.params))
        self.names_bound.update(_parameter_names(node.params))
        self._in_scope(node, "function", _parameter_names(node.params), [node.body])
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._walk_all(_parameter_parts(node.params))
        self.local_uses.update(_parameter_nodes(node.params))
        self.names_bound.update(_parameter_names(node.params))
        self._in_scope(node, "function", _parameter_names(node.params), [node.body])
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind([node.name.value])
        self._walk_all(d.decorator for d in node.decorators)
        self._walk_all(arg.value for arg in (*node.bases, *node.keywords))
        self._in_scope(node, "class", (), [node.body])
        return False

    def _comprehension(self, node: cst.CSTNode, parts: Iterable[cst.CSTNode]) -> bool:
        self._in_scope(node, "comprehension", (), parts)
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node, [node.elt, node.for_in])

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node, [node.elt, node.for_in])

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node, [node.elt, node.for_in])

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node, [node.key, node.value, node.for_in])

    # -- bindings and uses -------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        self.scopes[-1].uses.append(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self._bind(target_names(node.target))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(target_names(node.name))  # `with ... as x`, `except ... as e`

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(target_names(node.target))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        # `:=` in a comprehension binds in the function around it
        scope = next(s for s in reversed(self.scopes) if s.kind != "comprehension")
        scope.bound.update(target_names(node.target))
        self.names_bound.update(target_names(node.target))

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind([node.name.value])

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind([node.name.value])

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._bind([node.rest.value])

    def visit_Global(self, node: cst.Global) -> bool:
        self.scopes[-1].global_names.update(item.name.value for item in node.names)
        self.names_bound.update(item.name.value for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.scopes[-1].nonlocal_names.update(item.name.value for item in node.names)
        self.names_bound.update(item.name.value for item in node.names)
        return False

    # Imports are the module-wide map's business; their names are not uses.
    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    # `obj.attr`: only `obj` can be a local; the attribute's Name is not a use.
    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False


def _parameter_list(params: cst.Parameters) -> list[cst.Param]:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return every


def _parameter_names(params: cst.Parameters) -> list[str]:
    return [param.name.value for param in _parameter_list(params)]


def _parameter_nodes(params: cst.Parameters) -> list[cst.Name]:
    return [param.name for param in _parameter_list(params)]


def _parameter_parts(params: cst.Parameters) -> list[cst.CSTNode | None]:
    """Defaults and annotations: evaluated in the scope around the function."""
    parts: list[cst.CSTNode | None] = []
    for param in _parameter_list(params):
        parts.append(param.default)
        parts.append(param.annotation)
    return parts


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
