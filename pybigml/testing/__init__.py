"""Testing tools, public as ``torch.testing`` and ``torch.autograd.gradcheck`` are.

* :func:`gradcheck`, :func:`gradgradcheck`: first and second derivatives against float64
  finite differences.
* :func:`assert_close`, :func:`make_tensor`: as in ``torch.testing``.
* :mod:`pybigml.testing.strategies` (needs ``hypothesis``): shapes, broadcastable shapes, value
  domains and tensors in non-contiguous memory layouts, for property-based tests.
* :mod:`pybigml.testing.registry`: the registry of ops the project's own suite is generated from.
"""

from pybigml.testing.comparison import assert_close
from pybigml.testing.creation import make_tensor
from pybigml.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "assert_close", "gradcheck", "gradgradcheck", "make_tensor"]
