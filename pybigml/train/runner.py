"""Run a recipe (``models/recipe.py``) on ``fit``: the run folder, checkpoints and resuming.

A run folder holds:

* ``metrics.json``: one record per epoch (``train_loss`` and the recipe's metrics under plain
  names, ``time_s``, ``samples_per_s``), the wall time, the config, the target and whether it
  was reached, ``pybigml.__version__`` and the native build (ISA, compiler, OpenMP);
* ``curves.png``: the loss and metric curves (when matplotlib is installed);
* ``last.safetensors`` (after every epoch) and ``best.safetensors`` (the best target metric):
  the model's and every optimizer's and scheduler's ``state_dict``, the global RNG and the
  shuffle generator's states, the epoch and the history.

Resuming loads ``last.safetensors``, so it continues exactly where the last completed epoch
left off: the same seed gives bitwise the same weights and metrics as an uninterrupted run.
An interrupted epoch (Ctrl-C) is not saved half-done; it is run again from its start.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

from .._version import __version__
from ..backend.cpu import build_info
from ..models.recipe import Config, Setup
from ..random import Generator, get_rng_state, manual_seed, set_rng_state
from ..serialization import load, save
from ..utils.data import DataLoader
from .loop import Record, fit

LAST, BEST, METRICS, CURVES = "last.safetensors", "best.safetensors", "metrics.json", "curves.png"


def config_to_json(config: Config) -> dict[str, Any]:
    """The config as JSON-able values (paths as strings)."""
    values = asdict(config)
    values["data_root"] = None if config.data_root is None else str(config.data_root)
    values["options"] = {
        name: str(value) if isinstance(value, Path) else value
        for name, value in config.options.items()
    }
    return values


def config_from_json(values: dict[str, Any]) -> Config:
    values = dict(values)
    values["data_root"] = None if values["data_root"] is None else Path(values["data_root"])
    return Config(**values)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A run's checkpoint, checked to hold what resuming needs.

    Raises:
        RuntimeError: the file is corrupted or not a pybigml training checkpoint (the
            message names the file).
    """
    if not path.is_file():
        raise RuntimeError(f"{path}: no checkpoint there (a run folder holds {LAST})")
    checkpoint = load(path)
    needed = {
        "config",
        "model",
        "optimizers",
        "schedulers",
        "rng",
        "loader_rng",
        "epoch",
        "history",
    }
    if not isinstance(checkpoint, dict) or not needed <= set(checkpoint):
        raise RuntimeError(f"{path} is not a pybigml training checkpoint (keys {needed} expected)")
    return checkpoint


def _write_json(path: Path, values: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(values, indent=2) + "\n")
    tmp.replace(path)


def plot_curves(history: list[Record], path: Path, title: str) -> bool:
    """A PNG with the training loss (left) and the eval metrics (right) per epoch; ``False``
    (and one line saying so) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no curves.png (pip install 'pybigml[plot]')")
        return False
    skip = {"epoch", "time_s", "samples_per_s"}
    epochs = [record["epoch"] for record in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key in history[0]:
        if key in skip:
            continue
        axis = left if key.startswith("train_") else right
        axis.plot(epochs, [record[key] for record in history], marker="o", label=key)
    for axis, name in ((left, "training loss"), (right, "evaluation")):
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
        if axis.lines:
            axis.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _state(
    setup: Setup, config: Config, loader_rng: Generator, epoch: int, history: list[Record]
) -> dict:
    return {
        "config": config_to_json(config),
        "model": setup.model.state_dict(),
        "optimizers": {name: opt.state_dict() for name, opt in setup.optimizers.items()},
        "schedulers": {name: sch.state_dict() for name, sch in setup.schedulers.items()},
        "rng": get_rng_state(),
        "loader_rng": loader_rng.get_state(),
        "epoch": epoch,
        "history": history,
    }


def run_recipe(
    recipe: ModuleType,
    config: Config,
    out_dir: Path,
    resume: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``recipe`` with ``config``, writing the run folder ``out_dir``; returns the
    contents of ``metrics.json``.

    Args:
        resume: a checkpoint from :func:`load_checkpoint`; training continues after its
            epoch up to ``config.epochs``.

    Raises:
        KeyboardInterrupt: after saving nothing new: ``last.safetensors`` holds the last
            completed epoch, which ``--resume`` continues from.
    """
    dataset = config.dataset or recipe.DATASETS[0]
    target = recipe.TARGETS.get(dataset)
    manual_seed(config.seed)
    setup = recipe.build(config)
    loader_rng = Generator().manual_seed(config.seed)
    loader = DataLoader(
        setup.train_dataset, batch_size=config.batch_size, shuffle=True, generator=loader_rng
    )
    eval_loader = DataLoader(setup.eval_dataset, batch_size=setup.eval_batch_size)
    history: list[Record] = []
    if resume is not None:
        setup.model.load_state_dict(resume["model"])
        for name, opt in setup.optimizers.items():
            opt.load_state_dict(resume["optimizers"][name])
        for name, sch in setup.schedulers.items():
            sch.load_state_dict(resume["schedulers"][name])
        set_rng_state(resume["rng"])
        loader_rng.set_state(resume["loader_rng"])
        history = list(resume["history"])
    out_dir.mkdir(parents=True, exist_ok=True)
    start_epoch = len(history)
    if resume is None:
        save(_state(setup, config, loader_rng, 0, history), out_dir / LAST)

    def better(record: Record) -> bool:
        if target is None or not history[:-1]:
            return True
        best = [r[target.metric] for r in history[:-1]]
        value = record[target.metric]
        return value < min(best) if target.lower_is_better else value > max(best)

    started = time.perf_counter()
    previous_wall = resume["wall_time_s"] if resume is not None and "wall_time_s" in resume else 0.0

    def summary() -> dict[str, Any]:
        total_samples = sum(r["samples_per_s"] * r["time_s"] for r in history)
        wall = previous_wall + time.perf_counter() - started
        return {
            "model": recipe.NAME,
            "dataset": dataset,
            "target": None if target is None else target.text,
            "reached": bool(history and target is not None and target.reached(history[-1])),
            "epochs": history,
            "wall_time_s": wall,
            "samples_per_s": total_samples / max(sum(r["time_s"] for r in history), 1e-9),
            "config": config_to_json(config),
            "pybigml_version": __version__,
            "build": build_info(),
        }

    def end_of_epoch(epoch: int, record: Record) -> None:
        history.append(record)
        state = _state(setup, config, loader_rng, epoch, history)
        state["wall_time_s"] = previous_wall + time.perf_counter() - started
        save(state, out_dir / LAST)
        if better(record):
            save(state, out_dir / BEST)
        metrics = ", ".join(
            f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "samples_per_s")
        )
        print(f"epoch {epoch}/{config.epochs}: {metrics}", flush=True)
        _write_json(out_dir / METRICS, summary())
        if setup.on_epoch_end is not None:
            setup.on_epoch_end(setup, epoch, out_dir)

    step = None if setup.step is None else (lambda batch: setup.step(setup, batch))
    fit(
        setup.model,
        loader,
        setup.optimizers.get("main"),
        setup.loss_fn,
        lambda model: setup.evaluate(setup, eval_loader),
        config.epochs,
        step=step,
        schedulers=list(setup.schedulers.values()),
        start_epoch=start_epoch,
        on_epoch_end=end_of_epoch,
        progress=progress,
    )
    result = summary()
    _write_json(out_dir / METRICS, result)
    if history:
        plot_curves(history, out_dir / CURVES, f"{recipe.NAME} on {dataset}")
    return result
