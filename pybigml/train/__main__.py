"""``python -m pybigml.train MODEL``: see ``pybigml.train.cli``."""

import sys

from .cli import main

sys.exit(main())
