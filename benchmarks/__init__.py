"""Side-by-side benchmarks of pybigml against PyTorch and numpy (see common.py)."""
