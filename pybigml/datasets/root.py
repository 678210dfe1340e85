"""Where datasets are read from: the data root, and the files of one dataset below it.

A reader's ``root`` is the data root, as in torchvision: the folder holding ``mnist/``,
``fashion-mnist/`` ... (``None``: ``default_root()``). A dataset's own folder is accepted
too, as earlier versions took it: each file is looked for in ``root`` itself, then in the
reader's other layouts (torchvision's ``MNIST/raw``), then in ``root/<folder>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .download import Resource, download_resource


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


def dataset_files(
    root: str | os.PathLike | None,
    folder: str,
    dataset: str,
    names: Sequence[str],
    *,
    layouts: Sequence[str] = (),
    gzip_optional: bool = False,
    resources: Mapping[str, Resource] | None = None,
    download: bool = False,
) -> list[Path]:
    """The paths of a dataset's files ``names``, fetched first if ``download``.

    Args:
        root: the data root or the dataset's own folder; ``None``: ``default_root()``.
        folder: the dataset's folder under a data root (``"mnist"``).
        dataset: the reader's name, for messages.
        names: the files wanted, as paths inside the dataset's folder.
        layouts: other folders under ``root`` the files may sit in (``"MNIST/raw"``).
        gzip_optional: a ``name.gz`` may also be present uncompressed, as ``name``.
        resources: the reader's download table, name -> ``Resource``; ``None``: the reader
            cannot download.
        download: fetch each wanted file that is missing or fails its SHA-256 check.

    Raises:
        FileNotFoundError: a file is in none of the folders (the message lists every path
            looked at).
        ValueError: ``download=True`` for a file that is not in the download table.
        DownloadError: a fetch failed (see ``download.fetch``).
    """
    base = default_root() if root is None else Path(root)
    folders = (
        [base / folder] if root is None else [base, *(base / x for x in layouts), base / folder]
    )
    found = [_find(folders, name, gzip_optional) for name in names]
    if download:
        table = resources or {}
        # A file not found goes next to the dataset's files already there (a dataset folder
        # passed as root), else into root/<folder>.
        home = next(
            (f for f in folders if any(_find([f], name, gzip_optional) for name in names)),
            folders[-1],
        )
        unknown = [name for name in names if name not in table]
        if unknown:
            raise ValueError(
                f"{dataset}: {', '.join(unknown)} not among the release files this reader can "
                f"download ({', '.join(table) or 'none'})"
            )
        for i, name in enumerate(names):
            target = _find(folders, name, gzip_optional=False) or home / name
            download_resource(table[name], target, dataset, subfolder=folder)
            found[i] = target
    for name, path in zip(names, found):
        if path is None:
            raise _not_found(folders, name, gzip_optional, dataset, resources is not None)
    return [path for path in found if path is not None]


def _variants(name: str, gzip_optional: bool) -> list[str]:
    """The file names ``name`` may have on disk, preferred first."""
    return [name, name.removesuffix(".gz")] if gzip_optional and name.endswith(".gz") else [name]


def _find(folders: Sequence[Path], name: str, gzip_optional: bool) -> Path | None:
    for folder in folders:
        for variant in _variants(name, gzip_optional):
            if (folder / variant).is_file():
                return folder / variant
    return None


def _not_found(
    folders: Sequence[Path], name: str, gzip_optional: bool, dataset: str, can_download: bool
) -> FileNotFoundError:
    candidates = [str(f / v) for f in folders for v in _variants(name, gzip_optional)]
    hint = " (download=True fetches it)" if can_download else ""
    if not gzip_optional:
        others = f" (nor {', '.join(candidates[1:])})" if len(candidates) > 1 else ""
        return FileNotFoundError(f"{dataset}: {candidates[0]} does not exist{others}{hint}")
    return FileNotFoundError(
        f"{dataset}: {name.removesuffix('.gz')}[.gz] not found; looked for "
        f"{', '.join(candidates)}{hint}"
    )
