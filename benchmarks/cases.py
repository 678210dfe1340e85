"""The cases of the benchmark suite (``python -m benchmarks``), each written once for both
libraries: ``build(lib)`` receives the ``pybigml`` or the ``torch`` module and returns a
function doing one unit of work with that library, on inputs made from the same seeded numpy
arrays.

Work counted per case (for GF/s and GB/s):

* flops: GEMM ``2*M*N*K``; convolution ``2*N*Cout*Hout*Wout*Cin/groups*kh*kw`` forward and
  twice that backward (gradients of input and weight); attention ``4*B*H*L*S*D`` forward
  (``Q K^T`` and ``P V``) and 2.5 times that backward, both halved when causal.
* bytes: the least traffic the operation needs: every input read once and every output
  written once per pass (a backward pass reads the output gradient and the saved input and
  writes the input gradient), in the tensors' dtype.

Goals are on the ratio of median times pybigml/torch (at most ``goal``) and, for the
memory-bound kernels, on the share of the measured STREAM triad bandwidth (at least
``bandwidth_goal``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .bench_gemm import CASES as GEMM_CASES
from .bench_gemm import GemmCase

Runner = Callable[[], Any]


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    Attributes:
        name: unique, starts with the family (``--only`` filters on it).
        family: gemm, conv, attention, memory-bound, reduction, pool, model.
        build: library module -> function doing one unit of work (returns its results).
        flops: floating-point operations per unit of work (0: not compute-bound).
        bytes: bytes read + written per unit of work (0: not counted).
        dtype: the dtype the FMA peak is taken for.
        goal: the ratio pybigml/torch to stay at or below (None: no goal, reported only).
        stretch: a further ratio goal, reported beside ``goal``.
        bandwidth_goal: share of the measured triad bandwidth to reach (None: no goal).
        needs: attributes of ``pybigml`` the case calls (``"nn.functional.conv2d"``); a case
            whose attribute pybigml lacks is reported as missing.
        numpy: builds a numpy version of the same work, where numpy has one.
    """

    name: str
    family: str
    build: Callable[[Any], Runner]
    flops: float = 0.0
    bytes: float = 0.0
    dtype: str = "float32"
    goal: float | None = None
    stretch: float | None = None
    bandwidth_goal: float | None = None
    needs: tuple[str, ...] = ()
    numpy: Callable[[], Runner] | None = field(default=None)


@dataclass(frozen=True)
class Input:
    """A deterministic input: standard normal floats, or integers in [0, high)."""

    shape: tuple[int, ...]
    requires_grad: bool = False
    high: int | None = None
    dtype: str = "float32"

    def array(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        if self.high is not None:
            return rng.integers(0, self.high, self.shape, dtype=np.int64)
        return rng.standard_normal(self.shape).astype(self.dtype)


def _tensors(lib: Any, inputs: Sequence[Input]) -> list[Any]:
    """The inputs as tensors of ``lib`` (each library gets its own copy of the same values)."""
    tensors = []
    for seed, spec in enumerate(inputs):
        tensor = lib.from_numpy(spec.array(seed))
        tensors.append(tensor.requires_grad_() if spec.requires_grad else tensor)
    return tensors


def op_case(
    name: str,
    family: str,
    call: Callable[..., Any],
    inputs: Sequence[Input],
    backward: bool = False,
    **options: Any,
) -> Case:
    """A case that calls ``call(lib, *tensors)`` (forward), or also its backward.

    With ``backward``, one unit of work is the forward and ``autograd.grad`` of its output
    with respect to every input that requires grad, for a fixed random output gradient
    (none for a scalar output).
    """

    def build(lib: Any) -> Runner:
        tensors = _tensors(lib, inputs)
        if not backward:
            return lambda: call(lib, *tensors)
        wrt = [t for t in tensors if t.requires_grad]
        out = call(lib, *tensors)
        grad_out = None
        if out.dim() > 0:
            rng = np.random.default_rng(len(inputs))
            grad_out = lib.from_numpy(rng.standard_normal(tuple(out.shape)).astype("float32"))
        return lambda: lib.autograd.grad(call(lib, *tensors), wrt, grad_out)

    return Case(name, family, build, **options)


def numpy_case(call: Callable[..., Any], inputs: Sequence[Input]) -> Callable[[], Runner]:
    """The numpy version of a forward case: ``call(*arrays)``."""

    def build() -> Runner:
        arrays = [spec.array(seed) for seed, spec in enumerate(inputs)]
        return lambda: call(*arrays)

    return build


# ----------------------------------------------------------------------------------- GEMM
def gemm_case(case: GemmCase) -> Case:
    batch = (case.batch,) if case.batch else ()
    inputs = [
        Input(batch + (case.m, case.k), dtype=case.dtype),
        Input(batch + (case.k, case.n), dtype=case.dtype),
    ]
    traffic = (
        np.dtype(case.dtype).itemsize
        * max(case.batch, 1)
        * (case.m * case.k + case.k * case.n + case.m * case.n)
    )
    return op_case(
        f"gemm {case.name}",
        "gemm",
        lambda lib, a, b: lib.matmul(a, b),
        inputs,
        flops=case.flops,
        bytes=traffic,
        dtype=case.dtype,
        goal=1.0,
        stretch=0.9,
        numpy=numpy_case(np.matmul, inputs),
    )


# ---------------------------------------------------------------------------- convolution
def conv_cases(
    batch: int, c_in: int, c_out: int, kernel: int, size: int, padding: int = 0, dims: int = 2
) -> list[Case]:
    """conv1d/conv2d with bias, forward and forward+backward (grads of input, weight, bias)."""
    spatial = (size,) * dims
    out_size = size + 2 * padding - kernel + 1
    fwd_flops = 2.0 * batch * c_out * out_size**dims * c_in * kernel**dims
    op = f"conv{dims}d"
    shape = "x".join(map(str, spatial))
    label = f"{op} {c_in}->{c_out} k{kernel}" + (f" pad{padding}" if padding else "")
    label += f" {shape} b{batch}"
    x_elems, out_elems = batch * c_in * size**dims, batch * c_out * out_size**dims
    w_elems = c_out * c_in * kernel**dims

    def call(lib: Any, x: Any, w: Any, b: Any) -> Any:
        return getattr(lib.nn.functional, op)(x, w, b, padding=padding)

    cases = []
    for backward in (False, True):
        inputs = [
            Input((batch, c_in) + spatial, requires_grad=backward),
            Input((c_out, c_in) + (kernel,) * dims, requires_grad=backward),
            Input((c_out,), requires_grad=backward),
        ]
        traffic = x_elems + w_elems + out_elems
        if backward:  # read grad_out, x, w; write grad_x, grad_w
            traffic += out_elems + 2 * x_elems + 2 * w_elems
        cases.append(
            op_case(
                f"{label} {'fwd+bwd' if backward else 'fwd'}",
                "conv",
                call,
                inputs,
                backward=backward,
                flops=fwd_flops * (3 if backward else 1),
                bytes=4.0 * traffic,
                goal=1.0,
                needs=(f"nn.functional.{op}",),
            )
        )
    return cases


# ------------------------------------------------------------------------------ attention
def attention_cases(batch: int, heads: int, seq: int, dim: int) -> list[Case]:
    cases = []
    for causal in (False, True):
        fwd_flops = 4.0 * batch * heads * seq * seq * dim / (2 if causal else 1)
        for backward in (False, True):
            inputs = [Input((batch, heads, seq, dim), requires_grad=backward)] * 3
            elems = batch * heads * seq * dim  # each of q, k, v, out
            traffic = 4 * elems + (8 * elems if backward else 0)  # bwd: read 5, write 3
            cases.append(
                op_case(
                    f"sdpa B{batch} H{heads} S{seq} D{dim}"
                    f"{' causal' if causal else ''} {'fwd+bwd' if backward else 'fwd'}",
                    "attention",
                    lambda lib, q, k, v, causal=causal: (
                        lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
                    ),
                    inputs,
                    backward=backward,
                    flops=fwd_flops * (3.5 if backward else 1),
                    bytes=4.0 * traffic,
                    goal=1.0,
                    needs=("nn.functional.scaled_dot_product_attention",),
                )
            )
    return cases


# --------------------------------------------------------------- memory-bound row kernels
def _numpy_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _numpy_log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def memory_bound_cases() -> list[Case]:
    """softmax, log_softmax, layer_norm, cross_entropy: goal <= 0.5 and >= 50% bandwidth."""
    goals = {"goal": 0.5, "bandwidth_goal": 0.5}
    square = [Input((4096, 4096))]
    n = 4096 * 4096
    cases = [
        op_case(
            "softmax 4096x4096 dim -1 fwd",
            "memory-bound",
            lambda lib, x: lib.nn.functional.softmax(x, dim=-1),
            square,
            bytes=4.0 * 2 * n,
            needs=("nn.functional.softmax",),
            numpy=numpy_case(_numpy_softmax, square),
            **goals,
        ),
        op_case(
            "log_softmax 4096x4096 dim -1 fwd",
            "memory-bound",
            lambda lib, x: lib.nn.functional.log_softmax(x, dim=-1),
            square,
            bytes=4.0 * 2 * n,
            needs=("nn.functional.log_softmax",),
            numpy=numpy_case(_numpy_log_softmax, square),
            **goals,
        ),
    ]
    rows, width = 8192, 1024
    n = rows * width
    cases.append(
        op_case(
            "layer_norm 8192x1024 fwd+bwd",
            "memory-bound",
            lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (width,), w, b),
            [Input((rows, width), True), Input((width,), True), Input((width,), True)],
            backward=True,
            bytes=4.0 * 5 * n,  # fwd: read x, write y; bwd: read grad_y and x, write grad_x
            needs=("nn.functional.layer_norm",),
            **goals,
        )
    )
    batch, classes = 4096, 10000
    n = batch * classes
    for backward in (False, True):
        cases.append(
            op_case(
                f"cross_entropy 4096x10000 {'fwd+bwd' if backward else 'fwd'}",
                "memory-bound",
                lambda lib, logits, target: lib.nn.functional.cross_entropy(logits, target),
                [Input((batch, classes), backward), Input((batch,), high=classes)],
                backward=backward,
                bytes=4.0 * (3 * n if backward else n),  # bwd: read logits, write grad
                needs=("nn.functional.cross_entropy",),
                **goals,
            )
        )
    return cases


# -------------------------------------------------------------------- reductions, pooling
def reduction_cases() -> list[Case]:
    square = [Input((4096, 4096))]
    return [
        op_case(
            f"sum 4096x4096 dim {dim}",
            "reduction",
            lambda lib, x, dim=dim: lib.sum(x, dim=dim),
            square,
            bytes=4.0 * (4096 * 4096 + 4096),
            needs=("sum",),
            numpy=numpy_case(lambda x, dim=dim: x.sum(axis=dim), square),
        )
        for dim in (0, 1)
    ]


def pool_cases() -> list[Case]:
    shape = (64, 32, 26, 26)
    n = int(np.prod(shape))
    return [
        op_case(
            f"max_pool2d k2 64x32x26x26 {'fwd+bwd' if backward else 'fwd'}",
            "pool",
            lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
            [Input(shape, requires_grad=backward)],
            backward=backward,
            # fwd: read x, write x/4; bwd: read grad_out (x/4), write grad_x
            bytes=4.0 * (n + n / 4 + ((n / 4 + n) if backward else 0)),
            needs=("nn.functional.max_pool2d",),
        )
        for backward in (False, True)
    ]


# ----------------------------------------------------------------------------------- model
def seed_mlp_step(lib: Any) -> Runner:
    """One SGD step of the seed MLP (784-128-10, batch 64): pybigml.models.mlp.MLP, and the
    same layers in torch, with the same initial weights."""
    import pybigml
    from pybigml.models.mlp import MLP

    if lib is pybigml:
        model = MLP()
    else:
        nn = lib.nn
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    linears = [m for m in model.modules() if isinstance(m, lib.nn.Linear)]
    with lib.no_grad():
        for linear in linears:
            bound = 1 / np.sqrt(linear.in_features)
            shape = (linear.out_features, linear.in_features)
            linear.weight.copy_(lib.from_numpy(rng.uniform(-bound, bound, shape).astype("f4")))
            linear.bias.copy_(lib.from_numpy(rng.uniform(-bound, bound, shape[0]).astype("f4")))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    x = lib.from_numpy(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 64))

    def step() -> Any:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def all_cases() -> list[Case]:
    """Every case of the suite, in the order they run and appear in the report."""
    cases = [gemm_case(case) for case in GEMM_CASES]
    for shape in (
        dict(batch=64, c_in=1, c_out=32, kernel=3, size=28),
        dict(batch=64, c_in=32, c_out=64, kernel=3, size=26),
        dict(batch=64, c_in=32, c_out=64, kernel=3, size=13),
        dict(batch=64, c_in=3, c_out=32, kernel=3, size=24, padding=1),
        dict(batch=64, c_in=32, c_out=64, kernel=3, size=24, padding=1),
        dict(batch=64, c_in=3, c_out=32, kernel=3, size=12, padding=1),
        dict(batch=64, c_in=32, c_out=64, kernel=3, size=12, padding=1),
        dict(batch=64, c_in=1, c_out=32, kernel=3, size=64, dims=1),
        dict(batch=8, c_in=64, c_out=128, kernel=3, size=56),
    ):
        cases += conv_cases(**shape)
    for seq in (128, 256, 512, 1024):
        cases += attention_cases(batch=8, heads=8, seq=seq, dim=64)
    cases += memory_bound_cases()
    cases += reduction_cases()
    cases += pool_cases()
    cases.append(Case("model seed MLP (784-128-10, batch 64) SGD step", "model", seed_mlp_step))
    return cases
