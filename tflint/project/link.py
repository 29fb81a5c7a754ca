"""The link step: a fixpoint over every file's summary that finds the functions other modules
make graph code, each with a reason naming the path ("called from `train_step` (decorated
with @tf.function) in `train.py:40`").

Graph code spreads along references, across one module boundary (ONE_BOUNDARY below): a
graph function's call of an imported function, of an imported class (its `__init__`), of a
method of an instance of an imported class, of a `self.<attr>` sub-layer built from an imported
class (its `__call__`, or Keras' `call`); and a function decorated with a project-local
tf.function wrapper is a root. Same-module steps are followed too, but only functions of other
modules become external roots: a module's own calls are its GraphContext's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from tflint.project.modules import ProjectModules
from tflint.project.summary import CALL, ModuleSummary, Reason, Ref

MAX_ALIAS_HOPS = 8  # re-exports followed through `__init__.py`s (and cycles cut)
# ONE_BOUNDARY: graph code crosses one module boundary, from the functions a module itself has
# traced (its tf.functions, Keras methods, Dataset maps: not their helpers) into what they call
# elsewhere. Not further, and not from helpers: there the callee's parameters are no longer
# what the traced function passed, and on corpus-a such findings were about plain Python
# values taken for tensors (`np.where(flag, n, 1)`, `np.delete(list, i)`).
# SUB_LAYERS: `self.block(x)` follows a sub-layer's Keras `call`; a plain callable object's
# `__call__` (Keras' LossesContainer and the like) keeps lazy-build bookkeeping behind guards
# the rules do not see across modules (17 false TF106 on tf-keras' compile_utils.py).


@dataclass(frozen=True)
class Target:
    """What a name reaches: a function or a class of a project file, or a module."""

    filename: str
    kind: str  # "function" | "class" | "module"
    qualname: str = ""


class Linker:
    def __init__(self, summaries: Mapping[str, ModuleSummary], modules: ProjectModules) -> None:
        self.summaries = summaries
        self.modules = modules
        self._subclasses: dict[Target, list[Target]] | None = None

    # -- resolution --------------------------------------------------------------------------

    def resolve(self, filename: str, name: str, path: tuple[str, ...]) -> Target | None:
        """What `name.path...` means in `filename`'s module scope."""
        target = self._name(filename, name, 0)
        for attribute in path:
            if target is None:
                return None
            target = self._member(target, attribute, 0)
        return target

    def _name(self, filename: str, name: str, hops: int) -> Target | None:
        summary = self.summaries.get(filename)
        if summary is None or hops > MAX_ALIAS_HOPS:
            return None
        if name in summary.functions:
            return Target(filename, "function", name)
        if name in summary.classes:
            return Target(filename, "class", name)
        entry = summary.imports.get(name)
        if entry is None:
            return None
        if entry.name is None:  # `import a.b` binds `a`; `import a.b as c` binds c to a.b
            found = self.modules.resolve(filename, entry.level, entry.module)
            return None if found is None else Target(found, "module")
        dotted = f"{entry.module}.{entry.name}" if entry.module else entry.name
        submodule = self.modules.resolve(filename, entry.level, dotted)
        if submodule is not None:
            return Target(submodule, "module")
        package = self.modules.resolve(filename, entry.level, entry.module)
        if package is None:
            return None
        return self._member(Target(package, "module"), entry.name, hops + 1)

    def _member(self, target: Target, attribute: str, hops: int) -> Target | None:
        if target.kind == "class":
            return Target(target.filename, "function", f"{target.qualname}.{attribute}")
        if target.kind != "module":
            return None
        found = self._name(target.filename, attribute, hops + 1)
        if found is not None:
            return found
        if target.filename.endswith("__init__.py"):
            submodule = self.modules.module_file(
                self.modules.package_of(target.filename), attribute
            )
            if submodule is not None:
                return Target(submodule, "module")
        return None

    def method(self, cls: Target, name: str, hops: int = 0) -> tuple[str, str] | None:
        """(file, `Class.method`) defining `name` for instances of `cls`, through its project
        bases (other modules' included)."""
        summary = self.summaries.get(cls.filename)
        if summary is None or hops > MAX_ALIAS_HOPS:
            return None
        qualname = f"{cls.qualname}.{name}"
        if qualname in summary.functions:
            return cls.filename, qualname
        for base_name, path in summary.classes.get(cls.qualname, ()):
            base = self.resolve(cls.filename, base_name, path)
            if base is not None and base.kind == "class" and base != cls:
                found = self.method(base, name, hops + 1)
                if found is not None:
                    return found
        return None

    def callee(self, filename: str, ref: Ref) -> tuple[str, str] | None:
        """The function a reference runs: (file, qualname), or None."""
        target = self.resolve(filename, ref.name, ref.path)
        if target is None:
            return None
        if target.kind == "function" and ref.member is None:
            found: tuple[str, str] | None = (target.filename, target.qualname)
            summary = self.summaries[target.filename]
            if target.qualname not in summary.functions:  # `Class.attr` that is no method
                return None
            return found
        if target.kind != "class":
            return None
        if ref.member is None:
            return self.method(target, "__init__")
        if ref.member == CALL:  # a Keras sub-layer: Keras runs its `call` (see SUB_LAYERS)
            return self.method(target, "call")
        return self.method(target, ref.member)

    def callees(self, filename: str, ref: Ref) -> list[tuple[str, str]]:
        """The functions a reference may run: its callee, and where the object's class is only
        declared (`sampler: Sampler`), every override of the method in the project's
        subclasses of that class (class-hierarchy analysis)."""
        found = self.callee(filename, ref)
        every = [] if found is None else [found]
        if not ref.dispatch or ref.member is None:
            return every
        target = self.resolve(filename, ref.name, ref.path)
        if target is None or target.kind != "class":
            return every
        method = "call" if ref.member == CALL else ref.member
        for subclass in self._below(target):
            qualname = f"{subclass.qualname}.{method}"
            if qualname in self.summaries[subclass.filename].functions:
                every.append((subclass.filename, qualname))
        return every

    def _below(self, cls: Target) -> list[Target]:
        """The project's subclasses of a class, at any depth."""
        if self._subclasses is None:
            self._subclasses = {}
            for filename, summary in self.summaries.items():
                for name, bases in summary.classes.items():
                    for base_name, path in bases:
                        base = self.resolve(filename, base_name, path)
                        if base is not None and base.kind == "class":
                            below = self._subclasses.setdefault(base, [])
                            below.append(Target(filename, "class", name))
        found: list[Target] = []
        pending = [cls]
        while pending:
            for subclass in self._subclasses.get(pending.pop(), []):
                if subclass not in found and subclass != cls:
                    found.append(subclass)
                    pending.append(subclass)
        return found

    # -- the fixpoint ------------------------------------------------------------------------

    def external_roots(self) -> dict[str, dict[str, Reason]]:
        """Per file: the functions other modules make graph code, with the reason."""
        graph: dict[tuple[str, str], Reason] = {}
        for filename, summary in self.summaries.items():
            for qualname in summary.graph:
                reason = summary.reason(qualname)
                assert reason is not None
                graph[(filename, qualname)] = reason
        external: dict[str, dict[str, Reason]] = {}
        crossed: set[tuple[str, str]] = set()  # reached across a module boundary
        fed: dict[tuple[str, str], set[str] | None] = {}  # parameters passed tensors (None: all)

        def mark(
            where: tuple[str, str], reason: Reason, across: bool, tensors: set[str] | None
        ) -> None:
            if fed.get(where, set()) is not None:
                fed[where] = None if tensors is None else {*(fed.get(where) or ()), *tensors}
            if where in graph or where[1] in self.summaries[where[0]].exempt:
                return
            graph[where] = reason
            external.setdefault(where[0], {})[where[1]] = reason
            pending.append(where)
            if across:
                crossed.add(where)

        pending = list(graph)
        for filename, summary in self.summaries.items():  # project-local tf.function wrappers
            for qualname, entry in summary.functions.items():
                for ref in entry.refs:
                    if ref.decorator:
                        wrapper = self._wrapper(filename, ref)
                        if wrapper is not None:
                            mark((filename, qualname), wrapper, across=False, tensors=None)
        while pending:
            filename, qualname = pending.pop()
            summary = self.summaries[filename]
            found = summary.functions.get(qualname)
            if found is None:
                continue
            reason = graph[(filename, qualname)]
            for ref, callee in self._reached(filename, found.refs):
                if callee == (filename, qualname):
                    continue
                if callee[0] == filename:  # followed, but the module's own analysis marks it
                    if callee not in graph and callee[1] not in summary.exempt:
                        graph[callee] = Reason(
                            f"called from graph code `{qualname}`",
                            reason.autograph,
                            reason.converts_print,
                        )
                        pending.append(callee)
                        if (filename, qualname) in crossed:
                            crossed.add(callee)
                    continue
                if (filename, qualname) in crossed or reason.text.startswith("called from"):
                    continue  # from traced functions themselves, one boundary: ONE_BOUNDARY
                text = (
                    f"called from `{qualname}` ({reason.text}) in "
                    f"`{self.modules.display(filename)}:{summary.where(ref.row)}`"
                )
                passed = Reason(text, reason.autograph, reason.converts_print)
                mark(callee, passed, across=True, tensors=self._fed(filename, ref, callee))
        for filename, roots in external.items():
            for qualname, reason in roots.items():
                names = fed.get((filename, qualname), set())
                tensors = None if names is None else tuple(sorted(names))
                roots[qualname] = replace(reason, tensors=tensors)
        return external

    def _reached(self, filename: str, refs: tuple[Ref, ...]) -> list[tuple[Ref, tuple[str, str]]]:
        return [
            (ref, callee)
            for ref in refs
            if not ref.decorator
            for callee in self.callees(filename, ref)
        ]

    def _fed(self, filename: str, ref: Ref, callee: tuple[str, str]) -> set[str] | None:
        """The callee's parameters this call passes tensors (None: all of them). A call
        through a class (`C(x)`, `obj.m(x)`, `self.block(x)`) is bound: its first argument
        goes to the second parameter."""
        if ref.fed is None:
            return None
        params = self.summaries[callee[0]].functions[callee[1]].params
        target = self.resolve(filename, ref.name, ref.path)
        offset = 1 if target is not None and target.kind == "class" else 0
        names: set[str] = set()
        for argument in ref.fed:
            if isinstance(argument, str):
                names.add(argument)
            elif argument + offset < len(params) and params[argument + offset]:
                names.add(params[argument + offset])
        return names

    def _wrapper(self, filename: str, ref: Ref) -> Reason | None:
        target = self.resolve(filename, ref.name, ref.path)
        if target is None or target.kind != "function" or target.filename == filename:
            return None
        summary = self.summaries[target.filename]
        if target.qualname not in summary.wrappers:
            return None
        where = summary.functions[target.qualname].row
        return Reason(
            f"decorated with @{ref.name}{''.join('.' + p for p in ref.path)}, which wraps it "
            f"in tf.function (`{self.modules.display(target.filename)}:{where}`)"
        )
