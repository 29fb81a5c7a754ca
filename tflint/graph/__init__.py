"""Graph code: which functions of a module TensorFlow traces, and why.

- `vocabulary`: TensorFlow's and Keras's names (tf.function in every spelling, the methods
  Keras traces, the Dataset transformations, py_function), and how a tf.function's options
  and an `if tf.executing_eagerly():` test read;
- `index`: one pre-pass returning a frozen `ModuleIndex` (classes, functions with their calls
  and local definitions, decorated and wrapped functions, assignments, eager-only branches);
- `datasets`: which expressions hold a tf.data Dataset;
- `objects`: which same-module class a name or `self.<attr>` holds an instance of, and so
  which methods a call through it runs;
- `keras_use`: Keras components a module only ever runs eagerly;
- `judgement`: `GraphContext`, which reads the index and decides what is graph code.

Graph code (the README's "What counts as graph code") is resolved through the module's
imports (names.ImportMap), never by spelling.
"""

from tflint.graph.index import ClassInfo, FunctionEntry, ModuleIndex, TfFunctionInfo
from tflint.graph.judgement import GraphContext
from tflint.graph.vocabulary import TF_FUNCTION, FunctionNode, GraphReason, KerasKind

__all__ = [
    "TF_FUNCTION",
    "ClassInfo",
    "FunctionEntry",
    "FunctionNode",
    "GraphContext",
    "GraphReason",
    "KerasKind",
    "ModuleIndex",
    "TfFunctionInfo",
]
