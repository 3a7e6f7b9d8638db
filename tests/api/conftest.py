"""Fixtures of the API tests: the demo world served in-process, and a small world (L'Étudiant
only) with an institution whose name tries to be a spreadsheet formula."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

# Starlette's test client announces a move to another HTTP library; nothing to act on here.
warnings.filterwarnings("ignore", message=".*httpx2.*")
from fastapi.testclient import TestClient  # noqa: E402

from palmares.api import ServiceContext, create_app  # noqa: E402
from palmares.dataset import Dataset  # noqa: E402
from palmares.demo import generate  # noqa: E402

TOKEN = "test-token-4f2a"
FORMULA_NAME = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="session")
def world() -> Dataset:
    """The default demo world (seed 0), generated once per test session."""
    return generate(0)


@pytest.fixture(scope="session")
def context(world: Dataset) -> ServiceContext:
    return ServiceContext.from_dataset(world, token=TOKEN)


@pytest.fixture(scope="session")
def client(context: ServiceContext) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as test_client:
        yield test_client


def letudiant_world(world: Dataset, *, rename: str | None = FORMULA_NAME) -> Dataset:
    """L'Étudiant's editions of the demo world alone; the 2024 leader renamed ``rename``."""
    tables = world.to_frames()
    obs = tables["observations"]
    obs = obs[obs["system"] == "letudiant"]
    ids = set(obs["institution"])
    inst = tables["institutions"]
    inst = inst[inst["id"].isin(ids)].reset_index(drop=True)
    if rename is not None:
        leader = "fr-randoupon-compiegne"
        inst.loc[inst["id"] == leader, "name"] = rename
    ind = tables["indicators"]
    keep = ind["id"].eq("letudiant") | ind["id"].str.startswith("letudiant.")
    out = {
        "institutions": inst,
        "aliases": tables["aliases"][tables["aliases"]["institution"].isin(ids)],
        "lineage": tables["lineage"].iloc[:0],
        "networks": tables["networks"][tables["networks"]["institution"].isin(ids)],
        "indicators": ind[keep],
        "editions": tables["editions"][tables["editions"]["system"] == "letudiant"],
        "observations": obs,
    }
    return Dataset({k: v.reset_index(drop=True) for k, v in out.items()})


@pytest.fixture(scope="session")
def small_world(world: Dataset) -> Dataset:
    return letudiant_world(world)


@pytest.fixture
def small_client(small_world: Dataset) -> Iterator[TestClient]:
    """A fresh app over the small world (writes may change it)."""
    with TestClient(create_app(ServiceContext.from_dataset(small_world, token=TOKEN))) as c:
        yield c
