"""Fuzzing profiles: a bounded run in ``make test``, a long one under ``make fuzz``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz-quick",
    max_examples=25,
    deadline=None,
    derandomize=True,  # same examples on every run: the suite stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz-long",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1500")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
