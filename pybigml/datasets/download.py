"""Fetching a dataset's release files: verified by SHA-256, written atomically, resumable.

Each reader that can download lists its files in one table of ``Resource`` (name, SHA-256,
the URLs of the original release); with ``download=True`` the reader brings each file it
needs into the dataset's folder through ``download_resource``:

* a file already there whose SHA-256 matches is left alone (nothing is fetched);
* bytes go to ``<name>.part`` and reach ``<name>`` only by ``os.replace`` once their hash
  matches, so the final name never holds a partial or unverified file;
* an interrupted transfer keeps its ``.part`` and resumes with an HTTP ``Range`` request
  (a server that ignores ``Range`` answers 200 with the whole file: the part is restarted);
* a hash mismatch deletes the bytes and raises ``DownloadError`` naming the URL, the file
  and both hashes.

``$PYBIGML_DATA_URL`` (or the ``base_url`` argument) replaces the release URLs by a mirror
laid out as a data root: ``<base>/<folder>/<name>``, e.g. a ``python -m http.server`` run in
a data root, or a local server in tests. Only the standard library (urllib) is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
#: connection attempts per URL; each one after the first resumes the ``.part`` file
ATTEMPTS = 3


@dataclass(frozen=True)
class Resource:
    """One release file.

    Attributes:
        name: the path inside the dataset's folder (``t10k-labels-idx1-ubyte.gz``).
        sha256: its SHA-256, hex.
        urls: where the release serves it, tried in order (mirrors).
    """

    name: str
    sha256: str
    urls: tuple[str, ...]


def release(hashes: Mapping[str, str], *bases: str) -> dict[str, Resource]:
    """A reader's download table from its files' hashes: file ``name`` is served at
    ``base + name`` for each mirror ``base``, in order."""
    return {
        name: Resource(name, sha256, tuple(base + name for base in bases))
        for name, sha256 in hashes.items()
    }


class DownloadError(OSError):
    """A file could not be fetched, or its bytes do not have the expected SHA-256."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def base_url_from_env() -> str | None:
    """``$PYBIGML_DATA_URL``, the mirror that replaces the release URLs, or None if unset."""
    return os.environ.get("PYBIGML_DATA_URL") or None


def download_resource(
    resource: Resource,
    path: Path,
    dataset: str,
    *,
    subfolder: str,
    base_url: str | None = None,
    timeout: float = 60.0,
) -> None:
    """Make ``path`` a verified copy of ``resource``.

    Args:
        resource: the file to fetch.
        path: where it goes (its folder is created if missing).
        dataset: the reader's name, for messages.
        subfolder: the dataset's folder under a data root (``mnist``), which a
            ``base_url`` mirror serves it from.
        base_url: a mirror laid out as a data root; default ``$PYBIGML_DATA_URL``, else the
            release URLs.
        timeout: seconds a connection may stay silent.

    Raises:
        DownloadError: every URL failed, or the bytes fetched have another hash.
    """
    base_url = base_url or base_url_from_env()
    urls = (f"{base_url.rstrip('/')}/{subfolder}/{resource.name}",) if base_url else resource.urls
    fetch(urls, path, resource.sha256, dataset, timeout=timeout)


def fetch(
    urls: Sequence[str], path: Path, sha256: str, dataset: str, *, timeout: float = 60.0
) -> None:
    """Make ``path`` a file with SHA-256 ``sha256``, fetched from the first URL that works.

    A present file with that hash is kept as it is. Network failures move on to the next
    URL (resuming the ``.part`` file left so far). A hash mismatch after resuming an earlier
    ``.part`` fetches the whole file once more; a mismatch of fresh bytes raises at once, as
    a mirror serving other bytes is not a network problem.
    """
    if path.is_file() and sha256_of(path) == sha256:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    failures: list[str] = []
    for url in urls:
        stale = part.is_file()  # bytes of an earlier try, perhaps of another file version
        if not _transfer_with_retries(url, part, timeout, failures):
            continue
        got = sha256_of(part)
        if got != sha256 and stale:  # the resumed prefix may be what is wrong: start afresh
            part.unlink()
            if not _transfer_with_retries(url, part, timeout, failures):
                continue
            got = sha256_of(part)
        if got != sha256:
            part.unlink()
            raise DownloadError(
                f"{dataset}: {url} gave {path.name} with SHA-256 {got}, expected {sha256}; "
                "the file was not kept"
            )
        os.replace(part, path)
        return
    kept = f"; the bytes so far are kept in {part} to resume" if part.is_file() else ""
    raise DownloadError(
        f"{dataset}: could not download {path.name} into {path.parent}: "
        + "; ".join(failures)
        + kept
    )


def _transfer_with_retries(url: str, part: Path, timeout: float, failures: list[str]) -> bool:
    """``_transfer`` up to ``ATTEMPTS`` times, each resuming the last; True once one ends
    complete. Failures are appended to ``failures``; an HTTP error status is not retried
    (the server answered, and would answer the same)."""
    for _ in range(ATTEMPTS):
        try:
            _transfer(url, part, timeout)
            return True
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: {exc}")
            return False
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            failures.append(f"{url}: {exc}")
    return False


def _transfer(url: str, part: Path, timeout: float) -> None:
    """Append the rest of ``url`` to ``part``: ask for ``bytes=<size of part>-``; a 206
    reply continues the part, a 200 reply (the server ignores ``Range``) restarts it, a 416
    reply means the part already holds everything (a reply of other bytes shows in
    ``fetch``'s hash check, which then starts afresh). Raises ``OSError`` (or an
    ``http.client`` error) when the transfer stops short, leaving what arrived in ``part``.
    """
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return  # nothing left to send: the hash check decides whether the part is whole
        raise
    with response:
        resumed = response.status == 206
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        with open(part, "ab" if resumed else "wb") as f:
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                received += len(chunk)
    if expected is not None and received < expected:
        raise OSError(f"the transfer stopped after {received} of {expected} bytes")
