"""Recurrent layers, cells and ``nn.utils.rnn`` against PyTorch's.

Every layer runs in both libraries with PyTorch's weights copied across (``load_state_dict``):
outputs, final states, and the gradients of the input, the initial states and every
parameter for random upstream gradients on all outputs, at the tolerances of ``test_nn``:
1e-10 relative in float64 (the same formulas, rounding only), rtol 1e-5 / atol 1e-6 in
float32 (PyTorch runs its float32 LSTM through oneDNN, which rounds differently; over the
few steps here the differences stay at a few float32 roundings). Float64 gradchecks and
gradgradchecks check the derivatives themselves, and a 50-step training run must follow
PyTorch's loss curve.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_nn import TOL, to_ours

import pybigml
import pybigml.datasets
import pybigml.nn as nn
from pybigml.nn.utils import rnn as utils
from pybigml.ops import recurrence
from pybigml.testing import gradcheck, gradgradcheck

# PyTorch's own notice that its oneDNN path does not do projections
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")

DTYPES = ["float32", "float64"]
LAYERS = {  # name -> (class name, constructor options)
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "gru": ("GRU", {}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
}
SHAPES = {  # name -> extra constructor options
    "plain": {},
    "stacked_bidirectional_batch_first": {
        "num_layers": 2,
        "bidirectional": True,
        "batch_first": True,
    },
    "no_bias_stacked": {"num_layers": 3, "bias": False},
}


def both(name: str, *args: Any, dtype: str, **kwargs: Any) -> tuple[nn.Module, torch.nn.Module]:
    """Module ``name`` of both libraries, PyTorch's weights copied into ours."""
    ref = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **kwargs)
    ours = getattr(nn, name)(*args, dtype=getattr(pybigml, dtype), **kwargs)
    ours.load_state_dict({k: to_ours(v) for k, v in ref.state_dict().items()})
    return ours, ref


def assert_close(ours: pybigml.Tensor, ref: torch.Tensor, tol: dict) -> None:
    pybigml.testing.assert_close(ours.detach(), to_ours(ref), **tol)


def flat(value: Any) -> list:
    """The tensors of a nested output (tuples, PackedSequence data) in order."""
    if isinstance(value, (utils.PackedSequence, torch.nn.utils.rnn.PackedSequence)):
        return [value.data]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flat(v)]
    return [value]


def compare(
    ours: nn.Module,
    ref: torch.nn.Module,
    arrays: list[np.ndarray],
    call: Callable[[Any, Any, list], Any],
    dtype: str,
) -> None:
    """Run ``call(module, lib, tensors)`` in both libraries on tensors made from ``arrays``
    (all requiring grad); compare every output, then the gradients of the inputs and of
    every parameter for one random upstream gradient per output."""
    ours_in = [pybigml.tensor(a, requires_grad=True) for a in arrays]
    ref_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_out, ref_out = flat(call(ours, pybigml, ours_in)), flat(call(ref, torch, ref_in))
    assert len(ours_out) == len(ref_out)
    rng = np.random.default_rng(7)
    loss_ours, loss_ref = 0, 0
    for o, r in zip(ours_out, ref_out):
        assert tuple(o.shape) == tuple(r.shape)
        assert_close(o, r, TOL[dtype])
        upstream = rng.standard_normal(tuple(r.shape)).astype(dtype)
        loss_ours = loss_ours + (o * pybigml.tensor(upstream)).sum()
        loss_ref = loss_ref + (r * torch.tensor(upstream)).sum()
    loss_ours.backward()
    loss_ref.backward()
    for o, r in zip(ours_in, ref_in):
        assert_close(o.grad, r.grad, TOL[dtype])
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        assert_close(param.grad, ref_params[name].grad, TOL[dtype])


def initial_state(kind: str, layers: int, batch: int, hidden: int, proj: int, rng) -> list:
    """Random ``h0`` (and ``c0`` for an LSTM) arrays."""
    states = [rng.standard_normal((layers, batch, proj or hidden))]
    if kind == "LSTM":
        states.append(rng.standard_normal((layers, batch, hidden)))
    return states


def with_state(kind: str, lib: Any, x: Any, states: list) -> Any:
    return (x, tuple(states)) if kind == "LSTM" else (x, states[0])


# --------------------------------------------------------------------------- layers
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", LAYERS)
def test_layer_matches_torch(layer: str, shape: str, dtype: str) -> None:
    kind, options = LAYERS[layer]
    options = {**options, **SHAPES[shape]}
    ours, ref = both(kind, 4, 5, dtype=dtype, **options)
    rng = np.random.default_rng(0)
    steps, batch = 6, 3
    x_shape = (batch, steps, 4) if options.get("batch_first") else (steps, batch, 4)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    states = initial_state(kind, layers, batch, 5, options.get("proj_size", 0), rng)
    arrays = [a.astype(dtype) for a in [rng.standard_normal(x_shape), *states]]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        x, *hx = tensors
        return module(x, hx[0] if kind != "LSTM" else tuple(hx))

    compare(ours, ref, arrays, call, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS)
def test_packed_unsorted_sequences_match_torch(layer: str, dtype: str) -> None:
    """enforce_sorted=False: the batch is sorted, run, and the outputs and states put back in
    the caller's order; sequences end at different steps in both directions."""
    kind, options = LAYERS[layer]
    ours, ref = both(kind, 3, 5, dtype=dtype, num_layers=2, bidirectional=True, **options)
    rng = np.random.default_rng(1)
    lengths = [3, 6, 1, 4]
    states = initial_state(kind, 4, 4, 5, options.get("proj_size", 0), rng)
    arrays = [a.astype(dtype) for a in [rng.standard_normal((6, 4, 3)), *states]]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        rnn_utils = utils if lib is pybigml else torch.nn.utils.rnn
        x, *hx = tensors
        packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, state = module(packed, hx[0] if kind != "LSTM" else tuple(hx))
        assert isinstance(out, rnn_utils.PackedSequence)
        padded, out_lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
        assert out_lengths.tolist() == lengths
        return padded, state

    compare(ours, ref, arrays, call, dtype)


@pytest.mark.parametrize("layer", LAYERS)
def test_unbatched_input_and_default_state(layer: str) -> None:
    kind, options = LAYERS[layer]
    ours, ref = both(kind, 4, 5, dtype="float64", num_layers=2, **options)
    rng = np.random.default_rng(2)
    states = [s[:, 0] for s in initial_state(kind, 2, 1, 5, options.get("proj_size", 0), rng)]
    arrays = [rng.standard_normal((7, 4)), *states]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        x, *hx = tensors
        return module(x, hx[0] if kind != "LSTM" else tuple(hx)), module(x)

    compare(ours, ref, arrays, call, "float64")


def test_dropout_between_layers_only_in_training() -> None:
    ours, ref = both("LSTM", 4, 6, dtype="float64", num_layers=2, dropout=0.5)
    x = np.random.default_rng(3).standard_normal((5, 2, 4))
    ours.eval()
    ref.eval()
    assert_close(ours(pybigml.tensor(x))[0], ref(torch.tensor(x))[0], TOL["float64"])
    ours.train()
    out = ours(pybigml.tensor(x))[0]
    assert not np.allclose(out.detach().numpy(), ref(torch.tensor(x))[0].detach().numpy())
    out.sum().backward()
    assert all(np.isfinite(p.grad.numpy()).all() for p in ours.parameters())


def test_parameters_names_order_shapes_and_init_match_torch() -> None:
    for kind, options in [
        ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
        ("GRU", {"num_layers": 2, "bias": False}),
        ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ]:
        ours = getattr(nn, kind)(3, 4, **options)
        ref = getattr(torch.nn, kind)(3, 4, **options)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in ref.named_parameters()
        ]
        assert ours._flat_weights_names == ref._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == [
            [tuple(w.shape) for w in ws] for ws in ref.all_weights
        ]
        assert repr(ours) == repr(ref).replace("torch", "pybigml")
        for p in ours.parameters():  # U(-1/sqrt(4), 1/sqrt(4))
            assert np.abs(p.detach().numpy()).max() <= 0.5
        ours.flatten_parameters()
        back = type(ref)(3, 4, **options)  # and our state dict loads into PyTorch's
        back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def test_module_double_converts_every_weight() -> None:
    lstm = nn.LSTM(3, 4, 2).double()
    out, (h, c) = lstm(pybigml.randn(5, 2, 3, dtype=pybigml.float64))
    assert out.dtype == h.dtype == c.dtype == pybigml.float64


def test_bad_arguments_raise_torch_errors() -> None:
    def same(make: Callable[[Any], Any]) -> None:
        with pytest.raises(Exception) as ref_error:
            make(torch)
        with pytest.raises(type(ref_error.value)) as our_error:
            make(pybigml)
        assert str(our_error.value) == str(ref_error.value).replace("torch", "pybigml")

    def lstm(lib: Any, **kwargs: Any) -> Any:
        return lib.nn.LSTM(3, 4, **kwargs)

    same(lambda lib: lstm(lib)(lib.randn(5, 2, 4)))  # input size
    same(lambda lib: lstm(lib)(lib.randn(5, 2, 3, 1)))  # 4-d input
    same(lambda lib: lstm(lib)(lib.randn(5, 2, 3).double()))  # dtype
    same(lambda lib: lstm(lib)(lib.randn(5, 2, 3), (lib.randn(1, 3, 4), lib.randn(1, 2, 4))))
    same(lambda lib: lstm(lib)(lib.randn(5, 2, 3), (lib.randn(1, 2, 4), lib.randn(1, 2, 5))))
    same(lambda lib: lstm(lib)(lib.randn(5, 2, 3), (lib.randn(2, 4), lib.randn(1, 2, 4))))
    same(lambda lib: lstm(lib)(lib.randn(0, 2, 3)))  # empty sequence
    same(lambda lib: lib.nn.GRU(3, 4)(lib.randn(5, 2, 3), lib.randn(2, 2, 4)))
    same(lambda lib: lib.nn.RNN(3, 4)(lib.randn(5, 3), lib.randn(1, 1, 4)))
    same(lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"))
    same(lambda lib: lib.nn.GRU(3, 4, proj_size=2))
    same(lambda lib: lstm(lib, proj_size=4))
    same(lambda lib: lstm(lib, dropout=1.5))
    same(lambda lib: lib.nn.LSTM(3, 0))
    same(lambda lib: lib.nn.LSTM(3, 4.0))
    same(lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 5)))
    same(lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3), (lib.randn(3, 4), lib.randn(2, 4))))
    same(lambda lib: lib.nn.LSTMCell(3, 4)(lib.randn(2, 3), (lib.randn(2, 4), lib.randn(2, 5))))
    same(lambda lib: lib.nn.GRUCell(3, 4)(lib.randn(2, 3), lib.randn(2, 5)))
    same(lambda lib: lib.nn.RNNCell(3, 4)(lib.randn(2, 2, 3)))
    # states of another dtype than the weights: RuntimeError in both (the messages differ)
    for make in (
        lambda lib: lstm(lib)(
            lib.randn(5, 2, 3), (lib.randn(1, 2, 4).double(), lib.randn(1, 2, 4))
        ),
        lambda lib: lib.nn.GRUCell(3, 4)(lib.randn(2, 3), lib.randn(2, 4).double()),
    ):
        for lib in (torch, pybigml):
            with pytest.raises(RuntimeError):
                make(lib)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "cell",
    [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {}), ("LSTMCell", {})],
)
def test_cell_matches_torch(cell: tuple, dtype: str) -> None:
    name, options = cell
    ours, ref = both(name, 3, 4, dtype=dtype, **options)
    assert repr(ours) == repr(ref)
    rng = np.random.default_rng(4)
    states = [rng.standard_normal((2, 4)) for _ in range(2 if name == "LSTMCell" else 1)]
    arrays = [a.astype(dtype) for a in [rng.standard_normal((2, 3)), *states]]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        x, *hx = tensors
        state = tuple(hx) if name == "LSTMCell" else hx[0]
        unbatched = tuple(h[1] for h in hx) if name == "LSTMCell" else hx[0][1]
        return module(x, state), module(x[1], unbatched), module(x)

    compare(ours, ref, arrays, call, dtype)


def test_cells_without_bias_and_a_loop_of_steps_match_torch() -> None:
    ours, ref = both("LSTMCell", 3, 4, dtype="float64", bias=False)
    assert ours.bias_ih is None
    x = np.random.default_rng(5).standard_normal((6, 2, 3))

    def call(module: Any, lib: Any, tensors: list) -> Any:
        state, outputs = None, []
        for step in tensors[0]:
            state = module(step, state)
            outputs.append(state[0])
        return lib.stack(outputs)

    compare(ours, ref, [x], call, "float64")


# --------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cells_gradcheck_and_gradgradcheck(name: str) -> None:
    cell = getattr(nn, name)(2, 3, dtype=pybigml.float64)
    rng = np.random.default_rng(6)
    x = pybigml.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    states = [pybigml.tensor(rng.standard_normal((2, 3)), requires_grad=True)]
    if name == "LSTMCell":
        states.append(pybigml.tensor(rng.standard_normal((2, 3)), requires_grad=True))
    params = tuple(cell.parameters())

    def run(x: Any, *rest: Any) -> Any:
        hx = rest[: len(states)]
        return cell(x, tuple(hx) if name == "LSTMCell" else hx[0])

    inputs = (x, *states, *params)
    assert gradcheck(run, inputs)
    assert gradgradcheck(run, inputs)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_packed_layer_gradcheck_and_gradgradcheck(kind: str) -> None:
    """Sequences that end early (forward) and start late (reverse), with a projection. The
    second derivatives (through the tensor-op reference, shared by all cells) are checked
    with respect to the input only, to keep the test short; the cells' test covers the
    weights."""
    options = {"proj_size": 2} if kind == "LSTM" else {}
    layer = getattr(nn, kind)(2, 3, bidirectional=True, dtype=pybigml.float64, **options)
    x = pybigml.tensor(np.random.default_rng(8).standard_normal((3, 2, 2)), requires_grad=True)
    params = tuple(layer.parameters())

    def run(x: Any, *weights: Any) -> Any:
        out, state = layer(utils.pack_padded_sequence(x, [3, 1]))
        return out.data, *flat(state)

    assert gradcheck(run, (x, *params))
    if kind == "LSTM":
        assert gradgradcheck(run, (x,))


def test_fast_recurrence_matches_the_tensor_op_reference() -> None:
    rng = np.random.default_rng(9)
    sizes = (4, 3, 3, 1)
    for mode, cell in recurrence.CELLS.items():
        hidden = 3
        gates = cell.gates * hidden
        xg = pybigml.tensor(rng.standard_normal((sum(sizes), gates)))
        h0 = pybigml.tensor(rng.standard_normal((4, 2)))
        c0 = pybigml.tensor(rng.standard_normal((4, hidden))) if cell.cell_state else None
        w_hh = pybigml.tensor(rng.standard_normal((gates, 2)))
        b_hh = pybigml.tensor(rng.standard_normal(gates))
        w_hr = pybigml.tensor(rng.standard_normal((2, hidden))) if mode == "LSTM" else None
        if w_hr is None:  # no projection: the state is the hidden size
            h0, w_hh = (
                h0.new_zeros((4, hidden)) + 0.5,
                pybigml.tensor(rng.standard_normal((gates, hidden))),
            )
        for reverse in (False, True):
            args = (cell, xg, h0, c0, w_hh, b_hh, w_hr, sizes, reverse)
            fast = recurrence.Recurrence.apply(*args)
            reference = recurrence.reference_layer(*args)
            for f, r in zip(fast, reference):
                pybigml.testing.assert_close(f, r, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- nn.utils.rnn
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first: bool, padding_side: str) -> None:
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        rnn_utils = utils if lib is pybigml else torch.nn.utils.rnn
        return rnn_utils.pad_sequence(tensors, batch_first, -1.0, padding_side)

    compare(nn.Identity(), torch.nn.Identity(), arrays, call, "float64")


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trips_match_torch(batch_first: bool) -> None:
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 5, 3)]

    def call(module: Any, lib: Any, tensors: list) -> Any:
        rnn_utils = utils if lib is pybigml else torch.nn.utils.rnn
        packed = rnn_utils.pack_sequence(tensors, enforce_sorted=False)
        padded, lengths = rnn_utils.pad_packed_sequence(
            packed, batch_first=batch_first, padding_value=2.0, total_length=7
        )
        assert lengths.tolist() == [2, 5, 3]
        assert packed.batch_sizes.tolist() == [3, 3, 2, 1, 1]
        assert packed.sorted_indices.tolist() == [1, 2, 0]
        assert packed.unsorted_indices.tolist() == [2, 0, 1]
        unpacked = rnn_utils.unpack_sequence(packed)
        # (a copy: PyTorch's unpad_sequence transposes a time-major batch in place)
        unpadded = rnn_utils.unpad_sequence(padded * 1, lengths, batch_first=batch_first)
        return packed.data, padded, *unpacked, *unpadded

    compare(nn.Identity(), torch.nn.Identity(), arrays, call, "float64")


def test_packing_errors_match_torch() -> None:
    def same(make: Callable[[Any], Any]) -> None:
        with pytest.raises(Exception) as ref_error:
            make(torch)
        with pytest.raises(type(ref_error.value), match=None) as our_error:
            make(pybigml)
        assert str(our_error.value) == str(ref_error.value)

    def pack(lib: Any, lengths: list) -> Any:
        rnn_utils = utils if lib is pybigml else torch.nn.utils.rnn
        return rnn_utils.pack_padded_sequence(lib.zeros(4, 3, 2), lengths)

    same(lambda lib: pack(lib, [2, 3, 1]))
    same(lambda lib: pack(lib, [2, 1]))
    same(lambda lib: pack(lib, [3, 2, 0]))
    same(lambda lib: (utils if lib is pybigml else torch.nn.utils.rnn).pad_sequence([]))
    same(
        lambda lib: (utils if lib is pybigml else torch.nn.utils.rnn).pad_sequence(
            [lib.zeros(2)], padding_side="up"
        )
    )
    packed = utils.pack_sequence([pybigml.zeros(3, 1)])
    with pytest.raises(ValueError, match="total_length"):
        utils.pad_packed_sequence(packed, total_length=2)


# --------------------------------------------------------------------------- training
class CharModel:
    """Embedding -> 2-layer LSTM -> Linear, built the same way in either library."""

    def __init__(self, lib: Any, vocab: int, dtype: Any) -> None:
        self.embed = lib.nn.Embedding(vocab, 16, dtype=dtype)
        self.lstm = lib.nn.LSTM(16, 48, num_layers=2, batch_first=True, dtype=dtype)
        self.head = lib.nn.Linear(48, vocab, dtype=dtype)
        self.modules = [self.embed, self.lstm, self.head]

    def parameters(self) -> list:
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, ids: Any) -> Any:
        out, _ = self.lstm(self.embed(ids))
        return self.head(out)


def train_both(ids: np.ndarray, vocab: int, dtype: str, steps: int) -> tuple[list, list, float]:
    """Train the same model from the same weights in both libraries on the same batches;
    return both loss curves and the time per step of pybigml over PyTorch's."""
    torch.manual_seed(0)
    ref = CharModel(torch, vocab, getattr(torch, dtype))
    ours = CharModel(pybigml, vocab, getattr(pybigml, dtype))
    for o, r in zip(ours.modules, ref.modules):
        o.load_state_dict({k: to_ours(v) for k, v in r.state_dict().items()})
    opt_ours = pybigml.optim.Adam(ours.parameters(), lr=3e-3)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=3e-3)
    loss_ours_fn, loss_ref_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(12)
    block, batch = 32, 16
    curves: tuple[list, list] = ([], [])
    timings: tuple[list, list] = ([], [])
    for _ in range(steps):
        starts = rng.integers(0, ids.size - block - 1, batch)
        x = np.stack([ids[s : s + block] for s in starts])
        y = np.stack([ids[s + 1 : s + block + 1] for s in starts])
        for lib, model, opt, loss_fn, curve, timing in (
            (pybigml, ours, opt_ours, loss_ours_fn, curves[0], timings[0]),
            (torch, ref, opt_ref, loss_ref_fn, curves[1], timings[1]),
        ):
            start = time.perf_counter()
            logits = model(lib.tensor(x))
            loss = loss_fn(logits.reshape(-1, vocab), lib.tensor(y).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            timing.append(time.perf_counter() - start)
            curve.append(loss.item())
    ratio = float(np.median(timings[0]) / np.median(timings[1]))
    return curves[0], curves[1], ratio


@pytest.mark.parametrize(
    "dtype, tolerance",
    [
        # float64: the same formulas, so only rounding differs (measured 3e-16 over 50 steps);
        # 1e-12 leaves room for a different summation order in a GEMM.
        ("float64", 1e-12),
        # float32: PyTorch's oneDNN LSTM rounds differently (~1e-7 relative per op) and
        # Adam's normalised updates carry the differences into the weights (measured 2e-7
        # over 50 steps). 1e-5 leaves a 50x margin and still catches a real error: a wrong
        # gate or gradient moves the loss by 1e-2 or more within a few steps.
        ("float32", 1e-5),
    ],
)
def test_char_lstm_training_follows_torch(shared_data_dir, dtype: str, tolerance: float) -> None:
    text = pybigml.datasets.TinyShakespeare(shared_data_dir / "tinyshakespeare", block_size=32)
    ids = text.ids.numpy()[:200_000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref, ratio = train_both(ids, text.vocab_size, dtype, steps=50)
    deviation = np.abs(np.array(ours) - np.array(ref)) / np.abs(np.array(ref))
    print(f"{dtype}: max relative loss deviation {deviation.max():.2e}, s/step ratio {ratio:.2f}")
    assert ours[-1] < ours[0] - 0.5  # it learns
    assert deviation.max() < tolerance
