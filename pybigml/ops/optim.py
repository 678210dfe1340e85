"""The arithmetic of the optimizers: one update step of each, on tensors, in place.

:mod:`pybigml.optim` keeps the optimizer classes (parameter groups, state, hooks, argument
checks); each step gathers its parameters, their gradients and their state buffers into lists
and calls one function here, as ``torch.optim``'s functional forms take them::

    adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps,
              amsgrad=False, beta1=0.9, beta2=0.999, lr=1e-3, weight_decay=0.0, eps=1e-8,
              maximize=False, decoupled_weight_decay=False)

Each function increments its ``state_steps`` (0-d float tensors), writes the new values into
the parameters and buffers it was given, and bumps the version counter of every tensor it
changed, so a graph that saved one sees the change. No graph is recorded: the update works
on the arrays the tensors hold.

SGD and Adam run as one fused native pass per parameter (the backend's ``sgd_step`` and
``adam_step``). The others compute with the backend's array namespace (``xp``) in the
parameter's dtype, in PyTorch's order of operations, so both libraries round alike; in place
through one scratch array where they can, since a fresh temporary per operation costs more
(page faults) than the arithmetic. The formulas are in each optimizer's module docstring
(:mod:`pybigml.optim.adam` ...). LBFGS's two-loop recursion and strong-Wolfe line search
are here too (:func:`lbfgs_step`).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from types import ModuleType
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from .creation import zeros_like

# ----------------------------------------------------------------------------- shared pieces


def _kernel_arrays(
    be: ModuleType, param: np.ndarray, *arrays: np.ndarray | None
) -> list[np.ndarray | None]:
    """``param`` and ``arrays`` as the fused step kernels take them: C-contiguous (aligned and
    writeable: numpy's ``carray`` flag), in the parameter's dtype where the backend steps it
    natively (float32 for any other dtype). An array that already is so comes back itself,
    to be updated in place; otherwise a copy, which :func:`_write_back` returns to the
    original after the kernel ran."""
    work = param.dtype if be.native("optim", param.dtype) else be.xp.dtype(be.xp.float32)
    return [
        a
        if a is None or (a.dtype == work and a.flags.carray)
        else be.xp.ascontiguousarray(a, dtype=work)
        for a in (param, *arrays)
    ]


def _write_back(originals: list[np.ndarray | None], worked: list[np.ndarray | None]) -> None:
    """Copy each kernel array that was a stand-in back into the array it stood for."""
    for original, used in zip(originals, worked):
        if original is not None and used is not original:
            original[...] = used


def _count_step(step_t: Tensor) -> float:
    """Increment a ``state["step"]`` counter in place; its new value as a float."""
    step_t._data += 1
    return float(step_t._data)


def _bump(*tensors: Tensor | None) -> None:
    """Record that each tensor given (``None`` aside) changed in place."""
    for t in tensors:
        if t is not None:
            t._bump_version()


def _penalised_grad(
    param: np.ndarray,
    grad: np.ndarray,
    lr: float,
    weight_decay: float,
    maximize: bool,
    decoupled: bool = False,
) -> np.ndarray:
    """The gradient as the update uses it: negated with ``maximize``, plus ``weight_decay *
    param`` (L2 penalty). With ``decoupled`` the penalty instead shrinks ``param`` in place by
    ``1 - lr * weight_decay`` (as AdamW). The gradient array itself comes back when nothing
    changes it, so the caller must not write into the result."""
    grad = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def _lerp_(
    xp: ModuleType,
    average: np.ndarray,
    value: np.ndarray,
    weight: float,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """``average += weight * (value - average)`` in place (PyTorch's ``lerp_``, rounding as
    it does), through ``scratch`` (a fresh array when None).

    Returns:
        ``scratch``, free for the caller to reuse.
    """
    scratch = xp.subtract(value, average, out=scratch)
    scratch *= weight
    average += scratch
    return scratch


def _average_square_(
    xp: ModuleType,
    average: np.ndarray,
    value: np.ndarray,
    decay: float,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """``average = decay * average + (1 - decay) * value * value`` in place (PyTorch's
    ``mul_`` then ``addcmul_``), through ``scratch`` (a fresh array when None).

    Returns:
        ``scratch``, free for the caller to reuse.
    """
    average *= decay
    scratch = xp.multiply(value, 1 - decay, out=scratch)
    scratch *= value
    average += scratch
    return scratch


# ----------------------------------------------------------------------------- fused steps


def sgd_step(
    params: list[Tensor],
    grads: list[Tensor],
    momentum_buffers: list[Tensor | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """One SGD step of each parameter, by the backend's fused ``sgd_step`` kernel.

    ``b = momentum * b + (1 - dampening) * g``, ``p -= lr * (g + momentum * b if nesterov
    else b)``, with ``g`` the gradient (negated with ``maximize``) plus ``weight_decay * p``.

    Args:
        params: the parameters, updated in place.
        grads: their gradients.
        momentum_buffers: one per parameter, read only when ``momentum != 0``; a ``None``
            entry (the first step) is replaced by a new buffer that starts as ``g``.
        lr, momentum, dampening, weight_decay, nesterov, maximize: as ``torch.optim.SGD``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        data = p._data
        be = backend.of(data, g._data)
        buf = None
        first_step = False
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = zeros_like(p)
                first_step = True  # the kernel sets the buffer to the gradient
            buf._bump_version()
        written = [data, None if buf is None else buf._data]
        param, buffer, grad = _kernel_arrays(be, data, written[1], g._data)
        be.sgd_step(
            param,
            grad,
            buffer,
            lr,
            momentum,
            dampening,
            weight_decay,
            nesterov,
            maximize,
            first_step,
        )
        _write_back(written, [param, buffer])
        p._bump_version()


def adam_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
    state_steps: list[Tensor],
    *,
    amsgrad: bool,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam (or AdamW) step of each parameter, by the backend's fused ``adam_step``
    kernel, in PyTorch's order of operations (the bias corrections in doubles).

    ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g^2``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`` (``v`` replaced by
    its running maximum with ``amsgrad``).

    Args:
        params: the parameters, updated in place.
        grads: their gradients.
        exp_avgs, exp_avg_sqs: the first and second moments of each parameter.
        max_exp_avg_sqs: the running maxima of the second moments (``None`` without amsgrad).
        state_steps: each parameter's step counter, incremented first.
        amsgrad, beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay: as
            ``torch.optim.Adam``.
    """
    maxima = max_exp_avg_sqs if amsgrad else repeat(None)
    for p, g, exp_avg_t, exp_avg_sq_t, max_sq_t, step_t in zip(
        params, grads, exp_avgs, exp_avg_sqs, maxima, state_steps
    ):
        step = _count_step(step_t)
        written = [
            p._data,
            exp_avg_t._data,
            exp_avg_sq_t._data,
            None if max_sq_t is None else max_sq_t._data,
        ]
        be = backend.of(p._data, g._data)
        param, exp_avg, exp_avg_sq, max_sq, grad = _kernel_arrays(be, *written, g._data)
        be.adam_step(
            param,
            grad,
            exp_avg,
            exp_avg_sq,
            max_sq,
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            decoupled_weight_decay,
            maximize,
            step,
        )
        _write_back(written, [param, exp_avg, exp_avg_sq, max_sq])
        _bump(p, step_t, exp_avg_t, exp_avg_sq_t, max_sq_t)


# ----------------------------------------------------------------------------- array steps


def rmsprop_step(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor] | None,
    momentum_buffers: list[Tensor] | None,
    state_steps: list[Tensor],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step of each parameter (see :mod:`pybigml.optim.rmsprop`).

    Args:
        grad_avgs: the running means of the gradients (``None`` unless ``centered``).
        momentum_buffers: the momentum buffers (``None`` unless ``momentum > 0``).
        lr, alpha, eps, weight_decay, momentum, centered, maximize: as ``torch.optim.RMSprop``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        square_avg_t = square_avgs[i]
        grad_avg_t = grad_avgs[i] if centered else None
        buf_t = momentum_buffers[i] if momentum > 0 else None
        _count_step(state_steps[i])
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(p._data, g._data, lr, weight_decay, maximize)

        # v = alpha * v + (1 - alpha) * g * g
        square_avg = square_avg_t._data
        scratch = _average_square_(xp, square_avg, grad, alpha)
        if grad_avg_t is not None:
            # m = alpha * m + (1 - alpha) * g, computed as m += (1 - alpha) * (g - m).
            grad_avg = grad_avg_t._data
            _lerp_(xp, grad_avg, grad, 1 - alpha, scratch)
            # a = sqrt(v - m * m)
            xp.multiply(grad_avg, grad_avg, out=scratch)
            xp.subtract(square_avg, scratch, out=scratch)
            avg = xp.sqrt(scratch, out=scratch)
        else:
            avg = xp.sqrt(square_avg, out=scratch)
        avg += eps

        if buf_t is not None:
            # b = momentum * b + g / a;  p -= lr * b
            buf = buf_t._data
            buf *= momentum
            xp.divide(grad, avg, out=scratch)
            buf += scratch
            xp.multiply(buf, -lr, out=scratch)
            p._data += scratch
        else:
            # p -= lr * g / a
            update = xp.multiply(grad, -lr)
            update /= avg
            p._data += update
        _bump(p, state_steps[i], square_avg_t, buf_t, grad_avg_t)


def adagrad_step(
    params: list[Tensor],
    grads: list[Tensor],
    state_sums: list[Tensor],
    state_steps: list[Tensor],
    *,
    lr: float,
    weight_decay: float,
    lr_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step of each parameter (see :mod:`pybigml.optim.adagrad`).

    Args:
        state_sums: the sums of the squared gradients so far.
        lr, weight_decay, lr_decay, eps, maximize: as ``torch.optim.Adagrad``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, sum_t = state_steps[i], state_sums[i]
        step = _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(p._data, g._data, lr, weight_decay, maximize)
        clr = lr / (1 + (step - 1) * lr_decay)

        # s += g * g;  p -= lr_t * g / (sqrt(s) + eps)
        state_sum = sum_t._data
        std = xp.multiply(grad, grad)
        state_sum += std
        xp.sqrt(state_sum, out=std)
        std += eps
        update = xp.multiply(grad, -clr)
        update /= std
        p._data += update
        _bump(p, step_t, sum_t)


def adadelta_step(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    acc_deltas: list[Tensor],
    state_steps: list[Tensor],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step of each parameter (see :mod:`pybigml.optim.adadelta`).

    Args:
        square_avgs, acc_deltas: the running means of the squared gradients and updates.
        lr, rho, eps, weight_decay, maximize: as ``torch.optim.Adadelta``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        square_avg_t, acc_delta_t = square_avgs[i], acc_deltas[i]
        _count_step(state_steps[i])
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(p._data, g._data, lr, weight_decay, maximize)

        # v = rho * v + (1 - rho) * g * g
        square_avg = square_avg_t._data
        scratch = _average_square_(xp, square_avg, grad, rho)
        # dx = sqrt(u + eps) / sqrt(v + eps) * g
        std = xp.add(square_avg, eps)
        xp.sqrt(std, out=std)
        acc_delta = acc_delta_t._data
        delta = xp.add(acc_delta, eps)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        # u = rho * u + (1 - rho) * dx * dx
        _average_square_(xp, acc_delta, delta, rho, scratch)
        # p -= lr * dx
        delta *= -lr
        p._data += delta
        _bump(p, state_steps[i], square_avg_t, acc_delta_t)


def adamax_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_infs: list[Tensor],
    state_steps: list[Tensor],
    *,
    eps: float,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adamax step of each parameter (see :mod:`pybigml.optim.adamax`).

    Args:
        exp_avgs, exp_infs: the first moments and the weighted infinity norms.
        eps, beta1, beta2, lr, weight_decay, maximize: as ``torch.optim.Adamax``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, exp_avg_t, exp_inf_t = state_steps[i], exp_avgs[i], exp_infs[i]
        step = _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(p._data, g._data, lr, weight_decay, maximize)

        # m += (1 - beta1) * (g - m)
        exp_avg = exp_avg_t._data
        scratch = _lerp_(xp, exp_avg, grad, 1 - beta1)
        # u = max(beta2 * u, |g| + eps)
        exp_inf = exp_inf_t._data
        exp_inf *= beta2
        xp.abs(grad, out=scratch)
        scratch += eps
        xp.maximum(exp_inf, scratch, out=exp_inf)

        # p -= lr / (1 - beta1^t) * m / u
        clr = lr / (1 - beta1**step)
        xp.multiply(exp_avg, -clr, out=scratch)
        scratch /= exp_inf
        p._data += scratch
        _bump(p, step_t, exp_avg_t, exp_inf_t)


def asgd_step(
    params: list[Tensor],
    grads: list[Tensor],
    axs: list[Tensor],
    mus: list[Tensor],
    etas: list[Tensor],
    state_steps: list[Tensor],
    *,
    lambd: float,
    lr: float,
    t0: float,
    alpha: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One ASGD step of each parameter (see :mod:`pybigml.optim.asgd`).

    ``eta`` and ``mu`` are 0-d tensors, read as Python floats and written back in their own
    dtype, as PyTorch reads them, so both libraries round alike.

    Args:
        axs: the averaged parameters.
        mus, etas: each parameter's averaging weight and step size (0-d).
        lambd, lr, t0, alpha, weight_decay, maximize: as ``torch.optim.ASGD``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, ax_t, mu_t, eta_t = state_steps[i], axs[i], mus[i], etas[i]
        step = _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(p._data, g._data, lr, weight_decay, maximize)

        # p = p * (1 - lambd * eta) - eta * g
        eta = float(eta_t._data)
        p._data *= 1 - lambd * eta
        p._data -= eta * grad

        # ax += mu * (p - ax), or ax = p while mu is 1 (before t0)
        ax = ax_t._data
        mu = float(mu_t._data)
        if mu != 1:
            scratch = xp.subtract(p._data, ax)
            scratch *= mu
            ax += scratch
        else:
            ax[...] = p._data

        eta_t._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
        mu_t._data[...] = 1 / max(1, step - t0)
        _bump(p, step_t, eta_t, mu_t, ax_t)


def nadam_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    mu_products: list[Tensor],
    state_steps: list[Tensor],
    *,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    momentum_decay: float,
    eps: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """One NAdam step of each parameter (see :mod:`pybigml.optim.nadam`).

    Args:
        exp_avgs, exp_avg_sqs: the first and second moments.
        mu_products: the products of the momentum schedule so far (0-d, rounded in their
            own dtype, as PyTorch's).
        beta1, beta2, lr, weight_decay, momentum_decay, eps, decoupled_weight_decay,
            maximize: as ``torch.optim.NAdam``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, exp_avg_t, exp_avg_sq_t, mu_product_t = (
            state_steps[i],
            exp_avgs[i],
            exp_avg_sqs[i],
            mu_products[i],
        )
        step = _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        bias_correction2 = 1 - beta2**step

        grad = _penalised_grad(
            p._data, g._data, lr, weight_decay, maximize, decoupled=decoupled_weight_decay
        )

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product_t._data *= mu  # rounds to the counter's dtype, as PyTorch's
        mu_product = float(mu_product_t._data)
        mu_product_next = mu_product * mu_next

        # m += (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
        exp_avg = exp_avg_t._data
        scratch = _lerp_(xp, exp_avg, grad, 1 - beta1)
        exp_avg_sq = exp_avg_sq_t._data
        _average_square_(xp, exp_avg_sq, grad, beta2, scratch)

        # d = sqrt(v / (1 - beta2^t)) + eps
        denom = xp.divide(exp_avg_sq, bias_correction2)
        xp.sqrt(denom, out=denom)
        denom += eps
        # p += c_g * g / d, then p += c_m * m / d (two roundings, as two addcdiv_)
        xp.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=scratch)
        scratch /= denom
        p._data += scratch
        xp.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=scratch)
        scratch /= denom
        p._data += scratch
        _bump(p, step_t, mu_product_t, exp_avg_t, exp_avg_sq_t)


def radam_step(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    state_steps: list[Tensor],
    *,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    eps: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """One RAdam step of each parameter (see :mod:`pybigml.optim.radam`).

    Args:
        exp_avgs, exp_avg_sqs: the first and second moments.
        beta1, beta2, lr, weight_decay, eps, decoupled_weight_decay, maximize: as
            ``torch.optim.RAdam``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, exp_avg_t, exp_avg_sq_t = state_steps[i], exp_avgs[i], exp_avg_sqs[i]
        step = _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        grad = _penalised_grad(
            p._data, g._data, lr, weight_decay, maximize, decoupled=decoupled_weight_decay
        )

        # m += (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
        exp_avg = exp_avg_t._data
        scratch = _lerp_(xp, exp_avg, grad, 1 - beta1)
        exp_avg_sq = exp_avg_sq_t._data
        _average_square_(xp, exp_avg_sq, grad, beta2, scratch)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2

        # update = m / (1 - beta1^t) * lr [* sqrt(1 - beta2^t) / (sqrt(v) + eps) * r]
        update = xp.divide(exp_avg, bias_correction1)
        update *= lr
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            xp.sqrt(exp_avg_sq, out=scratch)
            scratch += eps
            # scalar / tensor as PyTorch evaluates it: reciprocal, then multiply
            xp.reciprocal(scratch, out=scratch)
            scratch *= bias_correction2**0.5
            update *= scratch
            update *= rect
        p._data -= update
        _bump(p, step_t, exp_avg_t, exp_avg_sq_t)


def _sign(xp: ModuleType, x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 in ``x``'s dtype, with sign(NaN) = 0 as PyTorch's (numpy's gives NaN)."""
    return xp.subtract(x > 0, x < 0, dtype=x.dtype)


def rprop_step(
    params: list[Tensor],
    grads: list[Tensor],
    prevs: list[Tensor],
    step_sizes: list[Tensor],
    state_steps: list[Tensor],
    *,
    step_size_min: float,
    step_size_max: float,
    etaminus: float,
    etaplus: float,
    maximize: bool,
) -> None:
    """One Rprop step of each parameter (see :mod:`pybigml.optim.rprop`).

    Args:
        prevs: the gradients of the previous step.
        step_sizes: each coordinate's step size.
        step_size_min, step_size_max, etaminus, etaplus, maximize: as ``torch.optim.Rprop``'s
            ``step_sizes``, ``etas`` and ``maximize``.
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        step_t, prev_t, step_size_t = state_steps[i], prevs[i], step_sizes[i]
        _count_step(step_t)
        xp = backend.of(p._data, g._data).xp
        grad = -g._data if maximize else g._data.copy()
        prev = prev_t._data
        step_size = step_size_t._data

        # The factor each step size is multiplied by, from the sign of g * prev.
        factor = _sign(xp, grad * prev)
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        # A coordinate that changed sign skips this step and forgets its gradient.
        grad[factor == factor.dtype.type(etaminus)] = 0

        # p -= sign(g) * s;  prev = g
        update = _sign(xp, grad)
        update *= step_size
        p._data -= update
        prev[...] = grad
        _bump(p, step_t, prev_t, step_size_t)


# ----------------------------------------------------------------------------- L-BFGS
# The vectors are arrays of the parameters' dtype and the scalars 0-d values of that dtype
# (numpy's scalars round like PyTorch's 0-d tensors), in PyTorch's order of operations.

# The state entries that hold arrays (or lists of them): kept as Tensors between steps.
_LBFGS_ARRAY_STATE = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "al")


# Divisions by zero give inf/nan silently, as PyTorch's 0-d tensors do.
@np.errstate(divide="ignore", invalid="ignore")
def _cubic_interpolate(
    x1: Any,
    f1: Any,
    g1: Any,
    x2: Any,
    f2: Any,
    g2: Any,
    bounds: tuple[Any, Any] | None = None,
) -> Any:
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``, ``g2``.

    With ``d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)`` and ``d2 = sqrt(d1^2 - g1 g2)``, the
    minimiser is ``x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)`` (written from the
    farther point), clamped to ``bounds`` (default: the interval between the points). If the
    cubic has no minimum (``d1^2 < g1 g2``), the middle of the bounds.
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj_func: Callable[[list[np.ndarray], Any, np.ndarray], tuple[float, np.ndarray]],
    x: list[np.ndarray],
    t: Any,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, Any, int]:
    """A step ``t`` along ``d`` from ``x`` that satisfies the strong Wolfe conditions

        f(x + t d) <= f(x) + c1 t g.d          (sufficient decrease)
        |g(x + t d) . d| <= c2 |g.d|           (curvature)

    First widens ``[t_prev, t]`` (extrapolating by cubic interpolation) until it brackets
    such a point, then shrinks the bracket (zoom) until one end satisfies them.
    ``obj_func(x, t, d)`` returns the loss and flat gradient at ``x + t d``.

    Returns:
        ``(loss, flat_grad, t, evaluations)`` at the accepted step.
    """
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # Bracketing phase: find an interval that contains a point satisfying the conditions.
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # Extrapolate: the cubic's minimiser, at least 1% further and at most 10x.
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until its low end satisfies the conditions.
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # A trial within 10% of an end makes little progress: after two such trials in a
        # row (or one outside the bracket), move it to 10% inside from the nearer end.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # No sufficient decrease, or not below the low end: the trial is the new high end.
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # The slope says the minimum lies the other way: the old low becomes the high.
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _two_loop_direction(
    flat_grad: np.ndarray,
    old_dirs: list[np.ndarray],
    old_stps: list[np.ndarray],
    ro: list[Any],
    H_diag: Any,
    al: list[Any],
) -> np.ndarray:
    """``-H g`` by the two-loop recursion over the stored pairs ``(s_k, y_k)``:

        q = -g
        for k newest to oldest:  a_k = rho_k * s_k . q;   q = q - a_k * y_k
        r = H_diag * q
        for k oldest to newest:  b_k = rho_k * y_k . r;   r = r + (a_k - b_k) * s_k

    ``al`` receives the first loop's coefficients ``a_k``.
    """
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def _to_array(value: Any) -> Any:
    """A state value as the step computes with it: Tensors as arrays (0-d as scalars)."""
    if isinstance(value, list):
        return [_to_array(v) for v in value]
    if isinstance(value, Tensor):
        return value._data[()] if value._data.ndim == 0 else value._data
    return value


def _to_tensor(value: Any) -> Any:
    """A value as the state keeps it: arrays and numpy scalars as Tensors."""
    if isinstance(value, list):
        return [_to_tensor(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._make(np.asarray(value))
    return value


def _gather_flat_grad(params: list[Tensor]) -> np.ndarray:
    """All gradients as one vector (zeros for a parameter without a gradient)."""
    return np.concatenate(
        [
            np.zeros(p.numel(), p._data.dtype) if p.grad is None else p.grad._data.ravel()
            for p in params
        ]
    )


def _add_grad(params: list[Tensor], step_size: Any, update: np.ndarray) -> None:
    """``x += step_size * update`` over the parameters, ``update`` being flat."""
    offset = 0
    for p in params:
        numel = p.numel()
        p._data += step_size * update[offset : offset + numel].reshape(p.shape)
        p._bump_version()
        offset += numel


def _set_param(params: list[Tensor], params_data: list[np.ndarray]) -> None:
    for p, data in zip(params, params_data):
        p._data[...] = data
        p._bump_version()


def lbfgs_step(
    params: list[Tensor],
    evaluate: Callable[[], float],
    loss: float,
    state: dict[str, Any],
    *,
    lr: float,
    max_iter: int,
    max_eval: int,
    tolerance_grad: float,
    tolerance_change: float,
    history_size: int,
    line_search_fn: str | None,
) -> None:
    """Up to ``max_iter`` L-BFGS iterations over ``params`` as one flat vector (see
    :mod:`pybigml.optim.lbfgs` for the method).

    Each iteration takes the direction ``d = -H g`` by the two-loop recursion (steepest
    descent on the very first), a step ``t`` along it (``lr``, ``min(1, 1/|g|_1) * lr`` on
    the very first, or a strong-Wolfe line search), and keeps the new pair ``(s, y)`` if
    ``y . s > 1e-10``.

    Args:
        params: the parameters, updated in place; their ``.grad`` hold the gradient at
            the point ``evaluate`` last ran.
        evaluate: re-evaluates the loss at the current parameters (filling their ``.grad``).
        loss: the loss of that last evaluation (which counts against ``max_eval``).
        state: the method's memory between steps, read and updated in place with PyTorch's
            keys (``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``,
            ``prev_flat_grad``, ``prev_loss``, ``al``, ``func_evals``, ``n_iter``; the
            vectors as Tensors); ``func_evals`` and ``n_iter`` must be present.
        lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
            line_search_fn: as ``torch.optim.LBFGS``.

    Raises:
        RuntimeError: ``line_search_fn`` is neither None nor ``"strong_wolfe"``.
    """
    current_evals = 1
    flat_grad = _gather_flat_grad(params)
    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
    if opt_cond:
        return

    d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, al = (
        _to_array(state.get(key)) for key in _LBFGS_ARRAY_STATE
    )
    prev_loss = state.get("prev_loss")

    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state["n_iter"] += 1

        # The search direction: steepest descent at first, then the two-loop recursion.
        if state["n_iter"] == 1:
            d = -flat_grad
            old_dirs, old_stps, ro = [], [], []
            H_diag = 1
        else:
            y = flat_grad - prev_flat_grad
            s = d * t
            ys = y.dot(s)
            if ys > 1e-10:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = ys / y.dot(y)
            if al is None:  # scratch for the recursion, kept in the state as PyTorch does
                al = state["al"] = [None] * history_size
            d = _two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, al)

        if prev_flat_grad is None:
            prev_flat_grad = flat_grad.copy()
        else:
            prev_flat_grad[...] = flat_grad
        prev_loss = loss

        # The step length.
        if state["n_iter"] == 1:
            with np.errstate(divide="ignore"):  # a zero gradient gives t = lr, no warning
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
        else:
            t = lr
        gtd = flat_grad.dot(d)
        if gtd > -tolerance_change:  # not a descent direction (any more)
            break

        ls_func_evals = 0
        if line_search_fn is not None:
            if line_search_fn != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            x_init = [p._data.copy() for p in params]

            def obj_func(x: list[np.ndarray], t: Any, d: np.ndarray) -> tuple[float, Any]:
                """Loss and flat gradient at ``x + t d``; the parameters go back to ``x``."""
                _add_grad(params, t, d)
                loss = evaluate()
                flat_grad = _gather_flat_grad(params)
                _set_param(params, x)
                return loss, flat_grad

            loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
            )
            _add_grad(params, t, d)
            opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        else:
            _add_grad(params, t, d)
            if n_iter != max_iter:
                # Re-evaluate only if another iteration follows: in a stochastic
                # setting a last evaluation would be wasted.
                loss = evaluate()
                flat_grad = _gather_flat_grad(params)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                ls_func_evals = 1
        current_evals += ls_func_evals
        state["func_evals"] += ls_func_evals

        # Stopping conditions.
        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if np.abs(d * t).max() <= tolerance_change:  # the parameters barely move
            break
        if abs(loss - prev_loss) < tolerance_change:  # the loss barely changes
            break

    for key, value in zip(
        _LBFGS_ARRAY_STATE, (d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, al)
    ):
        if key in state or value is not None:
            state[key] = _to_tensor(value)
    state["prev_loss"] = prev_loss
