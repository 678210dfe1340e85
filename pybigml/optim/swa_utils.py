"""Weight averaging: ``AveragedModel`` (SWA and EMA), the ``SWALR`` schedule, ``update_bn``.

Stochastic Weight Averaging (Izmailov et al., 2018) keeps the running mean of the weights
visited late in training, with a constant or cyclic learning rate; the average sits nearer
the centre of a wide minimum than any single iterate. After ``n`` models,

    W_swa = W_swa + (W - W_swa) / (n + 1)          (the equal-weight running mean)

An exponential moving average (EMA) weights recent models more:

    W_ema = decay * W_ema + (1 - decay) * W

The first update copies the model's weights. ``SWALR`` anneals each group's learning rate
to a constant ``swa_lr``; ``update_bn`` recomputes the batch-norm statistics of the averaged
weights with one pass over the data (averaged weights see activations that no single model
produced, so the statistics tracked during training no longer fit).
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._dtype import int64
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.instancenorm import _InstanceNorm
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..ops.creation import zeros
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]

AvgFn = Callable[[Tensor, Tensor, Any], Tensor]
MultiAvgFn = Callable[[Sequence[Tensor], Sequence[Tensor], Any], None]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """An in-place EMA update over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

    Args:
        decay: weight of the average so far, in [0, 1].

    Returns:
        ``update(averaged, current, num_averaged)``: ``averaged = lerp(averaged, current,
        1 - decay)`` for each pair.
    """
    _check_decay(decay)

    def ema_update(ema_params: Sequence[Tensor], current_params: Sequence[Tensor], _: Any) -> None:
        with no_grad():
            for p_ema, p_model in zip(ema_params, current_params):
                if p_ema.is_floating_point():
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """An in-place equal-weight (SWA) update over lists of tensors.

    Returns:
        ``update(averaged, current, num_averaged)``: ``averaged += (current - averaged) /
        (num_averaged + 1)`` for each pair (a ``lerp`` with weight ``1 / (n + 1)``).
    """

    def swa_update(
        averaged_params: Sequence[Tensor], current_params: Sequence[Tensor], num_averaged: Any
    ) -> None:
        with no_grad():
            for p_avg, p_model in zip(averaged_params, current_params):
                if p_avg.is_floating_point():
                    p_avg.lerp_(p_model, float(1 / (num_averaged + 1)))
                else:
                    p_avg.add_((p_model - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """An EMA update of one tensor, for ``AveragedModel(avg_fn=...)``.

    Returns:
        ``update(averaged, current, num_averaged) -> decay * averaged + (1 - decay) * current``.
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The equal-weight (SWA) update of one tensor (``AveragedModel``'s default).

    Returns:
        ``update(averaged, current, n) -> averaged + (current - averaged) / (n + 1)``.
    """

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s, as
    ``torch.optim.swa_utils.AveragedModel``.

    ``n_averaged`` (an int64 buffer) counts the models averaged so far. Calling the averaged
    model runs the copy. Unless ``use_buffers``, buffers (batch-norm statistics) are copied
    from ``model`` at each update rather than averaged.

    Args:
        model: the model to average (deep-copied).
        device: where to keep the copy (default: where ``model`` is).
        avg_fn: ``avg_fn(averaged, current, n) -> new averaged`` per tensor.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n)``, in place. Without
            either, the equal-weight average (SWA).
        use_buffers: average the buffers too (and update them with the parameters).

    Example::

        >>> swa_model = AveragedModel(model)
        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.99))
        >>> for epoch in range(epochs):
        ...     train_one_epoch(model)
        ...     swa_model.update_parameters(model)
        >>> update_bn(loader, swa_model)
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", zeros((), dtype=int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the
        average; the first call copies them."""
        if self.use_buffers:
            averaged = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            current = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            averaged, current = list(self.parameters()), list(model.parameters())
        # zip stops at the shorter list, as PyTorch's does
        pairs = [(a.detach(), c.detach()) for a, c in zip(averaged, current)]
        n_averaged = self.n_averaged
        with no_grad():
            if int(n_averaged) == 0:
                for p_avg, p_model in pairs:
                    p_avg.copy_(p_model)
            elif self.avg_fn is not None:
                for p_avg, p_model in pairs:
                    p_avg.copy_(self.avg_fn(p_avg, p_model, n_averaged))
            elif self.multi_avg_fn is not None:
                # One call per dtype, as PyTorch groups the tensors.
                groups: dict[Any, tuple[list[Tensor], list[Tensor]]] = {}
                for p_avg, p_model in pairs:
                    group = groups.setdefault(p_avg.dtype, ([], []))
                    group[0].append(p_avg)
                    group[1].append(p_model)
                for avg_group, model_group in groups.values():
                    self.multi_avg_fn(avg_group, model_group, n_averaged)
            else:
                swa = get_swa_avg_fn()
                for p_avg, p_model in pairs:
                    p_avg.copy_(swa(p_avg, p_model, n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.copy_(b_model.detach())
            self.n_averaged.add_(1)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of ``model``'s batch-norm layers over ``loader``.

    The statistics are reset and become the plain average over all batches (momentum
    ``None`` for the pass); each layer's momentum and the model's train/eval mode are
    restored afterwards.

    Args:
        loader: batches: tensors, or lists/tuples whose first item is the input.
        model: the model (e.g. an ``AveragedModel``).
        device: where to move each batch first.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs, then
    hold it, as ``torch.optim.swa_utils.SWALR``.

    With ``alpha = f(t)``, ``t = min(1, step / anneal_epochs)`` and ``f`` the annealing
    (``"cos"``: ``(1 - cos(pi t)) / 2``, ``"linear"``: ``t``):

        lr_t = alpha * swa_lr + (1 - alpha) * lr_0

    where ``lr_0`` is recovered from the current rate and the previous ``alpha`` (so another
    scheduler may have changed the rate before SWALR takes over).

    Args:
        optimizer: the optimizer.
        swa_lr: the final rate, one for all groups or one per group.
        anneal_epochs: length of the annealing (0: ``swa_lr`` at once).
        anneal_strategy: ``"cos"`` or ``"linear"``.
        last_epoch: index of the last epoch (``-1`` to start).

    Example::

        >>> swa_scheduler = SWALR(opt, swa_lr=0.05, anneal_epochs=5)
        >>> for epoch in range(epochs):
        ...     train_one_epoch(model, opt)
        ...     swa_scheduler.step()
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Sequence[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        for value, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: Any, swa_lr: Any, alpha: float) -> Any:
        """The starting rate ``lr_0`` from ``lr = alpha * swa_lr + (1 - alpha) * lr_0``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self) -> list[Any]:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs)
        ]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the annealing function."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict()`` (and the annealing function)."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
