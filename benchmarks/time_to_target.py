"""Time to target: the ``mlp`` recipe trained by pybigml and by PyTorch, side by side.

    PYTHONPATH=. python benchmarks/time_to_target.py --threads 2 --epochs 10

Both libraries start from the same initial weights (pybigml's, copied into an identical
``torch.nn`` model), see the same batches in the same order (one numpy permutation per
epoch, shared) and run the same loop: SGD (lr 0.01, momentum 0.9), batch 64, cross-entropy,
test accuracy after every epoch. Prints each epoch's accuracy and time, the wall time to the
recipe's target (98 % on MNIST) and the ratio pybigml / PyTorch.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import numpy as np
import torch

import pybigml
from pybigml.models import RECIPES
from pybigml.models.recipe import Config
from pybigml.train import fit

from .common import set_threads


class Batches:
    """``(images, labels)`` batches in a fresh numpy permutation each epoch."""

    def __init__(self, images, labels, batch_size: int, seed: int, take) -> None:
        self.images, self.labels, self.batch_size, self.take = images, labels, batch_size, take
        self.n, self.rng = len(labels), np.random.default_rng(seed)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def __iter__(self) -> Iterator:
        order = self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.take(self.images, index), self.take(self.labels, index)


def run_pybigml(setup, epochs: int, seed: int) -> list[dict]:
    train = setup.train_dataset.tensors
    test_x, test_y = setup.eval_dataset.tensors

    def take(t, index):
        return t[pybigml.from_numpy(index)]

    def evaluate(model) -> dict:
        model.eval()
        with pybigml.no_grad():
            correct = sum(
                int((model(test_x[i : i + 1000]).argmax(1) == test_y[i : i + 1000]).sum())
                for i in range(0, len(test_y), 1000)
            )
        return {"accuracy": correct / len(test_y)}

    loader = Batches(*train, 64, seed, take)
    opt = setup.optimizers["main"]
    return fit(setup.model, loader, opt, setup.loss_fn, evaluate, epochs, progress=False)


def run_torch(setup, epochs: int, seed: int) -> list[dict]:
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    with torch.no_grad():
        for ours, theirs in zip(setup.model.parameters(), model.parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy().copy()))
    train_x, train_y = (torch.from_numpy(t.numpy().copy()) for t in setup.train_dataset.tensors)
    test_x, test_y = (torch.from_numpy(t.numpy().copy()) for t in setup.eval_dataset.tensors)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = Batches(train_x, train_y, 64, seed, lambda t, index: t[torch.from_numpy(index)])
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum(
                int((model(test_x[i : i + 1000]).argmax(1) == test_y[i : i + 1000]).sum())
                for i in range(0, len(test_y), 1000)
            )
        history.append(
            {
                "epoch": epoch,
                "accuracy": correct / len(test_y),
                "time_s": time.perf_counter() - start,
            }
        )
    return history


def time_to(history: list[dict], threshold: float) -> tuple[int | None, float]:
    """The first epoch reaching ``threshold`` and the wall time up to it (all epochs if none)."""
    elapsed = 0.0
    for record in history:
        elapsed += record["time_s"]
        if record["accuracy"] >= threshold:
            return record["epoch"], elapsed
    return None, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    set_threads(args.threads)
    recipe = RECIPES["mlp"]
    target = recipe.TARGETS["mnist"]
    results = {}
    for name, run in (("pybigml", run_pybigml), ("torch", run_torch)):
        pybigml.manual_seed(args.seed)
        setup = recipe.build(Config(epochs=args.epochs, lr=0.01, batch_size=64, seed=args.seed))
        history = run(setup, args.epochs, args.seed)
        results[name] = history
        epoch, seconds = time_to(history, target.threshold)
        accuracies = " ".join(f"{100 * r['accuracy']:.2f}" for r in history)
        total = sum(r["time_s"] for r in history)
        print(f"{name:8s} accuracy per epoch: {accuracies}")
        print(f"{name:8s} target {target.text} at epoch {epoch} after {seconds:.1f} s; "
              f"{args.epochs} epochs {total:.1f} s")  # fmt: skip
    ours, theirs = (sum(r["time_s"] for r in results[n]) for n in ("pybigml", "torch"))
    print(f"time ratio pybigml / torch over {args.epochs} epochs: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
