r"""The recurrence of ``RNN``, ``LSTM`` and ``GRU``: one graph node per layer and direction.

At every step ``t`` a cell takes the pre-activations ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T +
b_hh`` of its gates (stacked along the feature axis, in PyTorch's order) to a new state:

* Elman: ``h_t = tanh(a_t)`` (or ``relu``);
* LSTM: gates ``(i, f, g, o)``: ``i, f, o = sigmoid(.)``, ``g = tanh(.)``,
  ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``, and with a projection
  ``h_t = W_hr (o * tanh(c_t))``;
* GRU: gates ``(r, z, n)``: ``r, z = sigmoid(x W_i + b_i + h W_h + b_h)``,
  ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.

The input projection ``x_t W_ih^T + b_ih`` does not depend on the recurrence, so the caller
computes it for the whole sequence at once (one ``linear`` over all rows) and hands it in as
``xg``. :class:`Recurrence` does the rest: its forward loops over the steps (one GEMM
``h W_hh^T`` and the gate math per step) and keeps the gate activations; its backward runs
backpropagation through time, where everything that does not depend on the recurrence is
computed for all steps at once before the loop (the activation derivatives) or after it
(``dW_hh = sum_t dA_t^T h_{t-1}`` is one GEMM over all steps). So a step costs a few array
calls, not a dozen autograd nodes.

Sequences of different lengths (the packed layout of ``nn.utils.rnn.PackedSequence``) use
the same loop: the rows of step ``t`` are ``batch_sizes[t]`` sequences, sorted longest first,
so a step updates the first ``batch_sizes[t]`` rows of the state and leaves the finished (or,
in the reverse direction, not yet started) ones alone. A padded batch is the packed layout
with every batch size equal to ``B``.

The GEMMs run on the backend's native kernel where ``native("recurrence", dtype)`` says so
(float32, float64), else on its array namespace's ``matmul``; the gate math is element-wise
``xp`` calls, in place wherever it can be.

Double backward (``create_graph=True``) differentiates :func:`reference_layer`, the same
recurrence written step by step with tensor ops, which also serves as the readable reference
the tests hold the fast path to.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE, enable_grad
from .linalg import linear
from .shape import cat

__all__ = ["CELLS", "CellMath", "Recurrence", "reference_layer"]

_make = Tensor._make


# ----------------------------------------------------------------------------- cell math
def _sigmoid(xp: ModuleType, x: Any, out: Any) -> Any:
    """``1 / (1 + e^-x)`` into ``out`` in four passes; e^-x may overflow to inf, giving 0."""
    xp.negative(x, out=out)
    xp.exp(out, out=out)
    out += 1
    return xp.reciprocal(out, out=out)


class CellMath:
    """What one kind of cell does at a step, on arrays; :class:`Recurrence` runs the loop.

    Every method takes ``xp``, the array namespace of the arrays it gets. ``gates`` is the
    number of gate blocks of ``hidden`` columns each; ``cell_state`` says whether the cell
    carries ``c`` (LSTM) besides ``h``; ``folds_hidden_bias`` whether ``b_hh`` only ever adds
    to ``x W_ih^T + b_ih`` (then it is added to all steps at once).
    """

    gates = 1
    cell_state = False
    folds_hidden_bias = True

    def allocate(self, xp: ModuleType, rows: int, hidden: int, dtype: Any) -> dict:
        """The arrays ``step`` fills for backward, one row per packed row."""
        return {}

    def step(
        self,
        xp: ModuleType,
        x: Any,
        hh: Any,
        h: Any,
        c: Any | None,
        saved: dict,
        rows: slice,
        out: Any,
    ) -> Any | None:
        """One step: ``x`` is the input part of the pre-activations, ``hh = h W_hh^T`` (plus
        ``b_hh`` unless it was folded into ``x``; a scratch array the step may overwrite).
        Writes the new ``h`` (before any projection) into ``out``; returns the new ``c``."""
        raise NotImplementedError

    def derivatives(
        self, xp: ModuleType, saved: dict, h_prev: Any, c_prev: Any | None, h_new: Any
    ) -> None:
        """Precompute, for all rows at once, the factors ``step_backward`` multiplies by;
        ``h_new`` is what ``step`` wrote into ``out``, all rows."""
        raise NotImplementedError

    def step_backward(
        self, xp: ModuleType, dh: Any, dc: Any | None, saved: dict, rows: slice, d_hh: Any
    ) -> tuple[Any | None, Any | None]:
        """Given the gradients of a step's new ``h`` and ``c``, write the gradient of its
        ``hh`` into ``d_hh[rows]``; return the parts of the gradients of the previous ``h``
        (other than through ``W_hh``) and ``c``."""
        raise NotImplementedError

    def input_gradient(self, xp: ModuleType, saved: dict, d_hh: Any) -> Any:
        """The gradient of the input pre-activations, once the loop is done."""
        return d_hh

    def reference(
        self, x: Tensor, hh: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """``step`` written with tensor ops (differentiable, any order; ``hh`` with ``b_hh``)."""
        raise NotImplementedError


class _ElmanMath(CellMath):
    """``h = tanh(a)`` or ``relu(a)``, ``a`` the one gate; backward reads ``h`` itself."""

    def __init__(self, nonlinearity: str) -> None:
        self.relu = nonlinearity == "relu"

    def step(self, xp, x, hh, h, c, saved, rows, out):
        hh += x
        if self.relu:
            xp.maximum(hh, 0, out=out)
        else:
            xp.tanh(hh, out=out)
        return None

    def derivatives(self, xp, saved, h_prev, c_prev, h_new):
        # tanh' = 1 - tanh^2; relu' = [a > 0] = [h > 0]
        if self.relu:
            saved["slope"] = (h_new > 0).astype(h_new.dtype)
        else:
            slope = xp.multiply(h_new, h_new)
            saved["slope"] = xp.subtract(1, slope, out=slope)

    def step_backward(self, xp, dh, dc, saved, rows, d_hh):
        xp.multiply(dh, saved["slope"][rows], out=d_hh[rows])
        return None, None

    def reference(self, x, hh, h, c):
        a = x + hh
        return (a.relu() if self.relu else a.tanh()), None


class _LSTMMath(CellMath):
    """Gates ``(i, f, g, o)``; ``act`` keeps their activations, ``cell`` and ``tanh_cell``
    the new cell state and its tanh."""

    gates = 4
    cell_state = True

    def allocate(self, xp, rows, hidden, dtype):
        return {
            "act": xp.empty((rows, 4 * hidden), dtype),
            "cell": xp.empty((rows, hidden), dtype),
            "tanh_cell": xp.empty((rows, hidden), dtype),
        }

    def step(self, xp, x, hh, h, c, saved, rows, out):
        hh += x
        n = c.shape[1]
        act = saved["act"][rows]
        # One sigmoid over all four gates: tanh(a) = 2 sigmoid(2a) - 1 for g. numpy's exp
        # is about twice as fast as its tanh, and one call replaces three.
        hh[:, 2 * n : 3 * n] *= 2
        _sigmoid(xp, hh, act)
        g = act[:, 2 * n : 3 * n]
        g *= 2
        g -= 1
        i, f, o = act[:, :n], act[:, n : 2 * n], act[:, 3 * n :]
        c_new = saved["cell"][rows]
        xp.multiply(f, c, out=c_new)
        c_new += i * g
        xp.multiply(o, xp.tanh(c_new, out=saved["tanh_cell"][rows]), out=out)
        return c_new

    def derivatives(self, xp, saved, h_prev, c_prev, h_new):
        act, tanh_c = saved["act"], saved["tanh_cell"]
        n = tanh_c.shape[1]
        i, g, o = act[:, :n], act[:, 2 * n : 3 * n], act[:, 3 * n :]
        # d c_t = dc + dh * o (1 - tanh(c)^2)                       ("through_h")
        # d a_i = d c_t * g * i (1 - i)       d a_f = d c_t * c_{t-1} * f (1 - f)
        # d a_g = d c_t * i * (1 - g^2)       d a_o = dh * tanh(c) * o (1 - o)
        factors = xp.subtract(1, act)
        factors *= act  # s (1 - s), the sigmoid's derivative (the g block is redone below)
        factors[:, :n] *= g
        factors[:, n : 2 * n] *= c_prev
        g_block = factors[:, 2 * n : 3 * n]
        xp.multiply(g, g, out=g_block)
        xp.subtract(1, g_block, out=g_block)
        g_block *= i
        factors[:, 3 * n :] *= tanh_c
        through_h = xp.multiply(tanh_c, tanh_c)
        xp.subtract(1, through_h, out=through_h)
        through_h *= o
        saved["factors"], saved["through_h"] = factors, through_h

    def step_backward(self, xp, dh, dc, saved, rows, d_hh):
        n = dh.shape[1]
        factors = saved["factors"][rows]
        dc_t = dh * saved["through_h"][rows]
        dc_t += dc
        block = d_hh[rows]
        # the three gates driven by d c_t in one broadcast product over (b, 3, n)
        xp.multiply(
            factors[:, : 3 * n].reshape(-1, 3, n),
            dc_t[:, None, :],
            out=block[:, : 3 * n].reshape(-1, 3, n),
        )
        xp.multiply(dh, factors[:, 3 * n :], out=block[:, 3 * n :])
        dc_t *= saved["act"][rows, n : 2 * n]  # d c_{t-1} = d c_t * f
        return None, dc_t

    def reference(self, x, hh, h, c):
        i, f, g, o = (x + hh).chunk(4, 1)
        c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c_new.tanh(), c_new


class _GRUMath(CellMath):
    """Gates ``(r, z, n)``; ``act`` keeps ``r, z, n`` and ``hidden_n`` the hidden part
    ``h W_hn^T + b_hn`` of the candidate's pre-activation (``b_hn`` sits inside ``r *``,
    so ``b_hh`` is added at every step)."""

    gates = 3
    folds_hidden_bias = False

    def allocate(self, xp, rows, hidden, dtype):
        return {
            "act": xp.empty((rows, 3 * hidden), dtype),
            "hidden_n": xp.empty((rows, hidden), dtype),
            "dh": xp.empty((rows, hidden), dtype),
        }

    def step(self, xp, x, hh, h, c, saved, rows, out):
        n = h.shape[1]
        act = saved["act"][rows]
        r_z, cand = act[:, : 2 * n], act[:, 2 * n :]
        xp.add(x[:, : 2 * n], hh[:, : 2 * n], out=r_z)
        _sigmoid(xp, r_z, r_z)
        saved["hidden_n"][rows] = hh[:, 2 * n :]
        xp.multiply(r_z[:, :n], hh[:, 2 * n :], out=cand)
        cand += x[:, 2 * n :]
        xp.tanh(cand, out=cand)
        xp.subtract(h, cand, out=out)  # h' = n + z (h - n)
        out *= r_z[:, n:]
        out += cand
        return None

    def derivatives(self, xp, saved, h_prev, c_prev, h_new):
        act, hidden_n = saved["act"], saved["hidden_n"]
        n = hidden_n.shape[1]
        r, z, cand = act[:, :n], act[:, n : 2 * n], act[:, 2 * n :]
        # dh' = dh:  d a_n = dh (1 - z)(1 - n^2)       d a_z = dh (h - n) z (1 - z)
        #            d a_r = d a_n * hidden_n * r (1 - r)
        # The input and hidden pre-activations share d a_r and d a_z; the candidate's
        # hidden part is scaled by r: d hh_n = d a_n * r.
        factors = xp.empty_like(act)
        d_r, d_z, d_n = factors[:, :n], factors[:, n : 2 * n], factors[:, 2 * n :]
        not_z = xp.subtract(1, z)
        xp.multiply(cand, cand, out=d_n)
        xp.subtract(1, d_n, out=d_n)
        d_n *= not_z
        xp.subtract(h_prev, cand, out=d_z)
        d_z *= z
        d_z *= not_z
        xp.subtract(1, r, out=d_r)
        d_r *= r
        d_r *= hidden_n
        d_r *= d_n
        hidden_factors = factors.copy()
        hidden_factors[:, 2 * n :] *= r
        saved["factors"], saved["hidden_factors"] = factors, hidden_factors

    def step_backward(self, xp, dh, dc, saved, rows, d_hh):
        n = dh.shape[1]
        saved["dh"][rows] = dh
        xp.multiply(
            saved["hidden_factors"][rows].reshape(-1, 3, n),
            dh[:, None, :],
            out=d_hh[rows].reshape(-1, 3, n),
        )
        return dh * saved["act"][rows, n : 2 * n], None  # d h_{t-1} gets dh * z directly

    def input_gradient(self, xp, saved, d_hh):
        dh = saved["dh"]
        n = dh.shape[1]
        factors = saved["factors"]
        return (factors.reshape(-1, 3, n) * dh[:, None, :]).reshape(factors.shape)

    def reference(self, x, hh, h, c):
        x_r, x_z, x_n = x.chunk(3, 1)
        h_r, h_z, h_n = hh.chunk(3, 1)
        r = (x_r + h_r).sigmoid()
        z = (x_z + h_z).sigmoid()
        cand = (x_n + r * h_n).tanh()
        return cand + z * (h - cand), None


# mode (PyTorch's names for the kinds of recurrent layer) -> what its cell computes
CELLS: dict[str, CellMath] = {
    "RNN_TANH": _ElmanMath("tanh"),
    "RNN_RELU": _ElmanMath("relu"),
    "LSTM": _LSTMMath(),
    "GRU": _GRUMath(),
}


# ----------------------------------------------------------------------------- the recurrence
def _schedule(batch_sizes: tuple[int, ...], reverse: bool) -> list[tuple[slice, int]]:
    """``(rows of step t in the packed layout, batch size)`` in the order the steps run."""
    steps = []
    start = 0
    for size in batch_sizes:
        steps.append((slice(start, start + size), size))
        start += size
    steps = [s for s in steps if s[1] > 0]
    return steps[::-1] if reverse else steps


def _kernels(*arrays: Any) -> tuple[ModuleType, Any]:
    """The array namespace of ``arrays`` and their GEMM, ``gemm(a, b, out=None) -> out``: the
    backend's native kernel where it runs the recurrence's dtype, else ``xp.matmul``."""
    be = backend.of(*arrays)
    native = be.native("recurrence", arrays[0].dtype)
    return be.xp, (be.gemm if native else be.xp.matmul)


class Recurrence(Function):
    """One layer, one direction, all steps: ``(xg, h0, c0) -> (out, h_n[, c_n])``.

    ``apply(cell, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)``: ``cell`` is one of
    :data:`CELLS`; ``xg`` is ``(N, gates * hidden)``, the input pre-activations
    ``x W_ih^T + b_ih`` of all ``N`` packed rows; ``h0`` ``(B, P)``; ``w_hh``
    ``(gates * hidden, P)``; ``batch_sizes`` the rows of each step (a tuple of ints summing
    to ``N``, decreasing); ``reverse`` runs the steps last to first. ``out`` is ``(N, P)``,
    the ``h`` of every row (``P`` the projection size, else ``hidden``). ``c0`` and ``c_n``
    exist for the LSTM only; ``b_hh`` and ``w_hr`` ``(P, hidden)`` may be ``None``.

    With ``dA_t`` the gradient of step ``t``'s hidden pre-activations ``hh_t`` (the cell's
    ``step_backward``), backward runs the steps last to first, then sums over all of them:

        dh_{t-1} = dA_t W_hh (+ the cell's direct part)      dW_hh = sum_t dA_t^T h_{t-1}
        db_hh = sum_t dA_t      dW_hr = sum_t dy_t^T m_t  (m_t the h before the projection)

    and ``dxg`` is the cell's ``input_gradient`` (``dA`` itself but for the GRU's candidate).
    """

    @staticmethod
    def forward(ctx, cell, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
        _check_dtypes(xg, h0, c0, w_hh)
        bias = b_hh._data if b_hh is not None else None
        x = xg._data
        xp, gemm = _kernels(x, h0._data, w_hh._data)
        if bias is not None and cell.folds_hidden_bias:
            x = x + bias  # b_hh added to every step at once
            bias = None
        x = xp.ascontiguousarray(x)
        dtype = x.dtype
        rows_total = x.shape[0]
        hidden = w_hh._data.shape[0] // cell.gates
        h = h0._data.copy()
        c = c0._data.copy() if c0 is not None else None
        out = xp.empty((rows_total, h.shape[1]), dtype)
        h_prev = xp.empty_like(out)
        c_prev = xp.empty((rows_total, hidden), dtype) if c is not None else None
        saved = cell.allocate(xp, rows_total, hidden, dtype)
        projected = xp.empty((rows_total, hidden), dtype) if w_hr is not None else None
        scratch = xp.empty((h.shape[0], w_hh._data.shape[0]), dtype)
        w_hh_t = w_hh._data.T
        w_hr_t = w_hr._data.T if w_hr is not None else None
        with np.errstate(over="ignore"):  # e^-x of a very negative pre-activation: inf -> 0
            for rows, size in _schedule(batch_sizes, reverse):
                h_t = h[:size]
                h_prev[rows] = h_t
                hh = gemm(h_t, w_hh_t, scratch[:size])
                if bias is not None:
                    hh += bias
                c_t = None
                if c is not None:
                    c_t = c[:size]
                    c_prev[rows] = c_t
                target = projected[rows] if w_hr_t is not None else out[rows]
                c_new = cell.step(xp, x[rows], hh, h_t, c_t, saved, rows, target)
                if w_hr_t is not None:
                    gemm(target, w_hr_t, out[rows])
                h_t[...] = out[rows]
                if c_t is not None:
                    c_t[...] = c_new
        ctx.cell, ctx.batch_sizes, ctx.reverse = cell, batch_sizes, reverse
        ctx.arrays = (saved, h_prev, c_prev, projected if w_hr is not None else out)
        ctx.save_for_backward(xg, h0, c0, w_hh, b_hh, w_hr)
        outputs = (_make(out), _make(h))
        return outputs + (_make(c),) if c is not None else outputs

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c=None):
        xg, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
        if GRAD_STATE.enabled:  # create_graph: differentiate the tensor-op reference
            return _reference_backward(ctx, (grad_out, grad_h, grad_c))
        cell = ctx.cell
        saved, h_prev, c_prev, h_new = ctx.arrays
        w = w_hh._data
        w_hr_data = w_hr._data if w_hr is not None else None
        go = grad_out._data
        xp, gemm = _kernels(w, go)
        dh = grad_h._data.copy()
        dc = grad_c._data.copy() if grad_c is not None else None
        d_hh = xp.empty((go.shape[0], w.shape[0]), w.dtype)
        d_out = xp.empty_like(go) if w_hr is not None else None
        cell.derivatives(xp, saved, h_prev, c_prev, h_new)
        for rows, size in reversed(_schedule(ctx.batch_sizes, ctx.reverse)):
            dh_t = dh[:size] + go[rows]
            if w_hr_data is not None:
                d_out[rows] = dh_t
                dh_t = gemm(dh_t, w_hr_data)
            direct, dc_prev = cell.step_backward(
                xp, dh_t, dc[:size] if dc is not None else None, saved, rows, d_hh
            )
            if dc_prev is not None:
                dc[:size] = dc_prev
            gemm(d_hh[rows], w, dh[:size])
            if direct is not None:
                dh[:size] += direct
        needs = ctx.needs_input_grad
        grads = [
            _make(cell.input_gradient(xp, saved, d_hh)) if needs[1] else None,
            _make(dh) if needs[2] else None,
            _make(dc) if dc is not None and needs[3] else None,
            _make(gemm(d_hh.T, h_prev)) if needs[4] else None,  # sum_t d_hh_t^T h_{t-1}
            _make(d_hh.sum(axis=0)) if needs[5] else None,
            _make(gemm(d_out.T, h_new)) if w_hr is not None and needs[6] else None,
        ]
        return (None, *grads, None, None)

    def release(self) -> None:
        super().release()
        self.arrays = None


def _check_dtypes(xg: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor) -> None:
    """The states must have the weights' dtype (the kernels do not promote)."""
    expected = w_hh._data.dtype
    for name, t in (("input", xg), ("hidden state", h0), ("cell state", c0)):
        if t is not None and t._data.dtype != expected:
            raise RuntimeError(
                f"recurrent layer: the {name} is {t.dtype} but the weights are "
                f"{w_hh.dtype}; convert one of them"
            )


def reference_layer(
    cell: CellMath,
    xg: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None,
    batch_sizes: tuple[int, ...],
    reverse: bool,
) -> tuple[Tensor, ...]:
    """What :class:`Recurrence` computes (same arguments), step by step with tensor ops, so
    autograd differentiates it to any order."""
    h, c = h0, c0
    outputs: dict[int, Tensor] = {}
    for rows, size in _schedule(batch_sizes, reverse):
        c_t = c[:size] if c is not None else None
        y, c_new = cell.reference(xg[rows], linear(h[:size], w_hh, b_hh), h[:size], c_t)
        if w_hr is not None:
            y = linear(y, w_hr)
        outputs[rows.start] = y
        h = y if size == h.shape[0] else cat([y, h[size:]])
        if c is not None:
            c = c_new if size == c.shape[0] else cat([c_new, c[size:]])
    out = cat([outputs[start] for start in sorted(outputs)]) if outputs else xg[:, :0]
    return (out, h) if c is None else (out, h, c)


def _reference_backward(ctx: Recurrence, grads: tuple) -> tuple:
    """The gradients of :class:`Recurrence` as a graph, through :func:`reference_layer`."""
    xg, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
    inputs = (xg, h0, c0, w_hh, b_hh, w_hr)
    needs = ctx.needs_input_grad[1:7]
    with enable_grad():
        outputs = reference_layer(
            ctx.cell, xg, h0, c0, w_hh, b_hh, w_hr, ctx.batch_sizes, ctx.reverse
        )
        wanted = [t for t, need in zip(inputs, needs) if need]
        found = autograd_grad(
            outputs,
            wanted,
            grads[: len(outputs)],
            retain_graph=True,
            create_graph=True,
            allow_unused=True,
        )
    found = iter(found)
    return (None, *(next(found) if need else None for need in needs), None, None)
