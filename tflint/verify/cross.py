"""Code another module traces (whole-project analysis): `record` in utils.py runs in a graph
because `train_step`, a tf.function in train.py, calls it.

The verifier runs the caller's traced function, from the caller's module, the way it runs any
traced entry point of one module (its inputs, eagerly and as a graph), and observes the
finding's own file: events are counted on its lines, module state is read in its namespace (as
the caller's import made it), errors must pass through its flagged lines. A method's
`self.<attr>` is read on the instance of the method's class the caller reaches: the subject's
own instance, one of its attributes (a sub-layer), or a global of the caller's module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from tflint.verify.inputs import Inputs
from tflint.verify.target import Module, Runner, Subject, Unresolved, lookup, subject_for


class Traced(Subject):
    """Another module's traced function, run for findings in this one."""

    def __init__(self, subject: Subject, home: Module, cls: type | None) -> None:
        self._subject, self._home, self._cls = subject, home, cls
        self.label = f"{subject.label} ({Path(home.filename).name})"

    @property
    def name(self) -> str:
        return self._subject.name

    def runner(self, mode: str) -> Runner:
        runner = self._subject.runner(mode)
        if self._cls is None or isinstance(runner.owner, self._cls):
            return runner
        return replace(runner, owner=self._instance(runner.owner))

    def candidates(self) -> Iterator[Inputs]:
        return self._subject.candidates()

    def _instance(self, owner: Any) -> Any:
        """The one instance of the flagged method's class the caller reaches (None when it
        reaches none, or several: then `self.<attr>` is not observed)."""
        places = [*_attributes(owner), *self._home.namespace.values()]
        found = {id(value): value for value in places if isinstance(value, self._cls or ())}
        return next(iter(found.values())) if len(found) == 1 else None


def _attributes(owner: Any) -> list[Any]:
    try:
        return list(vars(owner).values()) if owner is not None else []
    except TypeError:
        return []


def traced_subject(home: Module, caller: str, module: Module, symbol: str | None) -> Traced:
    """The subject for code in `symbol` of `module` that `caller` of `home` traces."""
    subject = subject_for(home, caller)
    cls = None
    if symbol and "." in symbol.split(".<locals>.")[0]:
        try:
            owner = lookup(module, symbol.split(".<locals>.")[0].rsplit(".", 1)[0])
        except Unresolved:
            owner = None
        cls = owner if isinstance(owner, type) else None
    return Traced(subject, home, cls)
