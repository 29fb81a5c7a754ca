"""Which project file an import means, as Python would find it.

A file's module name follows its packages (directories with `__init__.py`, on disk); its
search path is where Python would look when the project runs: the directory above its top
package (a script's own directory), then each directory above that up to the roots the run was
given (and the working directory), each also with a `src/` below it (src layouts). Relative
imports go up from the file's own package. Only files of this run are candidates: everything
else (third-party and standard-library modules) stays opaque. A notebook is a top-level script:
it imports its siblings and nothing imports it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_INIT = "__init__.py"


def is_file(path: Path) -> bool:
    """Path.is_file, False where the path cannot be looked at (a directory without access)."""
    try:
        return path.is_file()
    except OSError:
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


class ProjectModules:
    """The run's files and how imports resolve among them."""

    def __init__(self, files: list[str], roots: list[Path]) -> None:
        self.files = files
        self._by_path: dict[Path, str] = {Path(f).absolute(): f for f in files}
        self._roots = {(r if is_dir(r) else r.parent).absolute() for r in [*roots, Path.cwd()]}
        self._search_paths: dict[str, list[Path]] = {}
        self._tops: dict[Path, Path] = {}

    def module_file(self, directory: Path, dotted: str) -> str | None:
        """The run's file for module `dotted` under `directory` (a module or a package)."""
        base = directory.joinpath(*dotted.split(".")) if dotted else directory
        for candidate in (base.with_name(base.name + ".py"), base / PACKAGE_INIT):
            found = self._by_path.get(candidate)
            if found is not None:
                return found
        return None

    def package_of(self, filename: str) -> Path:
        """The directory of the file's own package (where `.` points)."""
        return Path(filename).absolute().parent

    def top_of(self, filename: str) -> Path:
        """The directory above the file's top package (or the file's directory)."""
        start = Path(filename).absolute().parent
        if start not in self._tops:
            directory = start
            while is_file(directory / PACKAGE_INIT) and directory.parent != directory:
                directory = directory.parent
            self._tops[start] = directory
        return self._tops[start]

    def search_path(self, filename: str) -> list[Path]:
        """Where absolute imports of this file are looked up, nearest first."""
        cached = self._search_paths.get(filename)
        if cached is not None:
            return cached
        top = self.top_of(filename)
        found = [top]
        above = [top, *top.parents]
        limit = [index for index, directory in enumerate(above) if directory in self._roots]
        if limit:  # up to the outermost root above it
            found = above[: max(limit) + 1]
        paths: list[Path] = []
        for directory in found:
            paths += [directory, directory / "src"]
        self._search_paths[filename] = paths
        return paths

    def resolve(self, filename: str, level: int, dotted: str) -> str | None:
        """The file `from <level dots><dotted> import ...` (or `import dotted`) means, from
        `filename`; None where it is not one of the run's files."""
        if level:
            directory = self.package_of(filename)
            for _ in range(level - 1):
                directory = directory.parent
            return self.module_file(directory, dotted)
        for directory in self.search_path(filename):
            found = self.module_file(directory, dotted)
            if found is not None:
                return found
        return None

    def display(self, filename: str) -> str:
        """The file as messages name it: its path below its search root (`pkg/train.py`)."""
        path = Path(filename).absolute()
        return path.relative_to(self.top_of(filename)).as_posix()
