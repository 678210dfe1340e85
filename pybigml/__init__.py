"""pybigml: a from-scratch deep-learning engine with PyTorch's API.

A reverse-mode autograd ``Tensor`` (numpy storage) on hand-written C++ kernels::

    import pybigml as torch
    x = torch.randn(4, 3, requires_grad=True)
    (x @ x.T).sum().backward()
"""

from __future__ import annotations

import math as _math
import os as _os

# Idle OpenMP threads sleep instead of spinning (unless the user chose otherwise): on a
# machine whose cores are shared — with other processes, or with another OpenMP runtime in
# the same process, such as PyTorch's — spinning workers starve the threads doing the work,
# which measured 3-30x slowdowns of 2-thread kernels here; on an idle machine the two
# policies ran the training loop and the kernels equally fast. Read when the native kernels
# load below.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._version import __version__

from ._device import device
from ._dtype import bool_ as bool
from ._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._dtype import result_type as _result_type
from ._tensor import Size, Tensor

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

# Order matters below: the ops, then their binding onto Tensor, then the layers built on them.
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import get_num_threads, set_num_threads
from .ops.creation import *
from .ops.indexing import index_put
from .ops.linalg import *
from .ops.pointwise import *
from .ops.reduction import *
from .ops.composite import *
from .ops.scatter_gather import *
from .ops.shape import *
from .ops.sorting import *
from .ops.special import *
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._repr import set_printoptions
from .serialization import load, save
from .ops import methods as _method_table  # binds the ops onto Tensor: methods, operators
from .autograd import functional as _autograd_functional  # built on the ops, so loaded here
from . import cuda, distributions, func, linalg, nn, optim, special, testing, utils
from ._config import (
    are_deterministic_algorithms_enabled,
    compile,
    get_default_device,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_default_device,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from ._info import finfo, iinfo

autograd.gradcheck = testing.gradcheck  # torch.autograd.gradcheck, as in PyTorch
autograd.gradgradcheck = testing.gradgradcheck
globals().update(_method_table.TOP_LEVEL)


inf = _math.inf
nan = _math.nan
pi = _math.pi
e = _math.e
newaxis = None


def result_type(tensor1: object, tensor2: object) -> dtype:
    """The dtype PyTorch's promotion gives for an operation on the two operands."""
    return _result_type(tensor1, tensor2)


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def typename(obj: object) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__
