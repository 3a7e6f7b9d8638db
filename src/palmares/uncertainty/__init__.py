"""Uncertainty and sensitivity of ranks: Monte Carlo over method choices, Sobol indices.

``uncertainty(dataset, method, edition, draws, spec=...)`` replays a computed Result for every
draw of weights (vectorised), alternative steps (one engine run per alternative) and indicator
exclusions, and returns rank intervals, P(top k), P(same band) and, against a previous edition,
the probability that a published move is real. ``sensitivity(...)`` gives first-order and total
Sobol indices with bootstrap intervals (SALib).
"""

from palmares.uncertainty.monte_carlo import UncertaintyResult, uncertainty
from palmares.uncertainty.spec import UncertaintySpec, load_spec, parse_spec

__all__ = ["UncertaintyResult", "UncertaintySpec", "load_spec", "parse_spec", "uncertainty"]
