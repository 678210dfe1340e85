"""``LBFGS``: limited-memory BFGS, a quasi-Newton method, with an optional strong-Wolfe line search.

All parameters are treated as one flat vector ``x`` with gradient ``g``. L-BFGS keeps the
last ``history_size`` pairs ``s_k = x_{k+1} - x_k`` (``old_stps``) and
``y_k = g_{k+1} - g_k`` (``old_dirs``), with ``rho_k = 1 / (y_k . s_k)`` (``ro``), and from
them applies an approximate inverse Hessian ``H`` to the gradient without forming it (the
two-loop recursion):

    q = -g
    for k newest to oldest:  a_k = rho_k * s_k . q;   q = q - a_k * y_k
    r = gamma * q            gamma = (y . s) / (y . y) of the newest pair  (``H_diag``)
    for k oldest to newest:  b_k = rho_k * y_k . r;   r = r + (a_k - b_k) * s_k
    d = r                    the search direction, ~ -H g

A pair is kept only if ``y . s > 1e-10`` (the curvature condition that keeps ``H`` positive
definite). The step along ``d`` is ``t = lr`` (``min(1, 1/|g|_1) * lr`` on the very first
iteration), or, with ``line_search_fn="strong_wolfe"``, a ``t`` that satisfies the strong
Wolfe conditions

    f(x + t d) <= f(x) + c1 t g.d          (sufficient decrease, c1 = 1e-4)
    |g(x + t d) . d| <= c2 |g.d|           (curvature, c2 = 0.9)

found by bracketing and cubic interpolation. One ``step(closure)`` runs up to ``max_iter``
such iterations and ``max_eval`` evaluations of the closure, stopping early when the
gradient (``tolerance_grad``) or the progress (``tolerance_change``) gets small. The state
(the history and the last direction and step) lives in the first parameter's entry of
``state``, as PyTorch keeps it, so it is saved with ``state_dict()``.

The iterations are :func:`pybigml.ops.optim.lbfgs_step`, on the parameters' arrays in
their dtype, in PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..ops.optim import lbfgs_step
from .optimizer import Optimizer, check_hyperparameters


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``; ``step`` needs a closure that returns the loss.

    Only one parameter group is supported, and the memory used is about
    ``(2 * history_size + 3)`` copies of the parameters.

    Args:
        params: parameters to optimise (one group).
        lr: scale of each step (the initial step of the line search).
        max_iter: iterations per ``step()``.
        max_eval: closure evaluations per ``step()`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this.
        tolerance_change: stop when the loss or the parameters change less than this.
        history_size: how many ``(s, y)`` pairs to remember.
        line_search_fn: ``None`` (fixed step ``lr``) or ``"strong_wolfe"``.

    Example::

        >>> opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_hyperparameters(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: clears the gradients, computes the loss, calls ``backward()`` and
                returns the loss (it is run with grad enabled).

        Returns:
            The loss of the first closure evaluation (before any update).
        """
        group = self.param_groups[0]
        params = group["params"]

        def evaluate() -> Any:
            with enable_grad():
                return closure()

        # The state is global; it lives with the first parameter so that state_dict() and
        # load_state_dict() carry it.
        state = self.state[params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        state["func_evals"] += 1
        lbfgs_step(
            params,
            lambda: float(evaluate()),
            float(orig_loss),
            state,
            lr=float(group["lr"]),
            max_iter=group["max_iter"],
            max_eval=group["max_eval"],
            tolerance_grad=group["tolerance_grad"],
            tolerance_change=group["tolerance_change"],
            history_size=group["history_size"],
            line_search_fn=group["line_search_fn"],
        )
        return orig_loss
