"""The package version (read by the package face and by the run records of pybigml.train)."""

__version__ = "0.1.0"
