import pytest

from palmares.dataset import Dataset
from palmares.demo import generate


@pytest.fixture(scope="session")
def world() -> Dataset:
    """The default demo world (seed 0), generated once per test session."""
    return generate(0)
