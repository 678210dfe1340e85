"""Layers, functional forms and ``nn.utils`` of ``pybigml.nn`` against PyTorch's.

Layers run with PyTorch's weights copied across (``load_state_dict``) on drawn shapes:
forward values, the input and parameter gradients of one random upstream gradient, and for
batch norm the running statistics over several training steps and the eval outputs. Every
layer is also gradchecked in float64, and bad input must raise PyTorch's exception types.
Tolerances are ``test_nn``'s (1e-10 relative in float64, 1e-5 in float32).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from test_nn import copy_weights
from test_nn_losses import DTYPES, assert_close, assert_same_error, compare_with_torch

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
from pybigml.testing import gradcheck
from pybigml.testing.strategies import shapes


def compare_module(
    ours: nn.Module,
    ref: torch.nn.Module,
    arrays: list[np.ndarray],
    requires_grad: tuple[bool, ...],
    dtype: str,
    grad_tol: dict | None = None,
) -> None:
    """``compare_with_torch`` on two modules holding the same weights, then their parameter
    gradients."""
    compare_with_torch(ours, ref, arrays, requires_grad, dtype, grad_tol)
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        if ref_params[name].grad is None:
            assert param.grad is None, name
        else:
            assert_close(param.grad, ref_params[name].grad, dtype, grad_tol)


def both(name: str, *args: Any, dtype: str, **kwargs: Any) -> tuple[nn.Module, torch.nn.Module]:
    """The layer ``name`` of both libraries, PyTorch's weights copied into ours."""
    ref = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **kwargs)
    ours = getattr(nn, name)(*args, dtype=getattr(pybigml, dtype), **kwargs)
    copy_weights(ours, ref)
    return ours, ref


def normal(rng: np.random.Generator, shape: tuple, dtype: str, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


# --------------------------------------------------------------------------- embeddings
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [{}, {"padding_idx": 2}, {"padding_idx": -1, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "padding_freq"],
)
@given(index_shape=shapes(0, 3, 0, 4), seed=st.integers(0, 2**16))
def test_embedding_matches_torch(options: dict, dtype: str, index_shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ours, ref = both("Embedding", 6, 3, dtype=dtype, **options)
    indices = rng.integers(0, 6, index_shape)
    compare_module(ours, ref, [indices], (False,), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_max_norm_renormalises_rows_in_place(dtype: str) -> None:
    ours, ref = both("Embedding", 5, 4, dtype=dtype, max_norm=1.5, norm_type=3.0)
    indices = np.array([[0, 3, 3], [4, 0, 1]])
    compare_module(ours, ref, [indices], (False,), dtype)
    assert_close(ours.weight, ref.weight, dtype)  # rows 0, 1, 3, 4 rescaled, row 2 untouched


def test_embedding_padding_row_gets_no_gradient_and_starts_at_zero() -> None:
    pybigml.manual_seed(0)
    emb = nn.Embedding(1000, 8, padding_idx=3)
    assert not emb.weight[3].detach().numpy().any()
    values = np.delete(emb.weight.detach().numpy(), 3, axis=0)
    assert abs(values.mean()) < 0.05 and abs(values.std() - 1) < 0.05  # N(0, 1), 7992 draws
    emb(pybigml.tensor([[3, 5, 3], [5, 3, 7]])).sum().backward()
    grad = emb.weight.grad.numpy()
    assert not grad[3].any()
    np.testing.assert_array_equal(grad[5], 2 * np.ones(8))
    np.testing.assert_array_equal(grad[7], np.ones(8))


def test_embedding_from_pretrained() -> None:
    table = pybigml.arange(12.0).reshape(4, 3)
    emb = nn.Embedding.from_pretrained(table, padding_idx=1)
    assert not emb.weight.requires_grad and emb.padding_idx == 1
    assert emb(pybigml.tensor([1])).tolist() == [[3.0, 4.0, 5.0]]  # the pretrained row stays
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad
    trainable.weight.data[0, 0] = 100.0
    assert table[0, 0].item() == 100.0  # shared, not copied
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(pybigml.zeros(3))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)


BAG_CASES = {
    "sum_offsets": ({"mode": "sum"}, [0, 3, 3, 5]),
    "mean_offsets": ({"mode": "mean"}, [0, 2, 2, 6]),
    "max_offsets": ({"mode": "max"}, [0, 1, 4]),
    "mean_padding": ({"mode": "mean", "padding_idx": 0}, [0, 2, 5]),
    "sum_last_offset": ({"mode": "sum", "include_last_offset": True}, [0, 2, 6, 7]),
    "sum_2d": ({"mode": "sum"}, None),
    "max_2d_padding": ({"mode": "max", "padding_idx": 2}, None),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("options", "offsets"), BAG_CASES.values(), ids=BAG_CASES.keys())
def test_embedding_bag_matches_torch(options: dict, offsets: list | None, dtype: str) -> None:
    rng = np.random.default_rng(0)
    ours, ref = both("EmbeddingBag", 7, 3, dtype=dtype, **options)
    if offsets is None:
        indices = rng.integers(0, 7, (3, 4))
        compare_module(ours, ref, [indices], (False,), dtype)
    else:
        indices = rng.integers(0, 7, 7)
        compare_module(ours, ref, [indices, np.array(offsets)], (False, False), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_per_sample_weights_match_torch(dtype: str) -> None:
    rng = np.random.default_rng(1)
    ours, ref = both("EmbeddingBag", 7, 3, dtype=dtype, mode="sum", padding_idx=4)
    indices = np.array([4, 1, 2, 4, 6, 1])
    arrays = [indices, np.array([0, 2, 2, 5]), normal(rng, (6,), dtype)]
    compare_module(ours, ref, arrays, (False, False, True), dtype)


# --------------------------------------------------------------------------- normalisation
# The input gradient of a normalisation, rstd (g - mean(g) - x_hat mean(g x_hat)), is a
# difference of terms of size |g| rstd that nearly cancel when few values share a mean
# (two values: the output is +-1 whatever the input, the gradient 0 up to rounding).
# PyTorch's float32 result can then be off from the float64 one by ~1e-5 absolute (measured:
# 7e-6 where pybigml's is off by 2e-7), so float32 gradients get that absolute slack.
NORM_GRAD_TOL = {"float32": {"rtol": 1e-5, "atol": 2e-5}}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [{}, {"elementwise_affine": False}, {"bias": False, "eps": 1e-3}],
    ids=["affine", "plain", "no_bias"],
)
@given(shape=shapes(1, 4, 1, 5), trailing=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_layer_norm_matches_torch(
    options: dict, dtype: str, shape: tuple, trailing: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    normalized_shape = shape[-trailing:]
    # With one or two values per group the output is 0 or +-1 whatever the input: values and
    # gradients are pure rounding noise (see NORM_GRAD_TOL), rounded differently by the two.
    assume(math.prod(normalized_shape) > 2)
    ours, ref = both("LayerNorm", normalized_shape, dtype=dtype, **options)
    with torch.no_grad():  # non-trivial affine parameters, copied across
        for p in ref.parameters():
            p.copy_(torch.tensor(normal(rng, tuple(p.shape), dtype)))
    copy_weights(ours, ref)
    x = normal(rng, shape, dtype, 3.0) + 1.0
    compare_module(ours, ref, [x], (True,), dtype, NORM_GRAD_TOL.get(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(1, 4, 1, 5), seed=st.integers(0, 2**16))
def test_rms_norm_matches_torch(dtype: str, shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ours, ref = both("RMSNorm", shape[-1:], dtype=dtype, eps=1e-6)
    compare_module(ours, ref, [normal(rng, shape, dtype)], (True,), dtype, NORM_GRAD_TOL.get(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@given(n=st.integers(1, 3), groups=st.integers(1, 3), spatial=shapes(0, 2, 1, 4))
def test_group_norm_matches_torch(dtype: str, n: int, groups: int, spatial: tuple) -> None:
    rng = np.random.default_rng(n)
    channels = 2 * groups
    ours, ref = both("GroupNorm", groups, channels, dtype=dtype)
    x = normal(rng, (n, channels, *spatial), dtype, 2.0)
    if x[0].size > channels // groups:  # a group of one value has zero variance
        compare_module(ours, ref, [x], (True,), dtype)


BATCH_NORM_CASES = {
    "1d_flat": ("BatchNorm1d", (6, 4), {}),
    "1d_sequence": ("BatchNorm1d", (3, 4, 5), {"momentum": 0.3}),
    "2d": ("BatchNorm2d", (2, 4, 3, 3), {}),
    "2d_cumulative": ("BatchNorm2d", (2, 4, 2, 3), {"momentum": None}),
    "2d_not_affine": ("BatchNorm2d", (3, 4, 2, 2), {"affine": False}),
    "2d_no_running_stats": ("BatchNorm2d", (2, 4, 2, 2), {"track_running_stats": False}),
    "3d": ("BatchNorm3d", (2, 4, 2, 2, 2), {"bias": False}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "shape", "options"), BATCH_NORM_CASES.values(), ids=BATCH_NORM_CASES
)
def test_batch_norm_trains_and_evaluates_like_torch(
    name: str, shape: tuple, options: dict, dtype: str
) -> None:
    """Three training steps (batch statistics, running averages updated), then eval mode
    (running statistics): outputs, gradients and buffers as PyTorch's after each."""
    rng = np.random.default_rng(2)
    ours, ref = both(name, shape[1], dtype=dtype, **options)
    for step in range(3):
        x = normal(rng, shape, dtype, 2.0) + step
        compare_module(ours, ref, [x], (True,), dtype)
        ours.zero_grad()
        ref.zero_grad()
        assert list(ours.state_dict()) == list(ref.state_dict())
        for buf_ours, buf_ref in zip(ours.state_dict().values(), ref.state_dict().values()):
            assert_close(buf_ours, buf_ref, dtype if buf_ref.is_floating_point() else "float64")
    ours.eval()
    ref.eval()
    compare_module(ours, ref, [normal(rng, shape, dtype)], (True,), dtype)


def test_batch_norm_buffers_and_errors() -> None:
    bn = nn.BatchNorm1d(3)
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.num_batches_tracked.dtype == pybigml.int64
    bn(pybigml.randn(4, 3))
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0 and bn.running_var.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(pybigml.randn(1, 3))
    bn.eval()
    assert bn(pybigml.randn(1, 3)).shape == (1, 3)  # a single sample is fine in eval mode
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(pybigml.randn(2, 3, 4, 5))


# --------------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@given(batch=shapes(0, 2, 1, 4), seed=st.integers(0, 2**16))
def test_bilinear_matches_torch(dtype: str, bias: bool, batch: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ours, ref = both("Bilinear", 3, 4, 2, bias=bias, dtype=dtype)
    arrays = [normal(rng, (*batch, 3), dtype), normal(rng, (*batch, 4), dtype)]
    compare_module(ours, ref, arrays, (True, True), dtype)


def test_bilinear_init_range() -> None:
    layer = nn.Bilinear(25, 3, 40)
    bound = 1 / math.sqrt(25)
    assert layer.weight.abs().max().item() <= bound and layer.bias.abs().max().item() <= bound
    assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


# --------------------------------------------------------------------------- functional forms
PAD_CASES = {
    "constant_1d": ((1, 2), "constant", 0.5, (2, 3)),
    "constant_3_dims": ((1, 0, 2, 1, 0, 3), "constant", None, (2, 2, 3)),
    "constant_crop": ((-1, 2, 1, -2), "constant", -1.0, (2, 3, 4)),
    "reflect_1d": ((2, 1), "reflect", None, (2, 3, 4)),
    "reflect_2d": ((1, 2, 2, 0), "reflect", None, (1, 2, 3, 4)),
    "replicate_1d": ((3, 1), "replicate", None, (2, 3)),
    "replicate_3d": ((1, 1, 0, 2, 2, 1), "replicate", None, (1, 2, 2, 3)),
    "circular_2d": ((2, 1, 1, 3), "circular", None, (2, 3, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("padding", "mode", "value", "shape"), PAD_CASES.values(), ids=PAD_CASES.keys()
)
def test_pad_matches_torch(
    padding: tuple, mode: str, value: float | None, shape: tuple, dtype: str
) -> None:
    x = normal(np.random.default_rng(3), shape, dtype)
    compare_with_torch(
        lambda t: F.pad(t, padding, mode, value),
        lambda t: torch.nn.functional.pad(t, padding, mode, value),
        [x],
        (True,),
        dtype,
    )


DISTANCES = {
    "normalize": (lambda lib, a, b: lib.nn.functional.normalize(a, dim=-1), (3, 4), (3, 4)),
    "normalize_p1": (lambda lib, a, b: lib.nn.functional.normalize(a, p=1.0, dim=0), (3, 4), (1,)),
    "cosine": (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), (3, 4), (3, 4)),
    "cosine_broadcast": (
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=-1),
        (2, 3, 4),
        (4,),
    ),
    "pairwise": (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), (3, 4), (3, 4)),
    "pairwise_p3_keepdim": (
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=3.0, keepdim=True),
        (2, 5),
        (5,),
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("fn", "shape1", "shape2"), DISTANCES.values(), ids=DISTANCES.keys())
def test_distances_match_torch(fn: Callable, shape1: tuple, shape2: tuple, dtype: str) -> None:
    rng = np.random.default_rng(4)
    a, b = normal(rng, shape1, dtype), normal(rng, shape2, dtype)
    a[0] = 0.0  # a zero vector: the eps clamps take over
    compare_with_torch(
        lambda x, y: fn(pybigml, x, y), lambda x, y: fn(torch, x, y), [a, b], (True, True), dtype
    )


def test_normalize_gives_unit_vectors() -> None:
    x = pybigml.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert F.normalize(x).tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]


# --------------------------------------------------------------------------- gradcheck
def _double(rng: np.random.Generator, *shape: int) -> pybigml.Tensor:
    return pybigml.tensor(rng.standard_normal(shape), requires_grad=True)


GRADCHECKS = {
    "embedding": lambda rng: (
        lambda w: F.embedding(pybigml.tensor([[0, 2], [2, 1]]), w),
        (_double(rng, 3, 2),),
    ),
    "embedding_bag_max": lambda rng: (
        lambda w: F.embedding_bag(
            pybigml.tensor([0, 2, 1, 1]), w, pybigml.tensor([0, 3]), mode="max"
        ),
        (_double(rng, 3, 2),),
    ),
    "embedding_bag_weighted": lambda rng: (
        lambda w, s: F.embedding_bag(
            pybigml.tensor([0, 2, 1]), w, pybigml.tensor([0, 1]), mode="sum", per_sample_weights=s
        ),
        (_double(rng, 3, 2), _double(rng, 3)),
    ),
    "layer_norm": lambda rng: (
        lambda x, w, b: F.layer_norm(x, (3,), w, b),
        (_double(rng, 2, 3), _double(rng, 3), _double(rng, 3)),
    ),
    "rms_norm": lambda rng: (
        lambda x, w: F.rms_norm(x, (2, 3), w),
        (_double(rng, 2, 2, 3), _double(rng, 2, 3)),
    ),
    "group_norm": lambda rng: (
        lambda x, w, b: F.group_norm(x, 2, w, b),
        (_double(rng, 2, 4, 2), _double(rng, 4), _double(rng, 4)),
    ),
    "batch_norm_training": lambda rng: (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        (_double(rng, 3, 2, 2), _double(rng, 2), _double(rng, 2)),
    ),
    "batch_norm_eval": lambda rng: (
        lambda x, w, b: F.batch_norm(
            x, pybigml.tensor([0.5, -1.0]), pybigml.tensor([2.0, 0.5]), w, b
        ),
        (_double(rng, 3, 2), _double(rng, 2), _double(rng, 2)),
    ),
    "bilinear": lambda rng: (
        F.bilinear,
        (_double(rng, 2, 3), _double(rng, 2, 2), _double(rng, 4, 3, 2), _double(rng, 4)),
    ),
    "pad_reflect": lambda rng: (lambda x: F.pad(x, (2, 1), "reflect"), (_double(rng, 1, 2, 3),)),
    "pad_constant": lambda rng: (lambda x: F.pad(x, (1, -1, 2, 0)), (_double(rng, 2, 3),)),
    "cosine_similarity": lambda rng: (
        F.cosine_similarity,
        (_double(rng, 2, 3), _double(rng, 2, 3)),
    ),
    "pairwise_distance": lambda rng: (
        F.pairwise_distance,
        (_double(rng, 2, 3), _double(rng, 2, 3)),
    ),
    "normalize": lambda rng: (F.normalize, (_double(rng, 2, 3),)),
}


@pytest.mark.parametrize("build", GRADCHECKS.values(), ids=GRADCHECKS.keys())
def test_layer_gradcheck(build: Callable) -> None:
    fn, inputs = build(np.random.default_rng(5))
    assert gradcheck(fn, inputs)


# --------------------------------------------------------------------------- parameter containers
def test_parameter_list_matches_torch() -> None:
    def build(lib: Any) -> Any:
        params = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2, 3)), lib.ones(2)])
        params.append("not a tensor")
        params += [lib.zeros(4, dtype=lib.float64)]
        return params

    ours, ref = build(pybigml), build(torch)
    assert repr(ours) == repr(ref).replace("torch.", "pybigml.")
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert isinstance(ours[1], nn.Parameter) and ours[1].requires_grad
    assert len(ours[1:3]) == 2 and ours[-1].dtype == pybigml.float64
    ours[0] = pybigml.ones(5)
    assert ours[0].shape == (5,) and list(ours.state_dict()) == ["0", "1", "3"]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        ours[4]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        ours()


def test_parameter_dict_matches_torch() -> None:
    def build(lib: Any) -> Any:
        params = lib.nn.ParameterDict({"b": lib.zeros(2), "a": lib.nn.Parameter(lib.ones(1))})
        params.update(OrderedDict([("z", lib.zeros(1)), ("c", lib.zeros(3, 2))]))
        params["d"] = lib.nn.Parameter(lib.zeros(1), requires_grad=False)
        return params

    ours, ref = build(pybigml), build(torch)
    assert repr(ours) == repr(ref).replace("torch.", "pybigml.")
    assert list(ours.keys()) == list(ref.keys()) == ["a", "b", "z", "c", "d"]
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert ours.pop("z").shape == (1,) and "z" not in ours and len(ours) == 4
    assert ours.get("missing", 7) == 7 and ours.setdefault("e", pybigml.ones(1)).requires_grad
    assert list((ours | nn.ParameterDict({"f": pybigml.ones(1)})).keys())[-1] == "f"
    assert ours.popitem()[0] == "e"
    with pytest.raises(TypeError, match="not a string"):
        ours[0]


# --------------------------------------------------------------------------- nn.utils
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    rng = np.random.default_rng(6)
    grads = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = [pybigml.zeros(g.shape, dtype=pybigml.float64, requires_grad=True) for g in grads]
    ref = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p_ours, p_ref, g in zip(ours, ref, grads):
        p_ours.grad, p_ref.grad = pybigml.tensor(g), torch.tensor(g)
    extra = pybigml.zeros(2, requires_grad=True)  # no grad: skipped
    total_ours = nn.utils.clip_grad_norm_([*ours, extra], max_norm, norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert_close(total_ours, total_ref, "float64")
    for p_ours, p_ref in zip(ours, ref):
        assert_close(p_ours.grad, p_ref.grad, "float64")


def test_clip_grad_value_and_nonfinite_norm() -> None:
    p = pybigml.zeros(4, requires_grad=True)
    p.grad = pybigml.tensor([-3.0, 0.5, 2.0, -0.1])
    assert nn.utils.clip_grad_value_(p, 1.0) is None
    assert p.grad.tolist() == [-1.0, 0.5, 1.0, -0.10000000149011612]
    p.grad = pybigml.tensor([math.inf, 1.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    from pybigml.nn.utils import get_total_norm

    assert get_total_norm([pybigml.tensor([3.0]), pybigml.tensor([4.0])]).item() == 5.0


def test_parameters_to_vector_round_trip() -> None:
    layer_ours, layer_ref = both("Linear", 3, 2, dtype="float32")
    vec = nn.utils.parameters_to_vector(layer_ours.parameters())
    assert_close(vec, torch.nn.utils.parameters_to_vector(layer_ref.parameters()), "float32")
    nn.utils.vector_to_parameters(pybigml.arange(8.0), layer_ours.parameters())
    assert layer_ours.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert layer_ours.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match="expected pybigml.Tensor"):
        nn.utils.vector_to_parameters([1.0], layer_ours.parameters())


# --------------------------------------------------------------------------- bad input
I3 = [0, 1, 2]

BAD_CALLS = {
    "embedding_float_indices": lambda lib: lib.nn.functional.embedding(
        lib.tensor([0.0, 1.0]), lib.zeros(5, 3)
    ),
    "embedding_index_range": lambda lib: lib.nn.functional.embedding(
        lib.tensor([0, 5]), lib.zeros(5, 3)
    ),
    "embedding_negative_index": lambda lib: lib.nn.functional.embedding(
        lib.tensor([-1]), lib.zeros(5, 3)
    ),
    "embedding_padding_range": lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6),
    "embedding_1d_weight": lambda lib: lib.nn.functional.embedding(lib.tensor([0]), lib.zeros(5)),
    "bag_first_offset": lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor(I3), lib.zeros(5, 3), lib.tensor([1])
    ),
    "bag_last_offset": lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor(I3), lib.zeros(5, 3), lib.tensor([0, 5])
    ),
    "bag_no_offsets": lambda lib: lib.nn.functional.embedding_bag(lib.tensor(I3), lib.zeros(5, 3)),
    "bag_2d_offsets": lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([I3]), lib.zeros(5, 3), lib.tensor([0])
    ),
    "bag_mode": lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor(I3), lib.zeros(5, 3), lib.tensor([0]), mode="median"
    ),
    "bag_weights_mean": lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor(I3), lib.zeros(5, 3), lib.tensor([0]), per_sample_weights=lib.ones(3)
    ),
    "layer_norm_shape": lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), (4,)),
    "layer_norm_weight": lambda lib: lib.nn.functional.layer_norm(
        lib.zeros(2, 3), (3,), lib.ones(4)
    ),
    "batch_norm_single_value": lambda lib: lib.nn.functional.batch_norm(
        lib.zeros(1, 3), lib.zeros(3), lib.ones(3), training=True
    ),
    "batch_norm_stats_size": lambda lib: lib.nn.functional.batch_norm(
        lib.zeros(2, 3), lib.zeros(4), lib.ones(4)
    ),
    "batch_norm_2d_rank": lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(2, 3, 4)),
    "group_norm_groups": lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 3, 4), 2),
    "group_norm_module": lambda lib: lib.nn.GroupNorm(2, 3),
    "bilinear_features": lambda lib: lib.nn.functional.bilinear(
        lib.zeros(2, 3), lib.zeros(2, 4), lib.zeros(5, 3, 3)
    ),
    "bilinear_batch": lambda lib: lib.nn.Bilinear(3, 4, 5)(lib.zeros(2, 3), lib.zeros(3, 4)),
    "pad_odd": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1,)),
    "pad_too_long": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1, 1, 1, 1, 1, 1)),
    "pad_mode": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1, 1), mode="mirror"),
    "pad_reflect_too_wide": lambda lib: lib.nn.functional.pad(
        lib.zeros(1, 2, 3), (3, 0), mode="reflect"
    ),
    "pad_reflect_rank": lambda lib: lib.nn.functional.pad(lib.zeros(3), (1, 1), mode="reflect"),
    "pad_circular_wrap": lambda lib: lib.nn.functional.pad(
        lib.zeros(1, 2, 3), (4, 0), mode="circular"
    ),
    "pad_value_with_mode": lambda lib: lib.nn.functional.pad(
        lib.zeros(1, 2, 3), (1, 0), mode="replicate", value=1.0
    ),
    "normalize_dim": lambda lib: lib.nn.functional.normalize(lib.zeros(2, 3), dim=2),
    "cosine_integer": lambda lib: lib.nn.functional.cosine_similarity(
        lib.tensor([I3]), lib.tensor([I3])
    ),
    "clip_foreach": lambda lib: lib.nn.utils.clip_grad_value_(
        [lib.nn.Parameter(lib.zeros(1))], 1.0, foreach=True
    ),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_raises_like_torch(call: Callable) -> None:
    assert_same_error(lambda: call(pybigml), lambda: call(torch))


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected input with shape"):
        F.layer_norm(pybigml.zeros(2, 3), (4,))
    with pytest.raises(IndexError, match="index 5 is out of range for 5 embeddings"):
        F.embedding(pybigml.tensor([0, 5]), pybigml.zeros(5, 3))
    with pytest.raises(RuntimeError, match=r"padding \(3, 0\) at dimension 2 of input \[1, 2, 3\]"):
        F.pad(pybigml.zeros(1, 2, 3), (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 3"):
        F.bilinear(pybigml.zeros(2, 3), pybigml.zeros(2, 4), pybigml.zeros(5, 2, 4))
