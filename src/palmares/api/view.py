"""The published view and the producer view of a ranking table (contracts section 12).

Published (default): exactly what the publisher prints. Inside a band there is no rank (only
the band); where the publisher prints no overall rank (a ranking by grade counts, U-Multirank)
there is none. Producer: palmares' computed ranks everywhere, each marked ``rank_is_computed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from palmares import ranking as rk

COLUMNS = (
    "institution",
    "name",
    "country",
    "region_code",
    "rank",
    "rank_display",
    "band_lo",
    "band_hi",
    "band",
    "score",
    "group",
    "rank_is_computed",
)


def _base(result: Any, lang: str) -> pd.DataFrame:
    frame = result.to_frame(lang, nodes=False)
    return frame[frame["eligible"]].reset_index(drop=True)


def ranking_rows(result: Any, lang: str, view: str) -> pd.DataFrame:
    """The table's ranked (and banded) institutions in the publisher's order, API columns."""
    frame = _base(result, lang)
    frame = frame[frame["rank"] > 0]
    rank = frame["rank"].to_numpy(dtype=np.int64)
    lo = frame["band_lo"].to_numpy(dtype=np.int64)
    hi = frame["band_hi"].to_numpy(dtype=np.int64)
    in_band = (lo > 0) & (hi != lo)
    no_overall = result.methodology.ranking.by == "grade_counts"
    hidden = np.ones(len(frame), dtype=bool) if no_overall else in_band
    display = frame["rank_display"].astype(object).to_numpy()
    band = frame["band"].astype(object).to_numpy()
    out = pd.DataFrame(
        {
            "institution": frame["institution"].to_numpy(dtype=object),
            "name": frame["name"].to_numpy(dtype=object),
            "country": frame["country"].to_numpy(dtype=object),
            "region_code": frame["region_code"].to_numpy(dtype=object),
            "rank": rank.astype(object),
            "rank_display": display,
            "band_lo": np.where(lo > 0, lo, 0).astype(object),
            "band_hi": hi.astype(object),
            "band": band,
            "score": frame["score"].to_numpy(dtype=float),
            "group": frame["group"].to_numpy(dtype=object),
            "rank_is_computed": hidden,
        }
    )
    out.loc[lo <= 0, ["band_lo", "band_hi", "band"]] = None
    out.loc[hi == rk.BAND_OPEN, "band_hi"] = None
    if view == "published":
        out.loc[hidden, "rank"] = None
        shown = np.where(in_band, band, display)
        out["rank_display"] = np.where(hidden & ~in_band, np.array(None), shown)
        out["rank_is_computed"] = False
    return out.reset_index(drop=True)


def personalised_rows(result: Any, lang: str) -> pd.DataFrame:
    """A personalised table: palmares' own ranks (labelled computed), ranked peers only."""
    frame = _base(result, lang)
    frame = frame[frame["rank"] > 0]
    out = pd.DataFrame(
        {
            "institution": frame["institution"].to_numpy(dtype=object),
            "name": frame["name"].to_numpy(dtype=object),
            "country": frame["country"].to_numpy(dtype=object),
            "region_code": frame["region_code"].to_numpy(dtype=object),
            "rank": frame["rank"].to_numpy(dtype=np.int64).astype(object),
            "rank_display": frame["rank_display"].astype(object).to_numpy(),
            "band_lo": None,
            "band_hi": None,
            "band": None,
            "score": frame["score"].to_numpy(dtype=float),
            "group": None,
            "rank_is_computed": True,
        }
    )
    return out.reset_index(drop=True)
