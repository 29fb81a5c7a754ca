"""`python -m tflint`.

Python puts the working directory first on `sys.path` for `-m`, so a linted repository's own
`libcst.py` or `click.py` would be imported (and run) in place of the real package. tflint is
already imported from where it is installed when this runs; the working directory is dropped
before anything else is, as pylint does.
"""

import sys
from pathlib import Path


def _drop_working_directory() -> None:
    if sys.path and sys.path[0] in ("", ".", str(Path.cwd())):
        del sys.path[0]


_drop_working_directory()

from tflint.cli import main  # noqa: E402  (after the sys.path repair, on purpose)

main()
