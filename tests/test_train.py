"""The seed MLP learns MNIST, and the training command line runs end to end."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml import nn, optim
from pybigml.models import MLP
from pybigml.train import evaluate, find_data_dir, load_image_dataset, main, train_epoch
from pybigml.utils.data import DataLoader, Subset, TensorDataset


def test_mlp_learns_mnist_subset(shared_data_dir: Path) -> None:
    """300 SGD steps on 6,400 training images. A linear model alone reaches ~85% on MNIST
    after this little training, and the MLP ~92%; 88% on 2,000 test images (standard
    error ~0.7%) shows that the whole stack learns, with margin for seeds and rounding."""
    pybigml.manual_seed(0)
    train = load_image_dataset(shared_data_dir / "mnist", train=True, limit=6400)
    test = load_image_dataset(shared_data_dir / "mnist", train=False, limit=2000)
    loader = DataLoader(
        train, batch_size=64, shuffle=True, generator=pybigml.Generator().manual_seed(0)
    )
    model = MLP()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for _ in range(3):  # 3 epochs x 100 batches
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert len(losses) == 300
    assert np.mean(losses[-50:]) < 0.5 * np.mean(losses[:50])
    accuracy = evaluate(model, DataLoader(test, batch_size=500))
    assert accuracy > 0.88, f"test accuracy {accuracy:.3f}"


def write_fake_mnist(root: Path, n_train: int, n_test: int) -> None:
    """Tiny MNIST-format files whose label is plain to see: image ``k`` lights rows
    ``2k`` and ``2k + 1``, over faint noise."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 30, (n, 28, 28)).astype(np.uint8)
        for row in (0, 1):
            images[np.arange(n), 2 * labels + row, :] = 255
        for name, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
            (root / f"{split}-{name}-ubyte.gz").write_bytes(gzip.compress(header + array.tobytes()))


def test_cli_trains_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_fake_mnist(tmp_path, n_train=512, n_test=128)
    assert main(["mlp", "--data", str(tmp_path), "--epochs", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "test accuracy" in lines[-1] and "time" in lines[-1]
    accuracy = float(lines[-1].split("test accuracy")[1].split("%")[0])
    assert accuracy > 90  # the lit rows give the label away; chance is 10%


def test_cli_reports_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["mlp", "--data", str(tmp_path / "nowhere")]) == 2
    assert "pass --data PATH" in capsys.readouterr().err


def test_find_data_dir(tmp_path: Path) -> None:
    (tmp_path / "shared" / "data" / "mnist").mkdir(parents=True)
    repo = tmp_path / "repo" / "sub"
    repo.mkdir(parents=True)
    assert (
        find_data_dir("mnist", start=tmp_path / "repo")
        == tmp_path / "repo" / ".." / "shared" / "data" / "mnist"
    )
    assert find_data_dir("mnist", start=repo) == tmp_path / "shared" / "data" / "mnist"
    # a folder no shared/data anywhere above tmp_path holds
    assert find_data_dir("no-such-dataset-in-any-shared-data", start=repo) is None


def test_train_epoch_returns_mean_loss() -> None:
    pybigml.manual_seed(0)
    x, y = pybigml.randn(32, 1, 28, 28), pybigml.randint(0, 10, (32,))
    model = MLP()
    loader = DataLoader(Subset(TensorDataset(x, y), list(range(32))), batch_size=8)
    opt = optim.SGD(model.parameters(), lr=0.0)  # no update: every batch loss is the initial one
    mean = train_epoch(model, loader, nn.CrossEntropyLoss(), opt, progress=False)
    expected = np.mean([nn.CrossEntropyLoss()(model(xb), yb).item() for xb, yb in loader])
    assert mean == pytest.approx(expected, rel=1e-6)
