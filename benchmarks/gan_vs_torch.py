"""The gan recipe trained twice from the same start: by pybigml, and by PyTorch.

Both runs begin from the same initial weights (pybigml's ``gan.build`` draws them; PyTorch
loads a copy), see the same batches in the same order (one seeded pybigml ``DataLoader``)
and the same latent noise (drawn by pybigml's default generator, reseeded before each run,
one ``randn(batch, 100)`` per step as ``gan.gan_step`` draws it). PyTorch's step is the same
D-then-G non-saturating update with the same Adam settings. After each epoch the same
scorer (a keras-cnn state_dict, ``--scorer``) judges 1000 samples of each generator from one
fixed noise batch: ``mean_max_prob`` and ``class_entropy`` (see ``pybigml.models.gan``).
The two runs then differ only by floating-point rounding, which a GAN amplifies, so the
comparison is of quality reached and of wall time, not of bit-identical weights::

    python -m benchmarks.gan_vs_torch --scorer scorer.pt --epochs 10 --threads 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

import pybigml
from pybigml.models import gan
from pybigml.models.recipe import Config
from pybigml.utils.data import DataLoader


def torch_gan(state: dict[str, Any]) -> torch.nn.Module:
    """The same layers as ``gan.GAN`` (same state_dict keys), holding ``state``."""

    def mlp(sizes: tuple[int, ...], last: torch.nn.Module) -> torch.nn.Sequential:
        layers: list[torch.nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.LeakyReLU(0.2)]
        layers[-1] = last
        return torch.nn.Sequential(*layers)

    model = torch.nn.Module()
    model.generator = torch.nn.Module()
    model.generator.net = mlp((gan.LATENT, 128, 256, 784), torch.nn.Tanh())
    model.discriminator = torch.nn.Module()
    model.discriminator.net = mlp((784, 256, 128, 1), torch.nn.Sigmoid())
    model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in state.items()})
    return model


def run(library: str, args: argparse.Namespace, scorer: pybigml.nn.Module) -> list[dict]:
    """Train with ``library`` ("pybigml" or "torch"); the per-epoch scores and times."""
    pybigml.manual_seed(args.seed)
    config = Config(epochs=args.epochs, lr=2e-4, batch_size=64, seed=args.seed, limit=args.limit)
    setup = gan.build(config)
    loader = DataLoader(
        setup.train_dataset,
        batch_size=config.batch_size,
        shuffle=True,
        generator=pybigml.Generator().manual_seed(args.seed),
    )
    score_noise = pybigml.randn(
        gan.SAMPLES_SCORED, gan.LATENT, generator=pybigml.Generator().manual_seed(args.seed + 1)
    )
    if library == "torch":
        model = torch_gan(setup.model.state_dict())
        adam = {"betas": (0.5, 0.999), "lr": config.lr}
        g_opt = torch.optim.Adam(model.generator.parameters(), **adam)
        d_opt = torch.optim.Adam(model.discriminator.parameters(), **adam)
        bce = torch.nn.BCELoss()

        def step(batch: Any) -> None:
            real = torch.from_numpy(batch[0].numpy())
            z = torch.from_numpy(pybigml.randn(real.shape[0], gan.LATENT).numpy())
            ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
            fake = model.generator.net(z)
            d_opt.zero_grad()
            d_real, d_fake = model.discriminator.net(real), model.discriminator.net(fake.detach())
            (bce(d_real, ones) + bce(d_fake, zeros)).backward()
            d_opt.step()
            g_opt.zero_grad()
            bce(model.discriminator.net(fake), ones).backward()
            g_opt.step()

        def samples() -> pybigml.Tensor:
            with torch.no_grad():
                images = model.generator.net(torch.from_numpy(score_noise.numpy()))
            return pybigml.from_numpy(images.numpy())
    else:

        def step(batch: Any) -> None:
            gan.gan_step(setup, batch)

        def samples() -> pybigml.Tensor:
            return setup.model.generator(score_noise)

    history, train_s = [], 0.0  # training time only: scoring is left out
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for batch in loader:
            step(batch)
        train_s += time.perf_counter() - start
        with pybigml.no_grad():
            scores = gan.score(scorer, samples())
        history.append({"epoch": epoch, "train_s": round(train_s, 1), **scores})
        print(library, json.dumps(history[-1]), flush=True)
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scorer", type=Path, required=True, help="a keras-cnn checkpoint or state_dict"
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first LIMIT train images")
    parser.add_argument("--out", type=Path, default=None, help="write the histories as JSON")
    args = parser.parse_args()
    pybigml.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    scorer = gan.load_scorer(args.scorer)
    results = {library: run(library, args, scorer) for library in ("pybigml", "torch")}
    for library, history in results.items():
        last = history[-1]
        print(
            f"{library:8s} epochs {last['epoch']}  train {last['train_s']:.1f} s  "
            f"mean_max_prob {last['mean_max_prob']:.4f}  class_entropy {last['class_entropy']:.4f}"
        )
    ratio = results["pybigml"][-1]["train_s"] / results["torch"][-1]["train_s"]
    print(f"time ratio pybigml / torch: {ratio:.2f}")
    if args.out is not None:
        report = {"args": vars(args), "results": results, "time_ratio": ratio}
        args.out.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
