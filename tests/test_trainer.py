"""The Hugging Face style Trainer: names, schedule and metrics on a tiny problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml import nn
from pybigml.train import Trainer, TrainingArguments
from pybigml.utils.data import Dataset, TensorDataset


def blobs(n: int, seed: int) -> TensorDataset:
    """Two Gaussian blobs at -2 and +2 in 4-d: a linear model separates them ~100 %."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    points = rng.normal(size=(n, 4)) + (4.0 * labels - 2.0)[:, None]
    return TensorDataset(pybigml.tensor(points, dtype=pybigml.float32), pybigml.tensor(labels))


class DictDataset(Dataset):
    """``{"x": ..., "labels": ...}`` items, as a Hugging Face dataset yields."""

    def __init__(self, pairs: TensorDataset) -> None:
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> dict:
        x, y = self.pairs[i]
        return {"x": x, "labels": y}


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def accuracy(p) -> dict:
    assert isinstance(p.predictions, np.ndarray) and isinstance(p.label_ids, np.ndarray)
    return {"accuracy": (p.predictions.argmax(-1) == p.label_ids).mean()}


@pytest.mark.parametrize("wrap", [lambda d: d, DictDataset], ids=["pairs", "dicts"])
def test_trainer_trains_and_evaluates(tmp_path: Path, wrap) -> None:
    pybigml.manual_seed(0)
    args = TrainingArguments(
        str(tmp_path), num_train_epochs=2, per_device_train_batch_size=16,
        learning_rate=0.05, warmup_steps=4, logging_steps=4, disable_tqdm=True,
    )  # fmt: skip
    trainer = Trainer(Net(), args, wrap(blobs(256, 0)), wrap(blobs(128, 1)), accuracy)
    before = trainer.evaluate()
    output = trainer.train()
    after = trainer.evaluate()
    assert output.global_step == 2 * 256 // 16
    assert set(after) == {"eval_loss", "eval_accuracy", "epoch"} and after["epoch"] == 2
    assert after["eval_loss"] < 0.5 * before["eval_loss"]
    assert after["eval_accuracy"] > 0.95
    # linear warmup to 0.05 at step 4, then linear decay to 0 at step 32
    logged = {r["step"]: r["learning_rate"] for r in trainer.log_history if "step" in r}
    assert logged[4] == pytest.approx(0.05) and logged[32] == pytest.approx(0.0)
    assert logged[16] == pytest.approx(0.05 * (32 - 16) / (32 - 4))
