"""The name a fix spells TensorFlow with: the module's own TensorFlow import only where nothing
else binds that name (in the module or around the fixed line), else a new import under a name
the module never uses, else no fix. Each case runs on real TensorFlow where it matters."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.snippets import run_tensorflow_program
from tests.test_fixes import fixed
from tflint.names import SAME_IN_COMPAT_V1


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


STEP = """
    @tf.function
    def step(x):
        print(x)
        return np.exp(x)
"""


@pytest.mark.parametrize(
    "before, after",
    [
        (  # tf is 3 in the function: import TensorFlow under a free name
            "import numpy as np\nimport tensorflow as tf\n\n\n@tf.function\ndef step(x):\n"
            "    tf = 3\n    print(x)\n    return np.exp(x) + tf\n",
            "import tensorflow\nimport numpy as np\nimport tensorflow as tf\n\n\n@tf.function\n"
            "def step(x):\n    tf = 3\n    tensorflow.print(x)\n"
            "    return tensorflow.exp(x) + tf\n",
        ),
        (  # tf is rebound later at module level
            "import numpy as np\nimport tensorflow as tf\n" + dedent(STEP) + '\ntf = "gone"\n',
            "import tensorflow\nimport numpy as np\nimport tensorflow as tf\n"
            + dedent(STEP)
            .replace("print(x)", "tensorflow.print(x)")
            .replace("np.exp", "tensorflow.exp")
            + '\ntf = "gone"\n',
        ),
        (  # tf is another library after it was TensorFlow
            "import keras\nimport tensorflow as tf\nimport tflearn as tf\n\n\n"
            "class Block(keras.layers.Layer):\n    def call(self, x):\n        print(x)\n"
            "        return x\n",
            "import tensorflow\nimport keras\nimport tensorflow as tf\nimport tflearn as tf\n\n\n"
            "class Block(keras.layers.Layer):\n    def call(self, x):\n"
            "        tensorflow.print(x)\n        return x\n",
        ),
        (  # tf.compat.v1.print is tf.print; tf.compat.v1.reduce_sum is another function
            "import numpy as np\nimport tensorflow.compat.v1 as tf\n"
            + dedent(STEP).replace("np.exp(x)", "np.sum(x) + np.exp(x)"),
            "import tensorflow\nimport numpy as np\nimport tensorflow.compat.v1 as tf\n"
            + dedent(STEP)
            .replace("print(x)", "tf.print(x)")
            .replace("np.exp(x)", "tensorflow.reduce_sum(x) + tf.exp(x)"),
        ),
        (  # no TensorFlow name at all in a Keras module: import it
            "import keras\n\n\nclass Block(keras.layers.Layer):\n    def call(self, x):\n"
            "        print(x)\n        return x\n",
            "import tensorflow as tf\nimport keras\n\n\nclass Block(keras.layers.Layer):\n"
            "    def call(self, x):\n        tf.print(x)\n        return x\n",
        ),
    ],
)
def test_the_fix_spells_tensorflow_with_a_safe_name(before: str, after: str) -> None:
    assert fixed(before) == after


@pytest.mark.parametrize(
    "source",
    [
        # tf and tensorflow both taken: nothing spells TensorFlow safely here
        "import tensorflow as tf\n\n\n@tf.function\ndef step(x, tensorflow):\n    tf = 3\n"
        "    print(x)\n    return x\n",
        # a star import might bind any new name
        "import tensorflow as tf\nfrom helpers import *\n\n\n@tf.function\ndef step(x):\n"
        "    tf = 3\n    print(x)\n    return x\n",
    ],
)
def test_no_fix_when_no_name_is_safe(source: str) -> None:
    assert fixed(source) == source


def test_compat_v1_attributes_reused_are_the_very_same_objects() -> None:
    import tensorflow as tf

    for name in SAME_IN_COMPAT_V1:
        assert getattr(tf.compat.v1, name) is getattr(tf, name), name
    assert tf.compat.v1.reduce_sum is not tf.reduce_sum


def test_the_fixed_code_runs_where_tf_is_a_local_number(tmp_path: Path) -> None:
    source = dedent(
        """
        import numpy as np
        import tensorflow as tf


        @tf.function
        def step(x):
            tf = 3
            print(x)
            return np.exp(x) + tf


        for value in (0.0, 1.0):
            step(tf.constant(value))
        """
    )
    script = tmp_path / "program.py"
    script.write_text(fixed(source))
    run = run_tensorflow_program(script)
    assert run.stderr.splitlines()[-2:] == ["0", "1"]
