"""Name resolution by scope: a name a function, lambda, comprehension or class body binds
itself is not the import or the builtin there, for every rule (TF101/TF201 and their safe fixes
most visibly)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tests.snippets import lint_snippet, positions
from tflint.names import ImportMap

CODES = frozenset({"TF101", "TF201"})


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint_snippet(source, CODES))


def resolved(source: str, name: str) -> list[str | None]:
    """What every use of `name` (a Name node) in `source` resolves to, in source order."""
    module = cst.parse_module(textwrap.dedent(source))
    imports = ImportMap.from_module(module)
    uses: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                uses.append(node)

    module.visit(Collect())
    return [imports.resolve(use) for use in uses]


HEADER = "import numpy as np\nimport tensorflow as tf\n\n\n@tf.function\n"


@pytest.mark.parametrize(
    "function",
    [
        "def f(x, print):\n    print(x)\n    return x\n",
        "def f(x, print=print):\n    print(x)\n    return x\n",
        "def f(x, *print):\n    print[0](x)\n    return x\n",
        "def f(x, fns):\n    for print in fns:\n        print(x)\n    return x\n",
        "def f(x):\n    print = tf.print\n    print(x)\n    return x\n",
        "def f(x):\n    print(x)\n    print = tf.print\n    return x\n",  # local all through
        "def f(x, fns):\n    with fns as print:\n        print(x)\n    return x\n",
        "def f(x, fns):\n    return [print(x) for print in fns]\n",
        "def f(x, np):\n    return np.exp(x)\n",
        "def f(x):\n    np = tf.experimental.numpy\n    return np.exp(x)\n",
        "def f(x, fns):\n    return list(map(lambda np: np.exp(x), fns))\n",
    ],
)
def test_a_locally_bound_name_is_not_the_builtin_or_numpy(function: str) -> None:
    assert found(HEADER + function) == []


def test_a_closure_variable_is_not_the_builtin() -> None:
    source = HEADER.replace("@tf.function\n", "") + textwrap.dedent(
        """\
        def make(log):
            print = log

            @tf.function
            def step(x):
                print(x)
                return x

            return step
        """
    )
    assert found(source) == []


def test_class_body_names_do_not_reach_methods_and_global_means_the_module() -> None:
    source = HEADER.replace("@tf.function\n", "") + textwrap.dedent(
        """\
        class Model:
            print = None

            @tf.function
            def step(self, x):
                print(x)
                return x


        @tf.function
        def g(x):
            global print
            print(x)
            return np.exp(x)
        """
    )
    assert found(source) == [(10, 9, "TF101"), (17, 5, "TF101"), (18, 12, "TF201")]


def test_the_builtin_and_the_import_still_resolve_beside_local_names() -> None:
    source = """\
        import numpy as np

        def f(x, np_values):
            print(x)
            return np.exp(np_values)

        def g(np):
            return np.exp(1)
        """
    assert resolved(source, "print") == ["builtins.print"]
    assert resolved(source, "np") == ["numpy", "numpy", None, None]


def test_decorators_defaults_and_annotations_belong_to_the_scope_around() -> None:
    source = """\
        import tensorflow as tf

        def f(tf: tf.Tensor = tf.zeros(1)):
            return tf

        @tf.function
        def g(x):
            tf = 1
            return tf
        """
    assert resolved(source, "tf") == [
        "tensorflow",
        None,
        "tensorflow",
        "tensorflow",
        None,
        "tensorflow",
        None,
        None,
    ]


def test_an_import_inside_a_function_is_not_a_local_shadow() -> None:
    source = """\
        def f(x):
            import numpy as np
            return np.exp(x)
        """
    assert resolved(source, "np") == ["numpy", "numpy"]  # the import's own name, then the use
