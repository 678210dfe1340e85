// reduce kernels (being written).
