"""Weight reparametrisations by forward pre-hook: ``weight_norm`` and ``spectral_norm``.

Each replaces a module's parameter ``name`` by other parameters (and buffers), and before
every forward recomputes ``module.<name>`` from them as a plain tensor in the graph, so the
gradient reaches the new parameters:

* weight norm:   w = g * v / ||v||      (norm over every dim but ``dim``; g starts as ||w||)
* spectral norm: w = w_orig / sigma(w_orig), sigma the largest singular value of w_orig
  reshaped to a matrix, estimated by power iteration on persistent vectors u, v (one or more
  steps per training forward; none in eval mode).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import randn
from ..functional.distance import normalize
from ..parameter import Parameter


def _norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim`` (all of them when None), keeping dims."""
    if dim is None:
        return v.norm()
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return v.norm(2, dim=others, keepdim=True) if others else v.abs()


class _WeightNorm:
    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Any) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute(module))


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (parameters ``<name>_g`` and
    ``<name>_v``); ``dim=None`` normalises the whole tensor. Returns the module."""
    warnings.warn(
        "`torch.nn.utils.weight_norm` is deprecated in favor of "
        "`torch.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    weight = getattr(module, name)
    fn = _WeightNorm(name, -1 if dim == -1 else dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Any, name: str = "weight") -> Any:
    """Fold ``g`` and ``v`` back into one parameter ``<name>``."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module)
            delattr(module, name)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            module.register_parameter(name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


class _SpectralNorm:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            order = [self.dim, *[d for d in range(weight.ndim) if d != self.dim]]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute(self, module: Any, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        w = self.matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    # in place, so the buffers (and the state dict) keep the estimate
                    v.copy_(normalize(w.detach().t() @ u, dim=0, eps=self.eps))
                    u.copy_(normalize(w.detach() @ v, dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()
        sigma = u.dot(w @ v)
        return weight / sigma

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute(module, module.training))


def spectral_norm(
    module: Any,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Any:
    """Divide ``module.<name>`` by its spectral norm before every forward (parameter
    ``<name>_orig``, buffers ``<name>_u`` and ``<name>_v``). ``dim`` (default 0, 1 for
    transposed convolutions) is the output dim of the weight. Returns the module."""
    if dim is None:
        transposed = type(module).__name__.startswith("ConvTranspose")
        dim = 1 if transposed else 0
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two spectral_norm hooks on the same parameter {name}"
            )
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    with no_grad():
        w = fn.matrix(weight)
        h, width = w.shape
        u = normalize(randn(h, dtype=weight.dtype), dim=0, eps=eps)
        v = normalize(randn(width, dtype=weight.dtype), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Any, name: str = "weight") -> Any:
    """Replace the reparametrisation by a plain parameter holding the current normalised
    weight."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module, do_power_iteration=False)
            delattr(module, name)
            del module._parameters[name + "_orig"]
            del module._buffers[name + "_u"]
            del module._buffers[name + "_v"]
            module.register_parameter(name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
