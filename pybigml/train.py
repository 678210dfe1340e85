"""Train a model from the command line, and the small fit loop behind it.

    python -m pybigml.train mlp --epochs 10

trains the seed MLP on MNIST with cross-entropy and SGD (lr 0.01, momentum 0.9, batch
64), printing for every epoch the mean training loss, the test accuracy and the time
taken. Images are scaled to [0, 1] and normalised with MNIST's mean and standard
deviation (0.1307, 0.3081), the usual preprocessing for this dataset.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from . import nn, optim
from .autograd.grad_mode import no_grad
from .backend import get_num_threads, set_num_threads
from .datasets import MNIST, FashionMNIST
from .models import MLP
from .random import Generator, manual_seed
from .utils.data import DataLoader, TensorDataset

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

# dataset name -> (reader class, folder under shared/data)
DATASETS = {"mnist": (MNIST, "mnist"), "fashion-mnist": (FashionMNIST, "fashion-mnist")}
# model name -> constructor
MODELS: dict[str, Callable[[], nn.Module]] = {"mlp": MLP}


def find_data_dir(folder: str, start: Path | None = None) -> Path | None:
    """Where ``shared/data/<folder>`` is: ``../shared/data/<folder>`` from ``start`` (the
    current directory by default), else the nearest ``shared/data/<folder>`` found walking
    up from ``start``; ``None`` if there is none."""
    start = Path.cwd() if start is None else start
    sibling = start / ".." / "shared" / "data" / folder
    if sibling.is_dir():
        return sibling
    for directory in (start, *start.parents):
        candidate = directory / "shared" / "data" / folder
        if candidate.is_dir():
            return candidate
    return None


def load_image_dataset(
    root: Path, train: bool, dataset: str = "mnist", limit: int | None = None
) -> TensorDataset:
    """An MNIST-format split as ``(images, labels)`` tensors, ready for the model.

    Images become float32 ``(N, 1, 28, 28)``: ``(pixel / 255 - 0.1307) / 0.3081``.

    Args:
        root: folder of the IDX files.
        train: the training split (else the test split).
        dataset: a key of ``DATASETS``.
        limit: keep only the first ``limit`` samples.
    """
    reader, _ = DATASETS[dataset]
    split = reader(root, train=train)
    pixels, labels = split.data[:limit], split.targets[:limit]
    images = (pixels.float() / 255.0 - MNIST_MEAN) / MNIST_STD
    return TensorDataset(images.unsqueeze(1), labels)


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: nn.Module,
    optimizer: optim.Optimizer,
    desc: str = "",
    progress: bool = True,
) -> float:
    """One pass over ``loader``: forward, loss, backward, step for every batch.

    Returns:
        The mean of the batch losses.
    """
    model.train()
    total, batches = 0.0, 0
    bar = tqdm(loader, desc=desc, unit="batch", leave=False, disable=not progress)
    for inputs, targets in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        value = loss.item()
        total += value
        batches += 1
        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
    return total / max(batches, 1)


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    """Fraction of samples whose highest score is the true class."""
    model.eval()
    correct, seen = 0, 0
    with no_grad():
        for inputs, targets in loader:
            correct += int((model(inputs).argmax(dim=1) == targets).sum())
            seen += len(targets)
    return correct / max(seen, 1)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pybigml.train", description="Train a pybigml model and report accuracy."
    )
    parser.add_argument("model", choices=sorted(MODELS), help="which model to train")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with the IDX files (default: ../shared/data/<dataset>, else the nearest "
        "shared/data/<dataset> above the current directory)",
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for the kernels (default: all cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parse_args(argv)
    folder = DATASETS[args.dataset][1]
    root = args.data if args.data is not None else find_data_dir(folder)
    if root is None or not root.is_dir():
        where = args.data if args.data is not None else f"../shared/data/{folder}"
        print(
            f"error: {args.dataset} data not found at {where} (nor in any shared/data/{folder} "
            f"above {Path.cwd()}); pass --data PATH to the folder holding the IDX files",
            file=sys.stderr,
        )
        return 2

    if args.threads is not None:
        set_num_threads(args.threads)
    manual_seed(args.seed)
    train_set = load_image_dataset(root, train=True, dataset=args.dataset)
    test_set = load_image_dataset(root, train=False, dataset=args.dataset)
    shuffle_order = Generator().manual_seed(args.seed)
    train_loader = DataLoader(
        train_set, batch_size=args.batch_size, shuffle=True, generator=shuffle_order
    )
    test_loader = DataLoader(test_set, batch_size=1000)

    model = MODELS[args.model]()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{args.model}: {n_params} parameters | {args.dataset} from {root.resolve()} | "
        f"{len(train_set)} train / {len(test_set)} test | batch {args.batch_size}, "
        f"SGD lr {args.lr} momentum {args.momentum}, seed {args.seed}, "
        f"threads {get_num_threads()}"
    )
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(
            model,
            train_loader,
            loss_fn,
            optimizer,
            desc=f"epoch {epoch}/{args.epochs}",
            progress=not args.no_progress,
        )
        accuracy = evaluate(model, test_loader)
        elapsed = time.perf_counter() - start
        print(
            f"epoch {epoch:2d}/{args.epochs}  train loss {train_loss:.4f}  "
            f"test accuracy {100 * accuracy:.2f}%  time {elapsed:.1f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
