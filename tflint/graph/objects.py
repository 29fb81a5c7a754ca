"""Which same-module class an expression holds an instance of, and so which methods a call
through it runs: `C()` runs `C.__init__`, `C().h()` runs `C.h`, `acc.add(v)` runs
`Accumulator.add` where `acc` is bound to `Accumulator(...)`, `self.block(x)` runs
`Block.call` (a Keras layer's `__call__`) or `Block.__call__`.

A name's class is known when every binding of it in its scope says the same: assignments
`acc = C(...)` (in the function, else at module level), a parameter annotated `acc: C`, or,
for a parameter, the arguments every same-module call of the function passes. `self.block`
is known from `self.block = Block(...)` in the class's methods (or its same-module bases).
Anything else stays unknown: a call through it resolves to nothing, as before.
"""

from __future__ import annotations

import libcst as cst

from tflint.graph.index import ClassInfo, ModuleIndex, Scope, argument
from tflint.graph.vocabulary import FunctionNode, KerasKind


class Instances:
    """Instance types inside one module, from its index."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        # (scope, name) → the values assigned to it there (single-name targets only).
        self._bound: dict[tuple[Scope, str], list[cst.BaseExpression]] = {}
        for assignment in index.assignments:
            for name in assignment.names:
                values = self._bound.setdefault((assignment.scope, name), [])
                values.append(assignment.value if len(assignment.names) == 1 else _UNKNOWN)
        # class definition → attribute → values assigned to `self.<attribute>` in its methods.
        self._attributes: dict[cst.ClassDef, dict[str, list[cst.BaseExpression]]] = {}
        for attribute in index.self_assignments:
            entry = index.functions.get(attribute.scope) if attribute.scope else None
            if entry is None or entry.class_info is None:
                continue
            per_class = self._attributes.setdefault(entry.class_info.node, {})
            per_class.setdefault(attribute.names[0], []).append(attribute.value)
        self._call_sites: dict[FunctionNode, list[tuple[Scope, cst.Call]]] | None = None

    # -- what an expression holds ------------------------------------------------------------

    def values_of(self, name: str, scope: Scope) -> list[cst.BaseExpression]:
        """The values assigned to `name` where it is bound as seen from `scope` (the nearest
        function binding it, else the module); empty for a parameter or an unknown name, and
        unknown values stand for unpacking targets."""
        while scope is not None:
            if _parameter(scope, name) is not None:
                return []
            if (scope, name) in self._bound:
                return self._bound[(scope, name)]
            entry = self.index.functions.get(scope)
            scope = entry.enclosing_function if entry is not None else None
        return self._bound.get((None, name), [])

    def class_of(self, node: cst.BaseExpression, scope: Scope, depth: int = 3) -> ClassInfo | None:
        """The same-module class `node` evidently holds an instance of, seen from `scope`."""
        if depth <= 0:
            return None
        if isinstance(node, cst.Call):
            return self.instantiated(node, scope)
        if isinstance(node, cst.Name):
            return self._name_class(node.value, scope, depth)
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and scope is not None
        ):
            return self._attribute_class(node.attr.value, scope)
        return None

    def instantiated(self, call: cst.Call, scope: Scope) -> ClassInfo | None:
        """`C(...)` for a same-module class `C` (not shadowed by a local function)."""
        if not isinstance(call.func, cst.Name):
            return None
        name = call.func.value
        if self.index.resolve_function(call.func, scope) is not None:
            return None
        if _binds(self.index, scope, name):
            return None
        return self.index.classes.get(name)

    def _name_class(self, name: str, scope: Scope, depth: int) -> ClassInfo | None:
        while scope is not None:
            parameter = _parameter(scope, name)
            if parameter is not None:
                return self._parameter_class(scope, parameter, depth)
            if (scope, name) in self._bound:
                return self._agreed(self._bound[(scope, name)], scope, depth)
            entry = self.index.functions.get(scope)
            scope = entry.enclosing_function if entry is not None else None
        values = self._bound.get((None, name))
        return self._agreed(values, None, depth) if values else None

    def _agreed(
        self, values: list[cst.BaseExpression], scope: Scope, depth: int
    ) -> ClassInfo | None:
        """The class every one of these values instantiates, or None."""
        found: ClassInfo | None = None
        for value in values:
            info = self.class_of(value, scope, depth - 1) if value is not _UNKNOWN else None
            if info is None or (found is not None and found is not info):
                return None
            found = info
        return found

    def _parameter_class(
        self, function: FunctionNode, parameter: cst.Param, depth: int
    ) -> ClassInfo | None:
        annotation = parameter.annotation
        if annotation is not None:
            hint = annotation.annotation
            name: str | bytes | None = None
            if isinstance(hint, cst.SimpleString):
                name = hint.evaluated_value
            elif isinstance(hint, cst.Name):
                name = hint.value
            return self.index.classes.get(name) if isinstance(name, str) else None
        return self._passed_class(function, parameter, depth)

    def _passed_class(
        self, function: FunctionNode, parameter: cst.Param, depth: int
    ) -> ClassInfo | None:
        """The class every same-module call of `function` passes for `parameter`."""
        if not isinstance(function, cst.FunctionDef):
            return None
        positional = [*function.params.posonly_params, *function.params.params]
        if parameter not in positional and parameter not in function.params.kwonly_params:
            return None
        position = positional.index(parameter) if parameter in positional else 10**6
        if self.index.method_class(function) is not None:
            return None  # `self.m(...)` and `obj.m(...)` shift positions: not followed
        found: ClassInfo | None = None
        sites = self._sites().get(function, [])
        for scope, call in sites:
            value = argument(call, position, parameter.name.value)
            info = self.class_of(value, scope, depth - 1) if value is not None else None
            if info is None or (found is not None and found is not info):
                return None
            found = info
        return found

    def _sites(self) -> dict[FunctionNode, list[tuple[Scope, cst.Call]]]:
        if self._call_sites is None:
            self._call_sites = {}
            for scope, call in self.index.all_calls:
                callee = self.index.resolve_function(call.func, scope)
                if callee is not None:
                    self._call_sites.setdefault(callee, []).append((scope, call))
        return self._call_sites

    def _attribute_class(self, attribute: str, scope: FunctionNode) -> ClassInfo | None:
        entry = self.index.functions.get(scope)
        if entry is None or entry.class_info is None:
            return None
        class_name = entry.class_info.node.name.value
        for info in self.index.lineage(class_name, entry.class_info):
            values = self._attributes.get(info.node, {}).get(attribute)
            if values:
                return self._instantiated_by_all(values)
        return None

    def _instantiated_by_all(self, values: list[cst.BaseExpression]) -> ClassInfo | None:
        """The class every value constructs directly (`self.block = Block(...)`)."""
        found: ClassInfo | None = None
        for value in values:
            info = self.instantiated(value, None) if isinstance(value, cst.Call) else None
            if info is None or (found is not None and found is not info):
                return None
            found = info
        return found

    # -- what a call runs --------------------------------------------------------------------

    def callees(self, call: cst.Call, scope: Scope) -> list[cst.FunctionDef]:
        """The same-module methods `call` runs through an object: `C(...)` → `C.__init__`,
        `obj.m(...)` → `C.m`, `obj(...)` → `C.call` for a Keras layer, else `C.__call__`."""
        func = call.func
        info = self.instantiated(call, scope)
        if info is not None:
            init = self.index.find_method(info.node.name.value, "__init__", info)
            return [init] if init is not None else []
        if isinstance(func, cst.Attribute):
            owner = self.class_of(func.value, scope)
            if owner is not None:
                method = self.index.find_method(owner.node.name.value, func.attr.value, owner)
                return [method] if method is not None else []
        owner = self.class_of(func, scope)
        if owner is None:
            return []
        name = "call" if owner.kind is KerasKind.LAYER else "__call__"
        method = self.index.find_method(owner.node.name.value, name, owner)
        return [method] if method is not None else []


_UNKNOWN = cst.Name("_")  # a value bound by unpacking: its class is unknown


def _parameter(function: FunctionNode, name: str) -> cst.Param | None:
    params = function.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name:
            return param
    return None


def _binds(index: ModuleIndex, scope: Scope, name: str) -> bool:
    """Whether a function around `scope` binds `name` (a parameter or local assignment)."""
    while scope is not None:
        if _parameter(scope, name) is not None:
            return True
        entry = index.functions.get(scope)
        if entry is None:
            return False
        scope = entry.enclosing_function
    return False
