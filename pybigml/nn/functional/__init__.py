"""``pybigml.nn.functional``: the stateless layer functions (``import ... as F``)."""

from .loss import *  # noqa: F403
from .loss import _as_shape, _padding_row, _resolve_reduction  # noqa: F401
