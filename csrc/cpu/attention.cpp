// attention kernels (being written).
