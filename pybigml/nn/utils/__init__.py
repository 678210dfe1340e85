"""``pybigml.nn.utils``: helpers around parameters and their gradients.

* :mod:`clip_grad`: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
  ``clip_grads_with_norm_``;
* :mod:`convert_parameters`: ``parameters_to_vector``, ``vector_to_parameters``;
* :mod:`rnn`: ``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``,
  ``pad_sequence``, ``pack_sequence`` and their inverses;
* :mod:`reparametrize`: ``weight_norm``, ``spectral_norm`` and their removal.
"""

from . import rnn, stateless
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .reparametrize import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "weight_norm",
    "rnn",
    "stateless",
    "vector_to_parameters",
]
