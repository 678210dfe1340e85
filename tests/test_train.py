"""The training front door: fit, the recipes, and the command line end to end."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml import nn, optim
from pybigml.models import MLP, RECIPES
from pybigml.models.images import classification_metrics as accuracy
from pybigml.models.images import image_split
from pybigml.models.recipe import Config
from pybigml.train import fit, load_checkpoint, main
from pybigml.utils.data import DataLoader, Subset, TensorDataset


def test_mlp_learns_mnist_subset(shared_data_dir: Path) -> None:
    """fit, 3 epochs of SGD on 6,400 training images (300 steps). A linear model alone
    reaches ~85% on MNIST after this little training, and the MLP ~92%; 88% on 2,000 test
    images (standard error ~0.7%) shows that the whole stack learns, with margin for seeds
    and rounding."""
    pybigml.manual_seed(0)
    setup = RECIPES["mlp"].build(
        Config(epochs=3, lr=0.01, batch_size=64, data_root=shared_data_dir, limit=6400)
    )
    test = Subset(setup.eval_dataset, list(range(2000)))
    loader = DataLoader(
        setup.train_dataset,
        batch_size=64,
        shuffle=True,
        generator=pybigml.Generator().manual_seed(0),
    )
    history = fit(
        setup.model,
        loader,
        setup.optimizers["main"],
        setup.loss_fn,
        lambda model: accuracy(setup, DataLoader(test, batch_size=500)),
        epochs=3,
        progress=False,
    )
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["accuracy"] > 0.88, history


def test_fit_train_loss_is_the_mean_batch_loss() -> None:
    pybigml.manual_seed(0)
    x, y = pybigml.randn(32, 1, 28, 28), pybigml.randint(0, 10, (32,))
    model = MLP()
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    opt = optim.SGD(model.parameters(), lr=0.0)  # no update: every batch loss is the initial one
    (record,) = fit(model, loader, opt, nn.CrossEntropyLoss(), progress=False)
    expected = np.mean([nn.CrossEntropyLoss()(model(xb), yb).item() for xb, yb in loader])
    assert record["train_loss"] == pytest.approx(expected, rel=1e-6)
    assert record["samples_per_s"] > 0


def write_fake_mnist(root: Path, n_train: int, n_test: int) -> None:
    """Tiny MNIST-format files under ``root/mnist`` whose label is plain to see: image ``k``
    lights rows ``2k`` and ``2k + 1``, over faint noise."""
    rng = np.random.default_rng(0)
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 30, (n, 28, 28)).astype(np.uint8)
        for row in (0, 1):
            images[np.arange(n), 2 * labels + row, :] = 255
        for name, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
            (folder / f"{split}-{name}-ubyte.gz").write_bytes(
                gzip.compress(header + array.tobytes())
            )


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_fake_mnist(root, n_train=256, n_test=64)
    return root


def _train(root: Path, out: Path, *extra: str) -> int:
    return main(["mlp", "--data-root", str(root), "--out", str(out), "--no-progress", *extra])


def test_list_names_every_recipe(capsys: pytest.CaptureFixture) -> None:
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("mlp", "mlp-adam"):
        assert any(line.startswith(name + " ") for line in out.splitlines())
    assert "≥ 98.0 % test accuracy" in out and "≥ 97.5 % test accuracy" in out


def test_cli_writes_the_run_folder(fake_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(fake_root, out, "--epochs", "2", "--limit", "200") == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2]
    assert metrics["epochs"][-1]["accuracy"] > 0.9  # the lit rows give the label away
    assert metrics["config"]["limit"] == 200 and metrics["config"]["options"] == {"momentum": 0.9}
    assert metrics["pybigml_version"] == pybigml.__version__ and metrics["build"]
    assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    # the final checkpoint reloads into a model that gives the same test accuracy
    checkpoint = load_checkpoint(out / "last.safetensors")
    assert checkpoint["epoch"] == 2 and checkpoint["history"] == metrics["epochs"]
    setup = RECIPES["mlp"].build(Config(epochs=1, lr=0.01, batch_size=64, data_root=fake_root))
    setup.model.load_state_dict(checkpoint["model"])
    reloaded = accuracy(setup, DataLoader(image_split("mnist", False, fake_root, 200), 1000))
    assert reloaded["accuracy"] == metrics["epochs"][-1]["accuracy"]


def test_resume_equals_an_uninterrupted_run(fake_root: Path, tmp_path: Path) -> None:
    """Two epochs straight, and one epoch then --resume to two: the same weights, bit for
    bit, and the same metrics (momentum buffers, shuffle order and RNG all carried over)."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert _train(fake_root, straight, "--epochs", "2") == 0
    assert _train(fake_root, split, "--epochs", "1") == 0
    assert main(["mlp", "--resume", str(split), "--epochs", "2", "--no-progress"]) == 0
    a, b = (load_checkpoint(d / "last.safetensors") for d in (straight, split))
    for key, value in a["model"].items():
        assert np.array_equal(value.numpy(), b["model"][key].numpy()), key
    drop_times = [
        [{k: v for k, v in r.items() if k not in ("time_s", "samples_per_s")} for r in c["history"]]
        for c in (a, b)
    ]
    assert drop_times[0] == drop_times[1]


def test_corrupted_checkpoint_is_refused(
    fake_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    assert _train(fake_root, out, "--epochs", "1") == 0
    last = out / "last.safetensors"
    data = bytearray(last.read_bytes())
    data[-5] ^= 0x40  # one flipped bit in the tensor data fails its CRC-32
    for corrupted in (bytes(data), bytes(data[: len(data) // 2])):  # bit flip, truncation
        last.write_bytes(corrupted)
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        assert main(["mlp", "--resume", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert str(last) in err and "cannot resume" in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_ctrl_c_exits_130_and_says_how_to_resume(
    fake_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pybigml.nn.CrossEntropyLoss, "forward", interrupt)
    assert _train(fake_root, out, "--epochs", "1") == 130
    assert f"--resume {out}" in capsys.readouterr().err
    assert load_checkpoint(out / "last.safetensors")["epoch"] == 0


def test_mlp_adam_recipe_learns(fake_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["mlp-adam", "--data-root", str(fake_root), "--out", str(out), "--epochs", "2",
                 "--no-progress"]) == 0  # fmt: skip
    history = json.loads((out / "metrics.json").read_text())["epochs"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["accuracy"] > 0.8


def _custom_recipe(calls: list[int]):
    """A recipe with its own step, an lr scheduler and an on_epoch_end hook (as a GAN has)."""
    from types import SimpleNamespace

    from pybigml.models.recipe import Setup, Target
    from pybigml.optim.lr_scheduler import StepLR

    def step(setup: Setup, batch) -> dict:
        x, y = batch
        opt = setup.optimizers["main"]
        opt.zero_grad()
        loss = nn.functional.mse_loss(setup.model(x).squeeze(1), y)
        loss.backward()
        opt.step()
        return {"loss": loss.item(), "lr": opt.param_groups[0]["lr"]}

    def build(config: Config) -> Setup:
        x = pybigml.randn(64, 3)
        data = TensorDataset(x, x @ pybigml.tensor([1.0, -2.0, 0.5]))
        model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.2), nn.Linear(8, 1))
        opt = optim.Adam(model.parameters(), lr=config.lr)
        return Setup(
            model=model,
            optimizers={"main": opt},
            train_dataset=data,
            eval_dataset=data,
            evaluate=lambda setup, loader: {"mse": 0.0},
            step=step,
            schedulers={"main": StepLR(opt, step_size=1, gamma=0.5)},
            on_epoch_end=lambda setup, epoch, out: calls.append(epoch),
        )

    return SimpleNamespace(
        NAME="custom", DATASETS=("toy",), TARGETS={"toy": Target("mse", 0.0, "", True)},
        build=build,
    )  # fmt: skip


def test_custom_step_scheduler_and_hook_resume_exactly(tmp_path: Path) -> None:
    """The recipe's step and on_epoch_end are called; the scheduler is stepped per epoch and
    checkpointed, and dropout's RNG carried over, so resuming reproduces the straight run."""
    from pybigml.train import run_recipe

    calls: list[int] = []
    recipe = _custom_recipe(calls)
    config = Config(epochs=3, lr=0.01, batch_size=16, seed=1)
    straight = run_recipe(recipe, config, tmp_path / "a", progress=False)
    assert calls == [1, 2, 3]
    assert [r["train_lr"] for r in straight["epochs"]] == [0.01, 0.005, 0.0025]
    run_recipe(recipe, Config(epochs=1, lr=0.01, batch_size=16, seed=1), tmp_path / "b",
               progress=False)  # fmt: skip
    resumed = run_recipe(
        recipe, config, tmp_path / "b", load_checkpoint(tmp_path / "b" / "last.safetensors"),
        progress=False,
    )  # fmt: skip
    assert calls == [1, 2, 3, 1, 2, 3]
    keep = ("epoch", "train_loss", "train_lr")
    assert [{k: r[k] for k in keep} for r in resumed["epochs"]] == [
        {k: r[k] for k in keep} for r in straight["epochs"]
    ]
