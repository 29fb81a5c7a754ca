"""Run rule examples as programs in one process (TensorFlow imported once) and print a JSON
verdict per file: `{"path": ..., "error": null | "Type: message"}`.

Used by tests/test_rule_programs.py; run as `python tests/example_runner.py FILE...`.
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import sys
import tokenize


def main(paths: list[str]) -> None:
    import keras
    import tensorflow as tf

    for path in paths:
        error = None
        try:
            with tokenize.open(path) as source:  # decodes like `python FILE` (PEP 263)
                source.read()
            with contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(path, run_name="__main__")
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            tf.config.run_functions_eagerly(False)  # TF407's example switches it on
            keras.backend.clear_session()
        print(json.dumps({"path": path, "error": error}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
