"""Whole-project analysis: which functions other modules make graph code.

Every linted file contributes a small summary (summary.py: its imports, its functions with
the references that leave them, its own graph code); names resolve to project files as Python
would find them (modules.py); a fixpoint over the summaries (link.py) hands each file the
functions other modules trace, which the file's GraphContext then treats as roots.
"""
