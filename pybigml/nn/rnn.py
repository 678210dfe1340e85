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
layer computes it for the whole sequence at once, one ``linear`` over all ``T * B`` rows.
The recurrence itself is one graph node per layer and direction,
:class:`pybigml.ops.recurrence.Recurrence`, whose forward loops over the steps and whose
backward runs backpropagation through time (see that module). Sequences of different
lengths (``PackedSequence``) run the same loop over the packed layout; a padded batch is the
packed layout with every batch size equal to ``B``.

This module holds the layers and cells: their parameters, PyTorch's argument checks and the
stacking of layers and directions.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from .._tensor import Tensor
from ..ops.creation import empty, zeros
from ..ops.linalg import linear
from ..ops.recurrence import CELLS, Recurrence
from ..ops.shape import cat, stack
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]


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
        if mode not in CELLS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = CELLS[mode].gates * hidden_size
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
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
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
        return zeros((self.num_layers * directions, batch, size), dtype=input.dtype)

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
            sizes = tuple(batch_sizes.tolist())
        cell = CELLS[self.mode]
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                names = self._all_weights[index]
                params = {name.split("_l")[0]: getattr(self, name) for name in names}
                xg = linear(rows, params["weight_ih"], params.get("bias_ih"))
                result = Recurrence.apply(
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
            rows = outputs[0] if directions == 1 else cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                rows = F.dropout(rows, self.dropout, True)
        if batch_sizes is None:
            out = rows.reshape(len(sizes), sizes[0], rows.shape[1])
            rows = out.transpose(0, 1) if self.batch_first else out
        return rows, stack(h_n), stack(c_n) if c0 is not None else None

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
        self.weight_ih = Parameter(empty((rows, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((rows, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(rows, device=device, dtype=dtype))
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
                state = zeros((batch, self.hidden_size), dtype=input.dtype)
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
        xg = linear(input, self.weight_ih, self.bias_ih)
        result = Recurrence.apply(
            CELLS[mode], xg, h, c, self.weight_hh, self.bias_hh, None, (h.shape[0],), False
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
