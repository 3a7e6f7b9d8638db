"""The published view and the producer view of a ranking table (contracts section 12).

Published (default): exactly what the publisher prints. Inside a band there is no rank (only
the band); where the publisher prints no overall rank (a ranking by grade counts, U-Multirank)
there is none. Producer: palmares' computed ranks everywhere, each marked ``rank_is_computed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
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
    # An individually shown rank is a one-rank "band" in the table: no band for it here.
    out.loc[~in_band, ["band_lo", "band_hi", "band"]] = None
    out.loc[hi == rk.BAND_OPEN, "band_hi"] = None
    if view == "published":
        out.loc[hidden, "rank"] = None
        shown = np.where(in_band, band, display)
        out["rank_display"] = np.where(hidden & ~in_band, np.array(None), shown)
        out["rank_is_computed"] = False
    return out.reset_index(drop=True)


def published_rows(standings: pd.DataFrame, lang: str) -> pd.DataFrame:
    """An imported table as its publisher printed it: exact ranks, bands beyond them; nothing
    palmares computed (``rank_is_computed`` is false everywhere, in every view)."""
    frame = standings.reset_index()
    frame = frame.rename(columns={frame.columns[0]: "institution"})
    rank = frame["rank"].to_numpy(dtype=np.int64)
    lo = frame["band_lo"].to_numpy(dtype=np.int64)
    hi = frame["band_hi"].to_numpy(dtype=np.int64)
    in_band = lo > 0
    order = np.lexsort((frame["institution"].astype(str).to_numpy(), np.where(in_band, lo, rank)))
    shown = frame[f"rank_display_{lang}"].astype(object).to_numpy()
    out = pd.DataFrame(
        {
            "institution": frame["institution"].to_numpy(dtype=object),
            "name": frame["name"].to_numpy(dtype=object),
            "country": frame["country"].to_numpy(dtype=object),
            "region_code": frame["region_code"].to_numpy(dtype=object),
            "rank": np.where(rank > 0, rank, 0).astype(object),
            "rank_display": np.where(shown == "", np.array(None), shown),
            "band_lo": np.where(in_band, lo, 0).astype(object),
            "band_hi": hi.astype(object),
            "band": frame["band"].to_numpy(dtype=object),
            "score": frame["score"].to_numpy(dtype=float),
            "group": None,
            "rank_is_computed": False,
        }
    ).iloc[order]
    out.loc[out["rank"] == 0, "rank"] = None
    out.loc[~in_band[order], ["band_lo", "band_hi", "band"]] = None
    out.loc[out["band_hi"] == rk.BAND_OPEN, "band_hi"] = None
    return out.reset_index(drop=True)


def personalised_order(result: Any) -> npt.NDArray[np.intp]:
    """Positions of the ranked peers in the table's order (as :meth:`Result.to_frame`: rank
    then id; a ranking by grade counts lists A, then B, ... counts, then name)."""
    rank = result.ranking.rank
    ranked = np.flatnonzero(rank > 0)
    id_codes, name_codes = _sort_codes(result.institutions, result.names)
    keys: list[Any] = [id_codes[ranked], rank[ranked]]
    if result.methodology.ranking.by == "grade_counts" and result.grade_counts is not None:
        counts = result.grade_counts[ranked, result.tree.index(result.tree.roots[0])]
        name_codes = name_codes[ranked]
        keys += [name_codes, *(-counts[:, g] for g in range(counts.shape[1] - 1, -1, -1))]
    return ranked[lexsort_ints(keys)]


def lexsort_ints(keys: list[npt.NDArray[Any]]) -> npt.NDArray[np.intp]:
    """``np.lexsort(keys)`` (the last key first) for integer keys, as one stable sort of a
    mixed-radix code when the keys' ranges fit in 63 bits (the same order, a fraction of
    the time: one pass instead of one per key); else ``np.lexsort`` itself."""
    if not keys or len(keys[0]) == 0:
        return np.lexsort(keys) if keys else np.arange(0, dtype=np.intp)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    if np.prod([float(s) for s in spans]) >= 2.0**62:
        return np.lexsort(keys)
    code = np.zeros(len(keys[0]), dtype=np.int64)
    for k, low, span in zip(reversed(keys), reversed(lows), reversed(spans), strict=True):
        code *= span
        code += k.astype(np.int64) - low
    return np.argsort(code, kind="stable")


#: Sort codes of a table's ids and names, by the identity of its tuples (a personalised
#: table keeps its base's tuples when no filter applies): hashing 2,000 names per request
#: would cost more than the sort.
_SORT_CODES: dict[tuple[int, int], tuple[Any, ...]] = {}


def _sort_codes(
    ids: tuple[str, ...], names: tuple[str, ...]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Sort positions of ids and names (computed once per table)."""
    key = (id(ids), id(names))
    kept = _SORT_CODES.get(key)
    if kept is not None and kept[0] is ids and kept[1] is names:
        return kept[2], kept[3]
    id_codes = np.empty(len(ids), dtype=np.intp)
    id_codes[np.argsort(np.asarray(ids, dtype=str), kind="stable")] = np.arange(len(ids))
    _, name_codes = np.unique(np.asarray(names, dtype=str), return_inverse=True)
    if len(_SORT_CODES) >= 32:
        _SORT_CODES.pop(next(iter(_SORT_CODES)), None)
    _SORT_CODES[key] = (ids, names, id_codes, name_codes)
    return id_codes, name_codes


def personalised_page(
    result: Any, lang: str, page: int, per_page: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of a personalised table: palmares' own ranks (labelled computed), ranked
    peers only; display strings made for the page's rows alone."""
    order = personalised_order(result)
    rows = order[(page - 1) * per_page : page * per_page]
    table = result.ranking
    genders = result.attributes.get("gender")
    shown = rk.display_ranks(
        table.rank[rows],
        table.tie_size[rows],
        table.ties,
        lang,
        None if genders is None else np.asarray(genders)[rows],
    )
    country = result.attributes.get("country")
    out = []
    for k, i in enumerate(rows.tolist()):
        score = float(table.published_score[i])
        out.append(
            {
                "institution": result.institutions[i],
                "name": result.names[i],
                "country": None if country is None else _text(country[i]),
                "rank": int(table.rank[i]),
                "rank_display": str(shown[k]),
                "band_lo": None,
                "band_hi": None,
                "score": score if np.isfinite(score) else None,
                "group": None,
                "rank_is_computed": True,
            }
        )
    return len(order), out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class RankedRows:
    """A ranking table kept ready to answer pages: JSON-ready rows and the arrays filters
    read, so a request only selects and slices."""

    frame: pd.DataFrame
    records: list[dict[str, Any]]
    ids: npt.NDArray[np.object_]
    country: npt.NDArray[np.object_]
    region: npt.NDArray[np.object_]
    folded: npt.NDArray[np.object_]
    countries: frozenset[str]
    regions: frozenset[str]
    derived: dict[Any, Any] = field(default_factory=dict)


def ranked_rows(frame: pd.DataFrame) -> RankedRows:
    from palmares.api.context import records
    from palmares.names import fold_name

    columns = [c for c in frame.columns if c not in ("region_code", "band")]
    country = np.array([c if isinstance(c, str) else None for c in frame["country"]], object)
    region = np.array([r if isinstance(r, str) else None for r in frame["region_code"]], object)
    names = frame["name"].to_numpy(dtype=object)
    return RankedRows(
        frame=frame,
        records=records(frame[columns]),
        ids=frame["institution"].to_numpy(dtype=object),
        country=country,
        region=region,
        folded=np.array([fold_name(str(n)) for n in names], dtype=object),
        countries=frozenset(c for c in country if isinstance(c, str)),
        regions=frozenset(r for r in region if isinstance(r, str)),
    )
