"""Which names and calls evidently carry tensors: shared by the checks (LibCST) and the
whole-project summary (stdlib `ast`, read in runs that never import LibCST)."""

from __future__ import annotations

# tf.* callables that do not return tensors.
NON_TENSOR_TF = frozenset(
    {
        "tensorflow.TensorShape", "tensorflow.TensorSpec", "tensorflow.DType",
        "tensorflow.as_dtype", "tensorflow.function", "tensorflow.GradientTape",
        "tensorflow.name_scope", "tensorflow.device", "tensorflow.print", "tensorflow.Module",
        "tensorflow.get_static_value", "tensorflow.executing_eagerly", "tensorflow.TensorArray",
    }
)  # fmt: skip
TENSOR_NAMESPACES = (
    "tensorflow.math.", "tensorflow.linalg.", "tensorflow.nn.", "tensorflow.random.",
    "tensorflow.signal.", "tensorflow.image.", "tensorflow.strings.", "tensorflow.sparse.",
    "tensorflow.ragged.", "tensorflow.bitwise.", "tensorflow.raw_ops.", "tensorflow.dtypes.cast",
    "keras.ops.", "keras.random.", "keras.activations.",
)  # fmt: skip
# Parameter names that conventionally carry Python flags, not tensors.
FLAG_PARAMETERS = frozenset({"self", "cls", "training", "mask", "kwargs", "args"})
# Attributes of a tensor that are tensors again (the rest are Python values or methods).
TENSOR_ATTRIBUTES = frozenset({"T", "real", "imag"})


def returns_tensor(qualname: str) -> bool:
    """Whether a call of this fully qualified API evidently returns a tensor."""
    if qualname in NON_TENSOR_TF:
        return False
    return qualname.rsplit(".", 1)[0] == "tensorflow" or qualname.startswith(TENSOR_NAMESPACES)
