r"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Each layer computes, at every step ``t`` and for each of its gates, a pre-activation
``x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh`` (the gates stacked along the feature axis,
in PyTorch's order), then:

* RNN:  ``h_t = tanh(a_t)`` (or ``relu``);
* LSTM: gates ``(i, f, g, o)``: ``i, f, o = sigmoid(.)``, ``g = tanh(.)``,
  ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``, and with ``proj_size > 0``
  ``h_t = W_hr (o * tanh(c_t))``;
* GRU:  gates ``(r, z, n)``: ``r, z = sigmoid(x W_i + b_i + h W_h + b_h)``,
  ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.

How it runs. The input projection of every step does not depend on the recurrence, so a
layer computes it for the whole sequence at once, ``F.linear`` over all ``T * B`` rows (one
GEMM, differentiated by autograd as usual). The recurrence itself is one graph node per
layer and direction, ``_Recurrence``: its forward loops over the steps in numpy (one GEMM
``h W_hh^T`` and the gate math per step) and keeps the gate activations; its backward runs
backpropagation through time in numpy, where everything that does not depend on the
recurrence is computed for all steps at once before the loop (the activation derivatives)
or after it (``dW_hh = sum_t dA_t^T h_{t-1}`` is one GEMM over all steps). So a step costs
a few numpy calls, not a dozen autograd nodes.

Sequences of different lengths (``PackedSequence``) use the same loop: the rows of step
``t`` are ``batch_sizes[t]`` sequences, sorted longest first, so a step updates the first
``batch_sizes[t]`` rows of the state and leaves the finished (or, in the reverse
direction, not yet started) ones alone. A padded batch is the packed layout with every
batch size equal to ``B``.

Double backward (``create_graph=True``) differentiates ``_reference_layer``, the same
recurrence written step by step with tensor ops, which also serves as the readable
reference the tests hold the fast path to.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import pybigml

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE, enable_grad
from ..backend import cpu as _C
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_make = Tensor._make


# ----------------------------------------------------------------------------- cell math
def _sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-x)`` into ``out`` in four passes; e^-x may overflow to inf, giving 0."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class _CellMath:
    """What one kind of cell does at a step, on numpy arrays; ``_Recurrence`` runs the loop.

    ``gates`` is the number of gate blocks of ``hidden`` columns each; ``cell_state`` says
    whether the cell carries ``c`` (LSTM) besides ``h``; ``folds_hidden_bias`` whether
    ``b_hh`` only ever adds to ``x W_ih^T + b_ih`` (then it is added to all steps at once).
    """

    gates = 1
    cell_state = False
    folds_hidden_bias = True

    def allocate(self, rows: int, hidden: int, dtype: np.dtype) -> dict:
        """The arrays ``step`` fills for backward, one row per packed row."""
        return {}

    def step(
        self,
        x: np.ndarray,
        hh: np.ndarray,
        h: np.ndarray,
        c: np.ndarray | None,
        saved: dict,
        rows: slice,
        out: np.ndarray,
    ) -> np.ndarray | None:
        """One step: ``x`` is the input part of the pre-activations, ``hh = h W_hh^T`` (plus
        ``b_hh`` unless it was folded into ``x``; a scratch array the step may overwrite).
        Writes the new ``h`` (before any projection) into ``out``; returns the new ``c``."""
        raise NotImplementedError

    def derivatives(
        self, saved: dict, h_prev: np.ndarray, c_prev: np.ndarray | None, h_new: np.ndarray
    ) -> None:
        """Precompute, for all rows at once, the factors ``step_backward`` multiplies by;
        ``h_new`` is what ``step`` wrote into ``out``, all rows."""
        raise NotImplementedError

    def step_backward(
        self, dh: np.ndarray, dc: np.ndarray | None, saved: dict, rows: slice, d_hh: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Given the gradients of a step's new ``h`` and ``c``, write the gradient of its
        ``hh`` into ``d_hh[rows]``; return the parts of the gradients of the previous ``h``
        (other than through ``W_hh``) and ``c``."""
        raise NotImplementedError

    def input_gradient(self, saved: dict, d_hh: np.ndarray) -> np.ndarray:
        """The gradient of the input pre-activations, once the loop is done."""
        return d_hh

    def reference(
        self, x: Tensor, hh: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """``step`` written with tensor ops (differentiable, any order; ``hh`` with ``b_hh``)."""
        raise NotImplementedError


class _ElmanMath(_CellMath):
    """``h = tanh(a)`` or ``relu(a)``, ``a`` the one gate; backward reads ``h`` itself."""

    def __init__(self, nonlinearity: str) -> None:
        self.relu = nonlinearity == "relu"

    def step(self, x, hh, h, c, saved, rows, out):
        hh += x
        if self.relu:
            np.maximum(hh, 0, out=out)
        else:
            np.tanh(hh, out=out)
        return None

    def derivatives(self, saved, h_prev, c_prev, h_new):
        # tanh' = 1 - tanh^2; relu' = [a > 0] = [h > 0]
        if self.relu:
            saved["slope"] = (h_new > 0).astype(h_new.dtype)
        else:
            slope = np.multiply(h_new, h_new)
            saved["slope"] = np.subtract(1, slope, out=slope)

    def step_backward(self, dh, dc, saved, rows, d_hh):
        np.multiply(dh, saved["slope"][rows], out=d_hh[rows])
        return None, None

    def reference(self, x, hh, h, c):
        a = x + hh
        return (a.relu() if self.relu else a.tanh()), None


class _LSTMMath(_CellMath):
    """Gates ``(i, f, g, o)``; ``act`` keeps their activations, ``cell`` and ``tanh_cell``
    the new cell state and its tanh."""

    gates = 4
    cell_state = True

    def allocate(self, rows, hidden, dtype):
        return {
            "act": np.empty((rows, 4 * hidden), dtype),
            "cell": np.empty((rows, hidden), dtype),
            "tanh_cell": np.empty((rows, hidden), dtype),
        }

    def step(self, x, hh, h, c, saved, rows, out):
        hh += x
        n = c.shape[1]
        act = saved["act"][rows]
        # One sigmoid over all four gates: tanh(a) = 2 sigmoid(2a) - 1 for g. numpy's exp
        # is about twice as fast as its tanh, and one call replaces three.
        hh[:, 2 * n : 3 * n] *= 2
        _sigmoid(hh, act)
        g = act[:, 2 * n : 3 * n]
        g *= 2
        g -= 1
        i, f, o = act[:, :n], act[:, n : 2 * n], act[:, 3 * n :]
        c_new = saved["cell"][rows]
        np.multiply(f, c, out=c_new)
        c_new += i * g
        np.multiply(o, np.tanh(c_new, out=saved["tanh_cell"][rows]), out=out)
        return c_new

    def derivatives(self, saved, h_prev, c_prev, h_new):
        act, tanh_c = saved["act"], saved["tanh_cell"]
        n = tanh_c.shape[1]
        i, g, o = act[:, :n], act[:, 2 * n : 3 * n], act[:, 3 * n :]
        # d c_t = dc + dh * o (1 - tanh(c)^2)                       ("through_h")
        # d a_i = d c_t * g * i (1 - i)       d a_f = d c_t * c_{t-1} * f (1 - f)
        # d a_g = d c_t * i * (1 - g^2)       d a_o = dh * tanh(c) * o (1 - o)
        factors = np.subtract(1, act)
        factors *= act  # s (1 - s), the sigmoid's derivative (the g block is redone below)
        factors[:, :n] *= g
        factors[:, n : 2 * n] *= c_prev
        g_block = factors[:, 2 * n : 3 * n]
        np.multiply(g, g, out=g_block)
        np.subtract(1, g_block, out=g_block)
        g_block *= i
        factors[:, 3 * n :] *= tanh_c
        through_h = np.multiply(tanh_c, tanh_c)
        np.subtract(1, through_h, out=through_h)
        through_h *= o
        saved["factors"], saved["through_h"] = factors, through_h

    def step_backward(self, dh, dc, saved, rows, d_hh):
        n = dh.shape[1]
        factors = saved["factors"][rows]
        dc_t = dh * saved["through_h"][rows]
        dc_t += dc
        block = d_hh[rows]
        # the three gates driven by d c_t in one broadcast product over (b, 3, n)
        np.multiply(
            factors[:, : 3 * n].reshape(-1, 3, n),
            dc_t[:, None, :],
            out=block[:, : 3 * n].reshape(-1, 3, n),
        )
        np.multiply(dh, factors[:, 3 * n :], out=block[:, 3 * n :])
        dc_t *= saved["act"][rows, n : 2 * n]  # d c_{t-1} = d c_t * f
        return None, dc_t

    def reference(self, x, hh, h, c):
        i, f, g, o = (x + hh).chunk(4, 1)
        c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c_new.tanh(), c_new


class _GRUMath(_CellMath):
    """Gates ``(r, z, n)``; ``act`` keeps ``r, z, n`` and ``hidden_n`` the hidden part
    ``h W_hn^T + b_hn`` of the candidate's pre-activation (``b_hn`` sits inside ``r *``,
    so ``b_hh`` is added at every step)."""

    gates = 3
    folds_hidden_bias = False

    def allocate(self, rows, hidden, dtype):
        return {
            "act": np.empty((rows, 3 * hidden), dtype),
            "hidden_n": np.empty((rows, hidden), dtype),
            "dh": np.empty((rows, hidden), dtype),
        }

    def step(self, x, hh, h, c, saved, rows, out):
        n = h.shape[1]
        act = saved["act"][rows]
        r_z, cand = act[:, : 2 * n], act[:, 2 * n :]
        np.add(x[:, : 2 * n], hh[:, : 2 * n], out=r_z)
        _sigmoid(r_z, r_z)
        saved["hidden_n"][rows] = hh[:, 2 * n :]
        np.multiply(r_z[:, :n], hh[:, 2 * n :], out=cand)
        cand += x[:, 2 * n :]
        np.tanh(cand, out=cand)
        np.subtract(h, cand, out=out)  # h' = n + z (h - n)
        out *= r_z[:, n:]
        out += cand
        return None

    def derivatives(self, saved, h_prev, c_prev, h_new):
        act, hidden_n = saved["act"], saved["hidden_n"]
        n = hidden_n.shape[1]
        r, z, cand = act[:, :n], act[:, n : 2 * n], act[:, 2 * n :]
        # dh' = dh:  d a_n = dh (1 - z)(1 - n^2)       d a_z = dh (h - n) z (1 - z)
        #            d a_r = d a_n * hidden_n * r (1 - r)
        # The input and hidden pre-activations share d a_r and d a_z; the candidate's
        # hidden part is scaled by r: d hh_n = d a_n * r.
        factors = np.empty_like(act)
        d_r, d_z, d_n = factors[:, :n], factors[:, n : 2 * n], factors[:, 2 * n :]
        not_z = np.subtract(1, z)
        np.multiply(cand, cand, out=d_n)
        np.subtract(1, d_n, out=d_n)
        d_n *= not_z
        np.subtract(h_prev, cand, out=d_z)
        d_z *= z
        d_z *= not_z
        np.subtract(1, r, out=d_r)
        d_r *= r
        d_r *= hidden_n
        d_r *= d_n
        hidden_factors = factors.copy()
        hidden_factors[:, 2 * n :] *= r
        saved["factors"], saved["hidden_factors"] = factors, hidden_factors

    def step_backward(self, dh, dc, saved, rows, d_hh):
        n = dh.shape[1]
        saved["dh"][rows] = dh
        np.multiply(
            saved["hidden_factors"][rows].reshape(-1, 3, n),
            dh[:, None, :],
            out=d_hh[rows].reshape(-1, 3, n),
        )
        return dh * saved["act"][rows, n : 2 * n], None  # d h_{t-1} gets dh * z directly

    def input_gradient(self, saved, d_hh):
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


_MATH = {
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


class _Recurrence(Function):
    """One layer, one direction, all steps: ``(xg, h0, c0) -> (out, h_n[, c_n])``.

    ``xg`` is ``(N, gates * hidden)``, the input pre-activations ``x W_ih^T + b_ih`` of all
    ``N`` packed rows; ``out`` is ``(N, P)``, the ``h`` of every row (``P`` the projection
    size, else ``hidden``). ``c0`` and ``c_n`` exist for the LSTM only; ``b_hh`` and
    ``w_hr`` may be ``None``.
    """

    @staticmethod
    def forward(ctx, cell, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
        _check_dtypes(xg, h0, c0, w_hh)
        bias = b_hh._data if b_hh is not None else None
        x = xg._data
        if bias is not None and cell.folds_hidden_bias:
            x = x + bias  # b_hh added to every step at once
            bias = None
        x = np.ascontiguousarray(x)
        dtype = x.dtype
        rows_total = x.shape[0]
        hidden = w_hh._data.shape[0] // cell.gates
        h = h0._data.copy()
        c = c0._data.copy() if c0 is not None else None
        out = np.empty((rows_total, h.shape[1]), dtype)
        h_prev = np.empty_like(out)
        c_prev = np.empty((rows_total, hidden), dtype) if c is not None else None
        saved = cell.allocate(rows_total, hidden, dtype)
        projected = np.empty((rows_total, hidden), dtype) if w_hr is not None else None
        scratch = np.empty((h.shape[0], w_hh._data.shape[0]), dtype)
        w_hh_t = w_hh._data.T
        w_hr_t = w_hr._data.T if w_hr is not None else None
        with np.errstate(over="ignore"):  # e^-x of a very negative pre-activation: inf -> 0
            for rows, size in _schedule(batch_sizes, reverse):
                h_t = h[:size]
                h_prev[rows] = h_t
                hh = _C.gemm(h_t, w_hh_t, scratch[:size])
                if bias is not None:
                    hh += bias
                c_t = None
                if c is not None:
                    c_t = c[:size]
                    c_prev[rows] = c_t
                target = projected[rows] if w_hr_t is not None else out[rows]
                c_new = cell.step(x[rows], hh, h_t, c_t, saved, rows, target)
                if w_hr_t is not None:
                    _C.gemm(target, w_hr_t, out[rows])
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
        w_hr_np = w_hr._data if w_hr is not None else None
        go = grad_out._data
        dh = grad_h._data.copy()
        dc = grad_c._data.copy() if grad_c is not None else None
        d_hh = np.empty((go.shape[0], w.shape[0]), w.dtype)
        d_out = np.empty_like(go) if w_hr is not None else None
        cell.derivatives(saved, h_prev, c_prev, h_new)
        for rows, size in reversed(_schedule(ctx.batch_sizes, ctx.reverse)):
            dh_t = dh[:size] + go[rows]
            if w_hr_np is not None:
                d_out[rows] = dh_t
                dh_t = _C.gemm(dh_t, w_hr_np)
            direct, dc_prev = cell.step_backward(
                dh_t, dc[:size] if dc is not None else None, saved, rows, d_hh
            )
            if dc_prev is not None:
                dc[:size] = dc_prev
            _C.gemm(d_hh[rows], w, dh[:size])
            if direct is not None:
                dh[:size] += direct
        needs = ctx.needs_input_grad
        grads = [
            _make(cell.input_gradient(saved, d_hh)) if needs[1] else None,
            _make(dh) if needs[2] else None,
            _make(dc) if dc is not None and needs[3] else None,
            _make(_C.gemm(d_hh.T, h_prev)) if needs[4] else None,  # sum_t d_hh_t^T h_{t-1}
            _make(d_hh.sum(axis=0)) if needs[5] else None,
            _make(_C.gemm(d_out.T, h_new)) if w_hr is not None and needs[6] else None,
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


def _reference_layer(
    cell: _CellMath,
    xg: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None,
    batch_sizes: tuple[int, ...],
    reverse: bool,
) -> tuple[Tensor, ...]:
    """What ``_Recurrence`` computes, step by step with tensor ops (differentiable)."""
    h, c = h0, c0
    outputs: dict[int, Tensor] = {}
    for rows, size in _schedule(batch_sizes, reverse):
        c_t = c[:size] if c is not None else None
        y, c_new = cell.reference(xg[rows], F.linear(h[:size], w_hh, b_hh), h[:size], c_t)
        if w_hr is not None:
            y = F.linear(y, w_hr)
        outputs[rows.start] = y
        h = y if size == h.shape[0] else pybigml.cat([y, h[size:]])
        if c is not None:
            c = c_new if size == c.shape[0] else pybigml.cat([c_new, c[size:]])
    out = pybigml.cat([outputs[start] for start in sorted(outputs)]) if outputs else xg[:, :0]
    return (out, h) if c is None else (out, h, c)


def _reference_backward(ctx: _Recurrence, grads: tuple) -> tuple:
    """The gradients of ``_Recurrence`` as a graph, through ``_reference_layer``."""
    xg, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
    inputs = (xg, h0, c0, w_hh, b_hh, w_hr)
    needs = ctx.needs_input_grad[1:7]
    with enable_grad():
        outputs = _reference_layer(
            ctx.cell, xg, h0, c0, w_hh, b_hh, w_hr, ctx.batch_sizes, ctx.reverse
        )
        wanted = [t for t, need in zip(inputs, needs) if need]
        found = pybigml.autograd.grad(
            outputs,
            wanted,
            grads[: len(outputs)],
            retain_graph=True,
            create_graph=True,
            allow_unused=True,
        )
    found = iter(found)
    return (None, *(next(found) if need else None for need in needs), None, None)


# ----------------------------------------------------------------------------- layers


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: their parameters, checks and the layer stack.

    Parameters are named as PyTorch names them, in the same order, so state dicts move
    between the two: for each layer ``k`` and direction (suffix ``_reverse`` for the
    second), ``weight_ih_lk`` ``(gates * hidden, in)``, ``weight_hh_lk``
    ``(gates * hidden, P)``, then ``bias_ih_lk``, ``bias_hh_lk`` if ``bias``, then
    ``weight_hr_lk`` ``(P, hidden)`` if ``proj_size > 0``. All start from
    ``U(-1/sqrt(hidden), 1/sqrt(hidden))``.

    Args:
        mode: ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``.
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: recurrent layers stacked, each reading the previous one's output.
        bias: learn ``b_ih`` and ``b_hh``.
        batch_first: inputs and outputs are ``(B, T, *)`` instead of ``(T, B, *)``.
        dropout: dropout probability on the output of every layer but the last (training).
        bidirectional: add a layer running backwards in time; outputs are concatenated.
        proj_size: LSTM only, project ``h`` to this size (``0``: no projection).
        device, dtype: where and of what type the parameters are made.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_options(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        if mode not in _MATH:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _MATH[mode].gates * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, real_hidden),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = kind + suffix
                    empty = pybigml.empty(shape, device=device, dtype=dtype)
                    setattr(self, name, Parameter(empty))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter | None]:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Kept for PyTorch compatibility: parameters already live in separate arrays that the
        kernels read in place, so there is nothing to flatten."""

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    # -------------------------------------------------------------- checks (PyTorch's)
    def check_input(self, input: Tensor, batch_sizes: Tensor | None) -> None:
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def _mini_batch(self, input: Tensor, batch_sizes: Tensor | None) -> int:
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(
        self, input: Tensor, batch_sizes: Tensor | None
    ) -> tuple[int, int, int]:
        directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(
        self,
        hx: Tensor,
        expected_hidden_size: tuple[int, int, int],
        msg: str = "Expected hidden size {}, got {}",
    ) -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes: Tensor | None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Tensor, permutation: Tensor | None) -> Tensor:
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -------------------------------------------------------------- the layer stack
    def _unpack_input(self, input: Any) -> tuple[Tensor, Tensor | None, Tensor | None, bool]:
        """``(data, batch_sizes, sorted_indices, is_batched)``; an unbatched input gets its
        batch dimension here."""
        if isinstance(input, PackedSequence):
            return input.data, input.batch_sizes, input.sorted_indices, True
        if input.dim() not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead"
            )
        if input.dim() == 2:
            return input.unsqueeze(0 if self.batch_first else 1), None, None, False
        return input, None, None, True

    def _zeros(self, input: Tensor, batch_sizes: Tensor | None, size: int) -> Tensor:
        directions = 2 if self.bidirectional else 1
        batch = self._mini_batch(input, batch_sizes)
        return pybigml.zeros((self.num_layers * directions, batch, size), dtype=input.dtype)

    def _run(
        self, input: Tensor, batch_sizes: Tensor | None, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """All layers and directions over a checked, batched input; returns the output (same
        layout as ``input``) and the stacked final states."""
        if batch_sizes is None:
            steps = input.shape[1 if self.batch_first else 0]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            time_major = input.transpose(0, 1) if self.batch_first else input
            batch = time_major.shape[1]
            rows = time_major.reshape(steps * batch, self.input_size)
            sizes = (batch,) * steps
        else:
            rows = input
            sizes = tuple(int(s) for s in batch_sizes._data)
        cell = _MATH[self.mode]
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                names = self._all_weights[index]
                params = {name.split("_l")[0]: getattr(self, name) for name in names}
                xg = F.linear(rows, params["weight_ih"], params.get("bias_ih"))
                result = _Recurrence.apply(
                    cell,
                    xg,
                    h0[index],
                    c0[index] if c0 is not None else None,
                    params["weight_hh"],
                    params.get("bias_hh"),
                    params.get("weight_hr"),
                    sizes,
                    direction == 1,
                )
                outputs.append(result[0])
                h_n.append(result[1])
                if c0 is not None:
                    c_n.append(result[2])
            rows = outputs[0] if directions == 1 else pybigml.cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                rows = F.dropout(rows, self.dropout, True)
        if batch_sizes is None:
            out = rows.reshape(len(sizes), sizes[0], rows.shape[1])
            rows = out.transpose(0, 1) if self.batch_first else out
        return rows, pybigml.stack(h_n), pybigml.stack(c_n) if c0 is not None else None

    def _forward_single_state(self, input: Any, hx: Tensor | None) -> tuple[Any, Tensor]:
        """``forward`` of the RNN and GRU (one state tensor)."""
        data, batch_sizes, sorted_indices, is_batched = self._unpack_input(input)
        if hx is not None:
            if not is_batched:
                if hx.dim() != 2:
                    raise RuntimeError(
                        "For unbatched 2-D input, hx should also be 2-D but got "
                        f"{hx.dim()}-D tensor"
                    )
                hx = hx.unsqueeze(1)
            elif batch_sizes is None and hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
                )
            hx = self.permute_hidden(hx, sorted_indices)
        else:
            hx = self._zeros(data, batch_sizes, self.hidden_size)
        self.check_forward_args(data, hx, batch_sizes)
        out, h_n, _ = self._run(data, batch_sizes, hx, None)
        return self._finish(input, out, is_batched), self._finish_state(input, h_n, is_batched)

    def _finish(self, input: Any, out: Tensor, is_batched: bool) -> Any:
        if isinstance(input, PackedSequence):
            return PackedSequence(
                out, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
        return out if is_batched else out.squeeze(0 if self.batch_first else 1)

    @staticmethod
    def _finish_state(input: Any, state: Tensor, is_batched: bool) -> Tensor:
        if isinstance(input, PackedSequence) and input.unsorted_indices is not None:
            return state.index_select(1, input.unsorted_indices)
        return state if is_batched else state.squeeze(1)


def _check_options(
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bias: bool,
    batch_first: bool,
    dropout: float,
    proj_size: int,
) -> None:
    """PyTorch's constructor checks, in its order."""
    if (
        not isinstance(dropout, numbers.Number)
        or isinstance(dropout, bool)
        or not 0 <= dropout <= 1
    ):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=4,
        )
    for name, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNN(RNNBase):
    """A stack of Elman layers: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``; see
    ``RNNBase`` for the arguments; ``nonlinearity`` is ``'tanh'`` or ``'relu'``.

    ``forward(input, hx=None)``: ``input`` is ``(T, B, input_size)`` (``(B, T, .)`` with
    ``batch_first``), ``(T, input_size)`` unbatched, or a ``PackedSequence``; ``hx`` is
    ``(num_layers * D, B, hidden_size)`` (zeros if omitted). Returns ``(output, h_n)``:
    ``output`` ``(T, B, D * hidden_size)`` (packed if the input was), ``h_n`` the final state
    of every layer and direction.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(pybigml.randn(5, 3, 10), pybigml.randn(2, 3, 20))
        >>> output.shape, h_n.shape
        (pybigml.Size([5, 3, 20]), pybigml.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._forward_single_state(input, hx)


class GRU(RNNBase):
    """A stack of gated recurrent units (gates ``r, z, n``; see the module docstring).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)``; ``forward(input, hx=None)`` as ``RNN``'s.

    Example::

        >>> gru = nn.GRU(10, 20, 2, batch_first=True)
        >>> output, h_n = gru(pybigml.randn(3, 5, 10))
        >>> output.shape
        pybigml.Size([3, 5, 20])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._forward_single_state(input, hx)


class LSTM(RNNBase):
    """A stack of long short-term memory layers (gates ``i, f, g, o``), optionally with a
    projection of ``h`` (``proj_size``).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)``.

    ``forward(input, hx=None)``: ``hx = (h_0, c_0)`` with ``h_0`` ``(num_layers * D, B, P)``
    (``P = proj_size or hidden_size``) and ``c_0`` ``(num_layers * D, B, hidden_size)``,
    zeros if omitted. Returns ``(output, (h_n, c_n))``.

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (h_n, c_n) = lstm(pybigml.randn(5, 3, 10))
        >>> output.shape, c_n.shape
        (pybigml.Size([5, 3, 20]), pybigml.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(
        self, input: Tensor, batch_sizes: Tensor | None
    ) -> tuple[int, int, int]:
        directions = 2 if self.bidirectional else 1
        return (
            self.num_layers * directions,
            self._mini_batch(input, batch_sizes),
            self.hidden_size,
        )

    def check_forward_args(  # type: ignore[override]
        self, input: Tensor, hidden: tuple[Tensor, Tensor], batch_sizes: Tensor | None
    ) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def permute_hidden(  # type: ignore[override]
        self, hx: tuple[Tensor, Tensor], permutation: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(
        self, input: Any, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Any, tuple[Tensor, Tensor]]:
        data, batch_sizes, sorted_indices, is_batched = self._unpack_input(input)
        if hx is None:
            real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (
                self._zeros(data, batch_sizes, real_hidden),
                self._zeros(data, batch_sizes, self.hidden_size),
            )
        elif batch_sizes is None:
            expected = 3 if is_batched else 2
            if hx[0].dim() != expected or hx[1].dim() != expected:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {expected}-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
            if not is_batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        out, h_n, c_n = self._run(data, batch_sizes, hx[0], hx[1])
        return self._finish(input, out, is_batched), (
            self._finish_state(input, h_n, is_batched),
            self._finish_state(input, c_n, is_batched),
        )


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """What the one-step cells share: ``weight_ih`` ``(chunks * hidden, input_size)``,
    ``weight_hh`` ``(chunks * hidden, hidden)``, ``bias_ih`` and ``bias_hh``
    ``(chunks * hidden,)`` (``None`` without ``bias``), all from
    ``U(-1/sqrt(hidden), 1/sqrt(hidden))``.

    A cell runs the layers' recurrence for one step, so it is as fast as a layer's step.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(pybigml.empty((rows, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(pybigml.empty((rows, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(pybigml.empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(pybigml.empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _prepare(
        self, input: Tensor, states: tuple[Tensor | None, ...]
    ) -> tuple[Tensor, tuple[Tensor, ...], bool]:
        """PyTorch's checks; returns the batched input, the batched (or zero) states and
        whether the input was batched."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for i, state in enumerate(states):
            if state is not None and state.dim() not in (1, 2):
                what = "hidden" if len(states) == 1 else f"hx[{i}]"
                raise ValueError(
                    f"{name}: Expected {what} to be 1D or 2D, got {state.dim()}D instead"
                )
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        batch = input.shape[0]
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        batched = []
        for i, state in enumerate(states):
            if state is None:
                state = pybigml.zeros((batch, self.hidden_size), dtype=input.dtype)
            elif not is_batched:
                state = state.unsqueeze(0)
            if state.shape[0] != batch:
                raise RuntimeError(
                    f"Input batch size {batch} doesn't match hidden{i} batch size {state.shape[0]}"
                )
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {state.shape[1]}, expected "
                    f"{self.hidden_size}"
                )
            batched.append(state)
        return input, tuple(batched), is_batched

    def _step(self, mode: str, input: Tensor, h: Tensor, c: Tensor | None) -> tuple[Tensor, ...]:
        xg = F.linear(input, self.weight_ih, self.bias_ih)
        result = _Recurrence.apply(
            _MATH[mode], xg, h, c, self.weight_hh, self.bias_hh, None, (h.shape[0],), False
        )
        return result[1:]  # the final state(s); for one step the output equals h_n


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``).

    ``RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
    dtype=None)``; ``forward(input, hx=None)`` with ``input`` ``(B, input_size)`` or
    ``(input_size,)``, ``hx`` ``(B, hidden_size)`` (zeros if omitted); returns ``h'``.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> cell(pybigml.randn(3, 10)).shape
        pybigml.Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), is_batched = self._prepare(input, (hx,))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        (h,) = self._step(mode, input, h, None)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, hx=None)`` with ``hx = (h, c)``, each
    ``(B, hidden_size)`` (zeros if omitted); returns ``(h', c')``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(pybigml.randn(3, 10))
        >>> h.shape
        pybigml.Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        input, (h, c), is_batched = self._prepare(input, (None, None) if hx is None else tuple(hx))
        h, c = self._step("LSTM", input, h, c)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, hx=None)`` returns ``h'``.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> cell(pybigml.randn(3, 10), pybigml.randn(3, 20)).shape
        pybigml.Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), is_batched = self._prepare(input, (hx,))
        (h,) = self._step("GRU", input, h, None)
        return h if is_batched else h.squeeze(0)
