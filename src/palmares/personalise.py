"""Personalised rankings: re-aggregate a computed Result on chosen criteria, weights and peers.

Nothing before aggregation reruns: the leaf values the engine cached (after imputation,
treatment, normalisation, points or grades, computed on the whole field) are re-aggregated over
the tree restricted to the chosen criteria, with the user's weights, for the institutions that
pass the filters; then the methodology's root steps and ranking rules apply. Bands and groups
belong to the published table and are not recomputed for a personalised one.
"""

from __future__ import annotations

from palmares.result import (
    Personalisation,
    PersonalisationError,
    expand_criteria,
    personalise,
)

__all__ = ["Personalisation", "PersonalisationError", "expand_criteria", "personalise"]
