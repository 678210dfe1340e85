"""im2col and col2im: the sliding windows of an image as columns, and back.

``Im2Col`` maps ``(N, C, H, W)`` to ``(N, C kh kw, L)``, one column per window (``L`` of
them, see :func:`sliding_blocks`); ``Col2Im`` sums columns back into an image. Both are
linear and each is the other's adjoint, so each is the other's backward (and they
differentiate to any order). ``nn.functional.unfold`` / ``fold`` check the arguments.
"""

from __future__ import annotations

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function

_make = Tensor._make


def sliding_blocks(size: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    """How many windows fit along one spatial dim:
    ``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slice(offset: int, dilation: int, stride: int, blocks: int) -> slice:
    """The padded positions that kernel offset ``offset`` reads, one per window."""
    start = offset * dilation
    return slice(start, start + stride * (blocks - 1) + 1, stride)


class Im2Col(Function):
    """``(N, C, H, W) -> (N, C kh kw, L)``: every sliding window, flattened into a column.

    Column ``l`` of row ``(c, i, j)`` holds ``x_padded[c, oh s_h + i d_h, ow s_w + j d_w]``
    with ``l = oh W_blocks + ow``. Forward copies one strided view per kernel offset
    ``(i, j)``; the map is linear, and its adjoint is ``Col2Im`` (sum each column entry back
    into the position it was read from), which is therefore the backward, and vice versa.
    """

    @staticmethod
    def forward(ctx, input, kernel, dilation, padding, stride):
        x = input._data
        xp = backend.of(x).xp
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
        bh, bw = sliding_blocks(h, kh, dh, ph, sh), sliding_blocks(w, kw, dw, pw, sw)
        padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        cols = xp.empty((n, c, kh, kw, bh, bw), dtype=x.dtype)
        for i in range(kh):
            rows = _window_slice(i, dh, sh, bh)
            for j in range(kw):
                cols[:, :, i, j] = padded[:, :, rows, _window_slice(j, dw, sw, bw)]
        ctx.geometry = ((h, w), kernel, dilation, padding, stride)
        return _make(cols.reshape(n, c * kh * kw, bh * bw))

    @staticmethod
    def backward(ctx, grad):
        return (Col2Im.apply(grad, *ctx.geometry), None, None, None, None)


class Col2Im(Function):
    """``(N, C kh kw, L) -> (N, C, H, W)``: sum every column entry into the position of the
    window it belongs to (overlapping windows add up); the adjoint of ``Im2Col``."""

    @staticmethod
    def forward(ctx, input, output_size, kernel, dilation, padding, stride):
        x = input._data
        xp = backend.of(x).xp
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            output_size,
            kernel,
            dilation,
            padding,
            stride,
        )
        bh, bw = sliding_blocks(h, kh, dh, ph, sh), sliding_blocks(w, kw, dw, pw, sw)
        n, c = x.shape[0], x.shape[1] // (kh * kw)
        cols = x.reshape(n, c, kh, kw, bh, bw)
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        for i in range(kh):
            rows = _window_slice(i, dh, sh, bh)
            for j in range(kw):
                padded[:, :, rows, _window_slice(j, dw, sw, bw)] += cols[:, :, i, j]
        ctx.geometry = (kernel, dilation, padding, stride)
        return _make(xp.ascontiguousarray(padded[:, :, ph : ph + h, pw : pw + w]))

    @staticmethod
    def backward(ctx, grad):
        return (Im2Col.apply(grad, *ctx.geometry), None, None, None, None, None)
