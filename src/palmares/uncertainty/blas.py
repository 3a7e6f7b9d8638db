"""One BLAS thread for the replay's many small matrix products.

The replay multiplies thin matrices (draws x a few children) thousands of times; OpenBLAS's
threads cost more than they give there, and fight with Dask workers. numpy's bundled OpenBLAS
has a thread-local setter; when it cannot be found this does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np


@lru_cache(maxsize=1)
def _setter() -> Any:
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so"))):
        try:
            lib = ctypes.CDLL(path)
            setter = lib.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        setter.restype = ctypes.c_int
        return setter
    return None


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one BLAS thread in this thread, then restore the previous count."""
    setter = _setter()
    if setter is None:
        yield
        return
    previous = setter(1)
    try:
        yield
    finally:
        setter(previous)
