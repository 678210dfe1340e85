"""Dataset downloads against a local HTTP server (127.0.0.1, never the internet) serving a
temporary copy of a few small files of ../shared/data: verified files, a corrupted file, a
transfer cut halfway, a server that ignores Range, a mirror that is down."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybigml.datasets import MNIST, SST2, Multi30k, TinyShakespeare
from pybigml.datasets.download import ATTEMPTS, DownloadError, fetch

SERVED = [
    "mnist/t10k-labels-idx1-ubyte.gz",
    "mnist/t10k-images-idx3-ubyte.gz",
    "tinyshakespeare/input.txt",
    "multi30k/val.en.gz",
    "multi30k/val.fr.gz",
    "sst2/dev.tsv",
]


class Server(http.server.ThreadingHTTPServer):
    """Serves ``folder``'s files with ``Range: bytes=N-`` support, and misbehaves on demand:
    ``cut`` maps a URL path to how many more replies to cut halfway (the full
    Content-Length is announced, half the bytes sent, the connection closed);
    ``ignore_range`` answers every request with the whole file. ``requests`` logs
    ``(path, Range header)``."""

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.folder = folder
        self.cut: dict[str, int] = {}
        self.ignore_range = False
        self.requests: list[tuple[str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        range_header = self.headers.get("Range")
        self.server.requests.append((self.path, range_header))
        path = self.server.folder / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        start = 0
        if range_header and not self.server.ignore_range:
            start = int(range_header.removeprefix("bytes=").removesuffix("-"))
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if self.server.cut.get(self.path, 0) > 0:
            self.server.cut[self.path] -= 1
            rest = rest[: len(rest) // 2]
        self.wfile.write(rest)

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def server(shared_data_dir: Path, tmp_path: Path, monkeypatch) -> Iterator[Server]:
    """A server of a copy of ``SERVED``; ``$PYBIGML_DATA_URL`` points the readers at it."""
    folder = tmp_path / "served"
    for name in SERVED:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_data_dir / name, folder / name)
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    httpd = Server(folder)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setenv("PYBIGML_DATA_URL", httpd.url)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


LABELS = "/mnist/t10k-labels-idx1-ubyte.gz"
IMAGES = "/mnist/t10k-images-idx3-ubyte.gz"


def test_mnist_download_into_the_data_root(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "data"
    test = MNIST(root, train=False, download=True)
    assert len(test) == 10000 and test.targets[:3].tolist() == [7, 2, 1]
    folder = root / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]  # the split's two files, and no .part left behind
    for name, resource in MNIST.resources.items():
        if name.startswith("t10k"):
            assert sha256(folder / name) == resource.sha256
    assert sorted(path for path, _ in server.requests) == [IMAGES, LABELS]
    # Verified files are not fetched again; the dataset folder itself is accepted as root.
    MNIST(root, train=False, download=True)
    MNIST(folder, train=False, download=True)
    assert len(server.requests) == 2
    assert MNIST(folder, train=False).targets.tolist() == test.targets.tolist()


def test_a_corrupted_file_is_not_kept(server: Server, tmp_path: Path) -> None:
    served = server.folder / LABELS.lstrip("/")
    raw = bytearray(served.read_bytes())
    raw[100] ^= 0xFF
    served.write_bytes(bytes(raw))
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, train=False, download=True)
    message = str(info.value)
    expected = MNIST.resources["t10k-labels-idx1-ubyte.gz"].sha256
    assert f"{server.url}{LABELS}" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert expected in message and hashlib.sha256(raw).hexdigest() in message
    assert not list((tmp_path / "mnist").glob("t10k-labels*"))  # neither the file nor a .part


def test_a_present_file_with_the_wrong_hash_is_fetched_again(
    server: Server, tmp_path: Path
) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the labels")
    MNIST(tmp_path, train=False, download=True)
    assert sha256(folder / "t10k-labels-idx1-ubyte.gz") == (
        MNIST.resources["t10k-labels-idx1-ubyte.gz"].sha256
    )


def test_an_interrupted_transfer_resumes_with_range(server: Server, tmp_path: Path) -> None:
    server.cut[IMAGES] = 1
    MNIST(tmp_path, train=False, download=True)
    size = (server.folder / IMAGES.lstrip("/")).stat().st_size
    images = [header for path, header in server.requests if path == IMAGES]
    assert images == [None, f"bytes={size // 2}-"]  # the second request asks for the rest
    assert sha256(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz") == (
        MNIST.resources["t10k-images-idx3-ubyte.gz"].sha256
    )


def test_a_transfer_that_keeps_failing_leaves_only_the_part(server: Server, tmp_path: Path) -> None:
    server.cut[IMAGES] = ATTEMPTS
    with pytest.raises(DownloadError, match=r"stopped after .* bytes.*kept in .*\.part"):
        MNIST(tmp_path, train=False, download=True)
    final = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    part = final.with_name(final.name + ".part")
    assert (
        not final.exists() and 0 < part.stat().st_size < (server.folder / IMAGES[1:]).stat().st_size
    )
    before = part.stat().st_size
    server.requests.clear()
    MNIST(tmp_path, train=False, download=True)  # a later call picks up where it stopped
    assert server.requests == [(IMAGES, f"bytes={before}-"), (LABELS, None)]
    assert not part.exists() and sha256(final) == MNIST.resources[final.name].sha256


def test_a_server_ignoring_range_restarts_the_part(server: Server, tmp_path: Path) -> None:
    server.ignore_range = True
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    (folder / "input.txt.part").write_bytes(b"garbage that must not stay in front")
    text = TinyShakespeare(tmp_path, block_size=8, download=True)
    assert text.text.startswith("First Citizen:\n") and len(text.text) == 1_115_394
    assert server.requests == [("/tinyshakespeare/input.txt", "bytes=35-")]


def test_a_stale_part_of_other_bytes_is_fetched_afresh(server: Server, tmp_path: Path) -> None:
    """A ``.part`` left by an earlier try can hold bytes of another version of the file:
    resuming it gives a hash mismatch, and the whole file is then fetched once more."""
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    stale = b"Last Citizen:\n"
    (folder / "input.txt.part").write_bytes(stale)
    text = TinyShakespeare(tmp_path, block_size=8, download=True)
    assert text.text.startswith("First Citizen:\n")
    assert server.requests == [
        ("/tinyshakespeare/input.txt", f"bytes={len(stale)}-"),
        ("/tinyshakespeare/input.txt", None),
    ]
    assert not (folder / "input.txt.part").exists()


def test_a_complete_part_is_finished_without_refetching(server: Server, tmp_path: Path) -> None:
    """A ``.part`` that already holds every byte (the process stopped before renaming it)
    gets 416 to its Range request, passes the hash check and is renamed."""
    served = server.folder / LABELS.lstrip("/")
    folder = tmp_path / "mnist"
    folder.mkdir()
    shutil.copyfile(served, folder / "t10k-labels-idx1-ubyte.gz.part")
    shutil.copyfile(server.folder / IMAGES.lstrip("/"), folder / "t10k-images-idx3-ubyte.gz")
    assert len(MNIST(tmp_path, train=False, download=True)) == 10000
    assert server.requests == [(LABELS, f"bytes={served.stat().st_size}-")]


def test_text_readers_download(server: Server, tmp_path: Path) -> None:
    assert len(Multi30k(tmp_path, split="val", download=True)) == 1014
    assert len(SST2(tmp_path, split="dev", download=True)) == 872
    assert sorted(p.name for p in (tmp_path / "multi30k").iterdir()) == ["val.en.gz", "val.fr.gz"]
    with pytest.raises(ValueError, match=r"val\.de\.gz not among the release files"):
        Multi30k(tmp_path, split="val", language_pair=("en", "de"), download=True)


def test_a_missing_file_names_the_url(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"/sst2/train\.tsv: HTTP Error 404"):
        SST2(tmp_path, split="train", download=True)
    assert not (tmp_path / "sst2" / "train.tsv").exists()


def test_fetch_moves_on_to_the_next_mirror(server: Server, tmp_path: Path) -> None:
    expected = MNIST.resources["t10k-labels-idx1-ubyte.gz"].sha256
    path = tmp_path / "labels.gz"
    fetch([f"{server.url}/nowhere/labels.gz", f"{server.url}{LABELS}"], path, expected, "test")
    assert sha256(path) == expected
    assert [p for p, _ in server.requests] == ["/nowhere/labels.gz", LABELS]
