"""``Linear`` (``y = x W^T + b``), ``LazyLinear``, ``Bilinear`` (``y = x1^T A x2 + b``) and
``Identity``."""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ..ops.creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, UninitializedParameter


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """Affine map ``y = x W^T + b`` over the last dimension.

    ``weight`` is ``(out_features, in_features)``, initialised by
    ``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-1/sqrt(in), 1/sqrt(in))``; ``bias`` is
    ``(out_features,)`` from the same range.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> fc = nn.Linear(20, 30)
        >>> fc(pybigml.randn(128, 20)).shape
        pybigml.Size([128, 30])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (and bias) from the default distribution."""
        # gain(leaky_relu, sqrt 5) = sqrt(1/3), so the bound is sqrt(3) * sqrt(1/3) / sqrt(in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is taken from its first input: until then its
    weight and bias are ``UninitializedParameter``s; the first call materialises them (the
    same objects, so an optimizer may be built before it), draws their initial values, and
    the module becomes a ``Linear``.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias.
        device, dtype: as for ``Linear``.
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.in_features:
            super().reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        if isinstance(self.weight, UninitializedParameter):
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
            self.__class__ = self.cls_to_become
        return F.linear(input, self.weight, self.bias)


class Bilinear(Module):
    """Bilinear map ``y_o = x1^T A_o x2 + b_o`` of two inputs.

    ``weight`` is ``(out_features, in1_features, in2_features)`` and ``bias``
    ``(out_features,)``, both from ``U(-1/sqrt(in1), 1/sqrt(in1))``.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(pybigml.randn(128, 20), pybigml.randn(128, 30)).shape
        pybigml.Size([128, 40])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty((out_features, in1_features, in2_features), device=device, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias from ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
