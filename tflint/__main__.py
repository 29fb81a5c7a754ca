"""`python -m tflint`."""

from tflint.cli import main

main()
