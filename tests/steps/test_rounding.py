from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from palmares.steps.rounding import round_half_up

pytestmark = pytest.mark.filterwarnings("error")


def reference(x: float, decimals: int) -> float:
    return float(Decimal(f"{x:.12g}").quantize(Decimal(10) ** -decimals, ROUND_HALF_UP))


def test_snaps_before_rounding_half_up() -> None:
    assert round_half_up(3.3499999999999996, 2) == 3.35
    assert round_half_up(3.3499999999999996, 1) == 3.4  # 3.35 -> half-up
    assert round_half_up(0.125, 2) == 0.13  # Python's round gives 0.12
    assert (
        round_half_up(2.675, 2) == 2.68
    )  # the float is 2.67499999999999982236431605997495353221893310546875
    assert round_half_up(-2.5, 0) == -3.0  # ROUND_HALF_UP is away from zero
    assert round_half_up(72.25, 1) == 72.3


def test_nan_inf_zero_and_shapes() -> None:
    x = np.array([[np.nan, np.inf], [-np.inf, -0.0004]])
    x.flags.writeable = False
    out = round_half_up(x, 2)
    assert out.shape == (2, 2)
    assert np.isnan(out[0, 0]) and out[0, 1] == np.inf and out[1, 0] == -np.inf
    assert out[1, 1] == 0.0 and not np.signbit(out[1, 1])  # never "-0.0"


def test_decimals_per_column() -> None:
    x = np.array([[1.25, 1.25, 1.25]])
    assert round_half_up(x, np.array([0, 1, 2])).tolist() == [[1.0, 1.3, 1.25]]


def test_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="decimals"):
        round_half_up(1.0, 11)
    with pytest.raises(ValueError, match="decimals"):
        round_half_up(1.0, -1)
    with pytest.raises(ValueError, match="integers"):
        round_half_up(1.0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1e"):
        round_half_up(1e40, 0)


def boundary_values(decimals: int, rng: np.random.Generator, count: int) -> np.ndarray:
    """Halfway points k/2 * 10**-d and their float neighbours, of both signs and many sizes."""
    j = rng.integers(-(10**7), 10**7, count // 4)
    scale = 10.0 ** rng.integers(
        0, 8, count // 4
    )  # up to 1e14 in magnitude: 12-digit snapping bites
    halves = (2 * j + 1) / 2 * 10.0**-decimals * scale
    near = [np.nextafter(halves, np.inf), np.nextafter(halves, -np.inf)]
    twice = np.nextafter(np.nextafter(halves, np.inf), np.inf)
    spread = rng.standard_normal(count // 8) * 10.0 ** rng.integers(-12, 22 - decimals, count // 8)
    exact_ties = (
        rng.integers(10**12, 10**14, count // 8).astype(np.float64) * 10
    )  # ties at digit 13
    parts = [halves, *near, twice, spread, exact_ties]
    return np.concatenate(parts)[:count]


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, 4])
def test_equals_decimal_reference_on_boundary_values(decimals: int) -> None:
    rng = np.random.default_rng(1000 + decimals)
    x = boundary_values(decimals, rng, 20_000)
    assert x.size == 20_000
    expected = np.array([reference(v, decimals) for v in x.tolist()])
    actual = round_half_up(x, decimals)
    mismatched = np.nonzero(actual != expected)[0]
    assert mismatched.size == 0, [(repr(x[i]), actual[i], expected[i]) for i in mismatched[:5]]


def test_equals_decimal_reference_for_more_decimals_and_tiny_values() -> None:
    rng = np.random.default_rng(5)
    for decimals in (5, 8, 10):
        x = rng.standard_normal(2000) * 10.0 ** rng.integers(-13, 14, 2000)
        x = np.concatenate([x, [5e-11, 4.9999999999995e-11, 9.9999999999995e-11, 1e-12, 1e-300]])
        expected = np.array([reference(v, decimals) for v in x.tolist()])
        np.testing.assert_array_equal(round_half_up(x, decimals), expected)


def test_screened_path_equals_the_exact_path_everywhere() -> None:
    """Scalar decimals take a screened fast path; arrays of decimals always take the exact one."""
    from palmares.steps.rounding import _round_exact

    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            rng.normal(0, 100, 50_000),
            np.round(rng.normal(0, 100, 50_000), 3) + rng.choice([-1, 0, 1], 50_000) * 1e-13,
            rng.lognormal(0, 6, 50_000),
        ]
    )
    for d in range(0, 6):
        np.testing.assert_array_equal(round_half_up(x, d), _round_exact(x, d))
