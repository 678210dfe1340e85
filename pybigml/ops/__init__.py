"""The ops: one module per family, each op's forward and backward side by side.

Every autograd ``Function`` of pybigml lives here. The layers above (nn, optim,
distributions, linalg, special) are façades over these modules; below them are autograd,
``Tensor`` and the backend, which the ops reach through ``backend.of(arrays)``.
"""
