"""Which expressions evidently hold a tf.data Dataset: the receivers of `.map(...)` and the
other transformations whose functions tf.data traces.

Evidence, in order: a `tf.data.*` call or a Keras `*_dataset_from_directory` factory, a chain
of Dataset methods on such a value, a name assigned one in the same scope (or at module level),
and finally the name itself (`ds`, `train_dataset`). A name assigned from another library's
call (a Grain or Hugging Face dataset named `ds`) is not a tf.data one.
"""

from __future__ import annotations

import libcst as cst

from tflint.graph.index import ModuleIndex, Scope
from tflint.graph.vocabulary import DATASET_METHODS


class DatasetNames:
    """Per scope, the names that hold a tf.data Dataset and those another library made."""

    def __init__(self, index: ModuleIndex) -> None:
        self.imports = index.imports
        self._dataset_names: dict[Scope, set[str]] = {}
        self._foreign_names: dict[Scope, set[str]] = {}
        for _ in range(2):  # `ds = path_ds` aliases of foreign names are foreign too
            for assignment in index.assignments:
                if self._is_foreign(assignment.value, assignment.scope):
                    self._foreign_names.setdefault(assignment.scope, set()).update(assignment.names)
        for _ in range(3):  # a few rounds settle `ds = ds.map(...)` chains
            for assignment in index.assignments:
                if self.is_dataset(assignment.value, assignment.scope):
                    self._dataset_names.setdefault(assignment.scope, set()).update(assignment.names)

    def _is_foreign(self, value: cst.BaseExpression, scope: Scope) -> bool:
        """Made by another library's call (Grain, Hugging Face, ...), or an alias of such."""
        if isinstance(value, cst.Name):
            return value.value in self._foreign_names.get(scope, ())
        if not isinstance(value, cst.Call):
            return False
        qualname = self.imports.resolve(value.func)
        return (
            qualname is not None
            and not qualname.startswith(("builtins.", "tensorflow."))
            and not _is_keras_dataset_factory(qualname)
        )

    def is_dataset(self, node: cst.BaseExpression, scope: Scope = None) -> bool:
        """Whether an expression evidently holds a tf.data.Dataset, seen from `scope`."""
        while True:
            if isinstance(node, cst.Name):
                return self._is_dataset_name(node.value, scope)
            if isinstance(node, cst.Attribute):
                qualname = self.imports.resolve(node)
                if qualname is not None and qualname.startswith("tensorflow.data."):
                    return True
                return _looks_like_dataset_name(node.attr.value)
            if not isinstance(node, cst.Call):
                return False
            qualname = self.imports.resolve(node.func)
            if qualname is not None and not qualname.startswith("builtins."):
                return qualname.startswith("tensorflow.data.") or _is_keras_dataset_factory(
                    qualname
                )
            if not isinstance(node.func, cst.Attribute):
                return False
            if node.func.attr.value not in DATASET_METHODS:
                return False
            node = node.func.value

    def _is_dataset_name(self, name: str, scope: Scope) -> bool:
        for where in (scope, None):
            if name in self._dataset_names.get(where, ()):
                return True
            if name in self._foreign_names.get(where, ()):
                return False
        return _looks_like_dataset_name(name)


def _is_keras_dataset_factory(qualname: str) -> bool:
    """`keras.utils.image_dataset_from_directory` and friends return tf.data Datasets."""
    return qualname.startswith("keras.utils.") and qualname.endswith("dataset_from_directory")


def _looks_like_dataset_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("ds", "dataset") or lowered.endswith(("_ds", "_dataset", "dataset"))
