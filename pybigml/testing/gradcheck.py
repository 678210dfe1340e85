"""Finite-difference gradient checks: ``gradcheck`` and ``gradgradcheck``.

Both follow ``torch.autograd.gradcheck`` / ``torch.autograd.gradgradcheck``.

For a function ``f`` of inputs ``x_0 .. x_{n-1}`` with outputs ``y_0 .. y_{m-1}`` the check builds,
for every differentiable input ``x_i`` and output ``y_j``, the Jacobian ``J[a, b] = d y_j[b] / d x_i[a]``
(rows: elements of the input, columns: elements of the output, both in row-major order) twice:

* numerically, by central differences ``(f(x + eps e_a) - f(x - eps e_a)) / (2 eps)``, whose
  truncation error is ``O(eps^2)``; with ``eps = 1e-6`` in float64 the rounding error is about
  ``ulp(f) / eps ~ 1e-10 |f|``, far below the default tolerances;
* analytically, by backpropagating the one-hot vector ``e_b`` from each output element through
  ``pybigml.autograd.grad`` (a vector-Jacobian product gives one column of ``J``).

The two must agree elementwise within ``atol + rtol * |numerical|`` (as ``allclose``).

Inputs are perturbed in place, on the memory the input tensor views, and restored exactly after
each evaluation, so the function sees the very layout (strides, offsets) it was given. An input with
internal overlap (a stride-0, expanded dimension) cannot be perturbed one logical element at a time
that way, because one memory cell is several elements; for such an input the numerical Jacobian is
taken on a contiguous copy of its values (PyTorch refuses these inputs instead), while the
analytical Jacobian still comes from the expanded tensor itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._dtype import float64
from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ..autograd.grad_mode import enable_grad
from ..ops.creation import from_numpy, zeros_like

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` and :func:`gradgradcheck` when a check fails."""


TensorOrTensors = Any  # a Tensor or a sequence of them (and other, ignored, arguments)


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_float(t: Tensor) -> bool:
    return t.dtype.is_floating_point


def _differentiable_inputs(inputs: tuple) -> list[int]:
    """Positions in ``inputs`` of the tensors that require grad."""
    return [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _values(t: Tensor) -> np.ndarray:
    """A float64 copy of a tensor's values (outputs may be views of inputs that we perturb)."""
    return np.array(t.detach().numpy(), dtype=np.float64, copy=True)


def _check_inputs(inputs: tuple, diff: list[int]) -> None:
    if not diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )
    for n, k in enumerate(diff):
        if inputs[k].dtype != float64:
            warnings.warn(
                f"Input #{n} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                stacklevel=3,
            )


def _perturbable_view(x: Tensor) -> tuple[Tensor, np.ndarray]:
    """The tensor to pass to ``func`` while perturbing ``x``, and a writable view of its values.

    Normally that is ``x`` itself and the array it views. An input whose memory overlaps itself
    (a stride-0 dimension of size > 1) or that cannot be written through is replaced by a
    contiguous copy holding the same logical values (see the module docstring).
    """
    view = x.detach().numpy()
    overlapping = any(s == 0 and n > 1 for s, n in zip(view.strides, view.shape))
    if view.flags.writeable and not overlapping:
        return x, view
    copy = np.array(view, copy=True)
    return from_numpy(copy).requires_grad_(x.requires_grad), copy


def _float_outputs(outputs: tuple) -> list[int]:
    return [j for j, y in enumerate(outputs) if isinstance(y, Tensor) and _is_float(y)]


def _numerical_jacobians(
    func: Callable, inputs: tuple, diff: list[int], outputs: tuple, outs: list[int], eps: float
) -> list[list[np.ndarray]]:
    """``J[n][j]``: d outputs[outs[j]] / d inputs[diff[n]] by central differences."""
    args = list(inputs)
    jacobians = []
    for k in diff:
        original = args[k]
        args[k], view = _perturbable_view(original)
        columns: list[list[np.ndarray]] = [[] for _ in outs]
        for index in np.ndindex(view.shape):
            saved = view[index].copy()
            view[index] = saved + eps
            plus = _as_tuple(func(*args))
            plus = [_values(plus[j]) for j in outs]
            view[index] = saved - eps
            minus = _as_tuple(func(*args))
            minus = [_values(minus[j]) for j in outs]
            view[index] = saved
            for col, p, m in zip(columns, plus, minus):
                col.append(((p - m) / (2 * eps)).reshape(-1))
        args[k] = original
        jacobians.append(
            [
                np.stack(col) if col else np.zeros((0, outputs[j].numel()))
                for col, j in zip(columns, outs)
            ]
        )
    return jacobians


def _vjp(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    inputs: tuple,
    diff: list[int],
    *,
    create_graph: bool = False,
) -> list[Tensor | None]:
    return list(
        autograd_grad(
            list(outputs),
            [inputs[k] for k in diff],
            grad_outputs=list(grad_outputs),
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    )


def _check_grad_attributes(
    grads: list, inputs: tuple, diff: list[int], check_grad_dtypes: bool
) -> None:
    for n, (k, g) in enumerate(zip(diff, grads)):
        if g is None:
            continue
        x = inputs[k]
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError(
                f"Gradient has shape mismatch for input {n}: expected {tuple(x.shape)}, "
                f"got {tuple(g.shape)}"
            )
        if check_grad_dtypes and g.dtype != x.dtype:
            raise GradcheckError(
                f"Gradient has dtype mismatch for input {n}: expected {x.dtype}, got {g.dtype}"
            )


def _analytical_jacobians(
    outputs: tuple,
    inputs: tuple,
    diff: list[int],
    outs: list[int],
    check_grad_dtypes: bool,
) -> list[list[np.ndarray]]:
    """``J[n][j]``: d outputs[outs[j]] / d inputs[diff[n]], one vector-Jacobian product a column."""
    jacobians = [[] for _ in diff]
    for j in outs:
        y = outputs[j]
        y_np = y.detach().numpy()
        columns: list[list[np.ndarray]] = [[] for _ in diff]
        for b in range(y_np.size):
            one_hot = np.zeros(y_np.shape, dtype=y_np.dtype)
            one_hot.reshape(-1)[b] = 1
            grads = _vjp([y], [from_numpy(one_hot)], inputs, diff)
            _check_grad_attributes(grads, inputs, diff, check_grad_dtypes)
            for n, (k, g) in enumerate(zip(diff, grads)):
                numel = inputs[k].numel()
                columns[n].append(np.zeros(numel) if g is None else _values(g).reshape(-1))
        for n, k in enumerate(diff):
            jac = np.stack(columns[n], axis=1) if columns[n] else np.zeros((inputs[k].numel(), 0))
            jacobians[n].append(jac)
    return jacobians


def _mismatch_message(
    j: int,
    n: int,
    numerical: np.ndarray,
    analytical: np.ndarray,
    in_shape: tuple,
    out_shape: tuple,
    position: int,
    atol: float,
    rtol: float,
) -> str:
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    excess = np.where(np.isnan(excess), np.inf, excess)
    a, b = np.unravel_index(int(np.argmax(excess)), numerical.shape)
    in_index = np.unravel_index(a, in_shape) if in_shape else ()
    out_index = np.unravel_index(b, out_shape) if out_shape else ()
    return (
        f"Jacobian mismatch for output {j} with respect to input {n},\n"
        f"numerical:{numerical}\nanalytical:{analytical}\n\n"
        f"The worst element is input {n} (inputs[{position}], shape {in_shape}) at index "
        f"{tuple(int(i) for i in in_index)} and output {j} (shape {out_shape}) at index "
        f"{tuple(int(i) for i in out_index)}: numerical {float(numerical[a, b])!r}, "
        f"analytical {float(analytical[a, b])!r}."
    )


def _slow_check(
    func: Callable,
    inputs: tuple,
    outputs: tuple,
    diff: list[int],
    *,
    eps: float,
    atol: float,
    rtol: float,
    nondet_tol: float,
    check_grad_dtypes: bool,
) -> None:
    """Compare full numerical and analytical Jacobians; raise GradcheckError on a mismatch."""
    outs = _float_outputs(outputs)
    differentiable = [j for j in outs if outputs[j].requires_grad]
    numerical = _numerical_jacobians(func, inputs, diff, outputs, outs, eps)
    if not differentiable:
        for n, per_output in enumerate(numerical):
            for j, jac in zip(outs, per_output):
                if not np.allclose(jac, 0.0, rtol=rtol, atol=atol):
                    raise GradcheckError(
                        f"Numerical gradient for function expected to be zero: output {j} does "
                        f"not require grad, but depends on input {n}:\n{jac}"
                    )
        return
    analytical = _analytical_jacobians(outputs, inputs, diff, differentiable, check_grad_dtypes)
    for n, k in enumerate(diff):
        for j, ana in zip(differentiable, analytical[n]):
            num = numerical[n][outs.index(j)]
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(
                    _mismatch_message(
                        j,
                        n,
                        num,
                        ana,
                        tuple(inputs[k].shape),
                        tuple(outputs[j].shape),
                        k,
                        atol,
                        rtol,
                    )
                )
    # Backward must be reentrant: the same vjp twice gives the same values (up to nondet_tol).
    again = _analytical_jacobians(outputs, inputs, diff, differentiable, check_grad_dtypes)
    for n in range(len(diff)):
        for first, second in zip(analytical[n], again[n]):
            if first.size and np.max(np.abs(first - second)) > nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient. The tolerance for nondeterminism was "
                    f"{nondet_tol}."
                )


def _fast_check(
    func: Callable,
    inputs: tuple,
    outputs: tuple,
    diff: list[int],
    *,
    eps: float,
    atol: float,
    rtol: float,
) -> bool:
    """Compare ``v^T J u`` for random ``u`` (input space) and ``v`` (output space).

    One directional derivative and one vector-Jacobian product per (input, output) pair instead
    of full Jacobians. Returns whether all pairs agree.
    """
    rng = np.random.default_rng(0)
    outs = [j for j in _float_outputs(outputs) if outputs[j].requires_grad]
    args = list(inputs)
    for k in diff:
        original = args[k]
        args[k], view = _perturbable_view(original)
        u = rng.uniform(-1.0, 1.0, view.shape)
        saved = view.copy()
        view[...] = saved + eps * u
        plus = _as_tuple(func(*args))
        view[...] = saved - eps * u
        minus = _as_tuple(func(*args))
        view[...] = saved
        args[k] = original
        for j in outs:
            y = outputs[j]
            v = rng.uniform(-1.0, 1.0, tuple(y.shape)).astype(y.detach().numpy().dtype)
            directional = (_values(plus[j]) - _values(minus[j])) / (2 * eps)
            numerical = float(np.sum(directional * v))
            (g,) = _vjp([y], [from_numpy(v)], inputs, [k])
            analytical = 0.0 if g is None else float(np.sum(_values(g) * u))
            if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
                return False
    return True


def _check_zero_grad_outputs(outputs: tuple, inputs: tuple, diff: list[int]) -> None:
    """Backward with every grad_output zero must give zero (or no) gradients, of the right shape.

    This is what ``check_undefined_grad`` checks in PyTorch (an undefined output gradient is
    treated as zeros); it also runs backward once for outputs with no elements.
    """
    differentiable = [y for y in outputs if isinstance(y, Tensor) and y.requires_grad]
    if not differentiable:
        return
    zeros = [zeros_like(y) for y in differentiable]
    grads = _vjp(differentiable, zeros, inputs, diff)
    _check_grad_attributes(grads, inputs, diff, check_grad_dtypes=False)
    for n, g in enumerate(grads):
        if g is not None and np.any(_values(g) != 0):
            raise GradcheckError(
                f"Backward with all grad_outputs zero gave a nonzero gradient for input {n}: "
                f"{_values(g)}"
            )


def gradcheck(
    func: Callable[..., TensorOrTensors],
    inputs: TensorOrTensors,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` against finite differences.

    Every input that is a tensor with ``requires_grad=True`` is checked (others are passed through
    unchanged); every floating-point output that requires grad is differentiated. Inputs should be
    float64: a warning is given otherwise, as finite differences in lower precision are too noisy.

    Args:
        func: a function taking ``*inputs`` and returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments for ``func``.
        eps: step of the central differences.
        atol: absolute tolerance.
        rtol: relative tolerance (relative to the numerical value).
        raise_exception: raise :class:`GradcheckError` on failure (else return False).
        nondet_tol: how far two backward passes with the same inputs may differ.
        check_undefined_grad: also check that backward with all-zero output gradients gives zero
            gradients (PyTorch's check for undefined output gradients).
        check_grad_dtypes: also require each gradient's dtype to equal its input's dtype.
        check_batched_grad: unsupported (pybigml has no vmap); must be False.
        check_batched_forward_grad: unsupported (no forward-mode AD); must be False.
        check_forward_ad: unsupported (no forward-mode AD); must be False.
        check_backward_ad: check backward-mode gradients (if False nothing is checked).
        fast_mode: compare ``v^T J u`` for random ``u, v`` instead of full Jacobians; on a
            failure the full Jacobians are compared to name the failing element.
        masked: only for sparse tensors in PyTorch; must be None or False.

    Returns:
        True if all checks pass; False on failure when ``raise_exception=False``.

    Example:
        >>> x = pybigml.rand(3, dtype=pybigml.float64, requires_grad=True)
        >>> gradcheck(pybigml.exp, (x,))
        True
    """
    for name, value in (
        ("check_batched_grad", check_batched_grad),
        ("check_batched_forward_grad", check_batched_forward_grad),
        ("check_forward_ad", check_forward_ad),
        ("masked", masked),
    ):
        if value:
            raise NotImplementedError(f"gradcheck: {name}=True is not supported by pybigml")
    inputs = _as_tuple(inputs)
    diff = _differentiable_inputs(inputs)
    _check_inputs(inputs, diff)
    if not check_backward_ad:
        return True
    try:
        with enable_grad():
            outputs = _as_tuple(func(*inputs))
            settings = dict(eps=eps, atol=atol, rtol=rtol)
            if not fast_mode or not _fast_check(func, inputs, outputs, diff, **settings):
                _slow_check(
                    func,
                    inputs,
                    outputs,
                    diff,
                    nondet_tol=nondet_tol,
                    check_grad_dtypes=check_grad_dtypes,
                    **settings,
                )
                if fast_mode:
                    raise GradcheckError(
                        "gradcheck (fast mode): v^T J u differs between numerical and analytical "
                        "gradients for random u, v, although the full Jacobians agree within "
                        "tolerance; rerun with fast_mode=False."
                    )
            if check_undefined_grad:
                _check_zero_grad_outputs(outputs, inputs, diff)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _random_like(y: Tensor, rng: np.random.Generator, noncontiguous: bool) -> Any:
    """Values uniform in [-1, 1) shaped like ``y``; non-contiguous (every other element of a
    twice-as-long last dimension) if asked and ``y`` has more than one element."""
    shape = tuple(y.shape)
    dtype = y.detach().numpy().dtype
    if noncontiguous and int(np.prod(shape)) > 1:
        storage = rng.uniform(-1.0, 1.0, (*shape[:-1], 2 * shape[-1])).astype(dtype)
        t = from_numpy(storage)[..., ::2]
    else:
        t = from_numpy(rng.uniform(-1.0, 1.0, shape).astype(dtype))
    return t.requires_grad_(True)


def gradgradcheck(
    func: Callable[..., TensorOrTensors],
    inputs: TensorOrTensors,
    grad_outputs: TensorOrTensors | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives of ``func`` against finite differences of its first derivatives.

    The first backward ``g(inputs, grad_outputs) = J(inputs)^T grad_outputs`` is computed with
    ``create_graph=True`` and then checked by :func:`gradcheck` with respect to both the
    differentiable inputs and the grad outputs.

    Args:
        func: a function taking ``*inputs`` and returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments for ``func``.
        grad_outputs: gradients of the differentiable outputs; if None, random float values in
            [-1, 1) (from a fixed seed, so a check is reproducible) requiring grad.
        eps, atol, rtol, raise_exception, nondet_tol, check_undefined_grad, check_grad_dtypes,
            fast_mode: as in :func:`gradcheck`.
        gen_non_contig_grad_outputs: make the random grad outputs non-contiguous.
        check_batched_grad: unsupported; must be False.
        check_fwd_over_rev: unsupported (no forward-mode AD); must be False.
        check_rev_over_rev: check reverse-over-reverse (if False nothing is checked).
        masked: only for sparse tensors in PyTorch; must be False.

    Returns:
        True if all checks pass; False on failure when ``raise_exception=False``.

    Example:
        >>> x = pybigml.rand(3, dtype=pybigml.float64, requires_grad=True)
        >>> gradgradcheck(pybigml.sin, (x,))
        True
    """
    if check_fwd_over_rev:
        raise NotImplementedError("gradgradcheck: check_fwd_over_rev=True is not supported")
    inputs = _as_tuple(inputs)
    if not check_rev_over_rev:
        return True
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        with enable_grad():
            outputs = _as_tuple(func(*inputs))
        grad_outputs = tuple(
            _random_like(y, rng, gen_non_contig_grad_outputs)
            for y in outputs
            if isinstance(y, Tensor) and y.requires_grad
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(grad_outputs)
    diff = _differentiable_inputs(inputs)

    def first_backward(*args: Any) -> tuple:
        input_args, output_grads = args[: len(args) - num_outputs], args[len(args) - num_outputs :]
        outputs = [
            y for y in _as_tuple(func(*input_args)) if isinstance(y, Tensor) and y.requires_grad
        ]
        grads = _vjp(outputs, output_grads, input_args, diff, create_graph=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_backward,
        inputs + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
    )
