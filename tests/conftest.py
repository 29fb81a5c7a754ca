"""Test-session set-up shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def private_cache_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """tflint caches results in the user's cache directory ($XDG_CACHE_HOME/tflint): tests,
    and the tflint processes they start, use a fresh one instead of the user's."""
    directory = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
