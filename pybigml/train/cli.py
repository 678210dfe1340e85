"""The command line: ``pybigml-train MODEL`` (or ``python -m pybigml.train MODEL``).

    pybigml-train --list                    # each recipe, its data and target
    pybigml-train mlp --epochs 10 --threads 2
    pybigml-train mlp --resume runs/mlp-20261208-021500 --epochs 12

Each recipe is a subcommand with the shared options (``--epochs --lr --batch-size --seed
--threads --data-root --out --limit --resume --no-progress``, ``--dataset`` where it has
several) and its own; the defaults are the recipe's ``DEFAULTS``. Exit codes: 0 done, 2 bad
input (e.g. a corrupted checkpoint), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..backend import set_num_threads
from ..models import RECIPES
from ..models.recipe import Config
from .runner import LAST, config_from_json, load_checkpoint, run_recipe

_SHARED = {"epochs", "lr", "batch_size", "seed", "threads", "data_root", "out", "limit"}
_SHARED |= {"resume", "no_progress", "dataset", "model"}


def recipe_list() -> str:
    """One line per recipe: name, description, datasets and targets."""
    lines = []
    for name, recipe in RECIPES.items():
        targets = "; ".join(f"{d}: {recipe.TARGETS[d].text}" for d in recipe.DATASETS)
        lines.append(f"{name:12s} {recipe.DESCRIPTION}\n{'':12s} data {targets}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pybigml-train", description="Train one of pybigml's recipes (--list: which)."
    )
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    models = parser.add_subparsers(dest="model", metavar="MODEL")
    for name, recipe in RECIPES.items():
        sub = models.add_parser(name, help=recipe.DESCRIPTION, description=recipe.DESCRIPTION)
        defaults = recipe.DEFAULTS
        sub.add_argument("--epochs", type=int, help=f"total epochs ({defaults['epochs']})")
        sub.add_argument("--lr", type=float, help=f"learning rate ({defaults['lr']})")
        sub.add_argument("--batch-size", type=int, help=f"batch size ({defaults['batch_size']})")
        sub.add_argument("--seed", type=int, default=0, help="seed of weights and order (0)")
        sub.add_argument("--threads", type=int, help="kernel threads (default: all cores)")
        sub.add_argument("--data-root", type=Path, help="folder holding mnist/ ... (default: "
                         "$PYBIGML_DATA, else ../shared/data)")  # fmt: skip
        sub.add_argument("--out", type=Path, help="run folder (runs/<model>-<time>)")
        sub.add_argument("--limit", type=int, help="use only the first N samples of each split")
        sub.add_argument("--resume", type=Path, metavar="DIR", help="continue the run in DIR")
        sub.add_argument("--no-progress", action="store_true", help="hide the progress bars")
        if len(recipe.DATASETS) > 1:
            sub.add_argument("--dataset", choices=recipe.DATASETS, default=recipe.DATASETS[0])
        if hasattr(recipe, "add_arguments"):
            recipe.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list or args.model is None:
        print(recipe_list())
        return 0 if args.list else 2
    recipe = RECIPES[args.model]
    resume = None
    if args.resume is not None:
        try:
            resume = load_checkpoint(args.resume / LAST)
        except (RuntimeError, OSError) as exc:
            print(f"error: cannot resume from {args.resume}: {exc}", file=sys.stderr)
            return 2
        config = config_from_json(resume["config"])
        if args.epochs is not None:
            config.epochs = args.epochs
        out_dir = args.resume
    else:
        defaults = recipe.DEFAULTS
        config = Config(
            epochs=defaults["epochs"] if args.epochs is None else args.epochs,
            lr=defaults["lr"] if args.lr is None else args.lr,
            batch_size=defaults["batch_size"] if args.batch_size is None else args.batch_size,
            seed=args.seed,
            dataset=getattr(args, "dataset", None),
            data_root=args.data_root,
            limit=args.limit,
            options={k: v for k, v in vars(args).items() if k not in _SHARED | {"list"}},
        )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out_dir = args.out if args.out is not None else Path("runs") / f"{recipe.NAME}-{stamp}"
    if args.threads is not None:
        set_num_threads(args.threads)
    try:
        result = run_recipe(recipe, config, out_dir, resume, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: {out_dir / LAST} holds the last completed epoch; continue with "
            f"pybigml-train {recipe.NAME} --resume {out_dir}",
            file=sys.stderr,
        )
        return 130
    final = result["epochs"][-1] if result["epochs"] else {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in final.items() if k not in ("epoch",))
    print(
        f"{recipe.NAME}: {len(result['epochs'])} epochs in {result['wall_time_s']:.1f} s; "
        f"{shown}; target {result['target']}: {'reached' if result['reached'] else 'not reached'}"
        f"\nrun folder {out_dir}: metrics.json, curves.png, last.safetensors, best.safetensors"
    )
    return 0
