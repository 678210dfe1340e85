"""Where datasets are read from when no ``root`` is given."""

from __future__ import annotations

import os
from pathlib import Path


def default_root(start: Path | None = None) -> Path:
    """The data root: ``$PYBIGML_DATA`` if set; else ``../shared/data`` from ``start`` (the
    current directory by default) or the nearest ``shared/data`` walking up from it; else
    ``~/.cache/pybigml``. Each dataset is a folder below it (``mnist/``, ``fashion-mnist/`` ...).
    """
    env = os.environ.get("PYBIGML_DATA")
    if env:
        return Path(env)
    start = Path.cwd() if start is None else start
    sibling = start / ".." / "shared" / "data"
    if sibling.is_dir():
        return sibling
    for directory in (start, *start.parents):
        candidate = directory / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path.home() / ".cache" / "pybigml"
