"""Ranks with ties, display ranks, bands, groups, percentiles and ranks inside subsets.

Conventions shared by every function here:

- Scores are ranked along the LAST axis, so a ``(d, n)`` batch of ``d`` score vectors (Monte
  Carlo draws, weight vectors) ranks row by row in one call. Per-institution arguments of shape
  ``(n,)`` (masks, group codes, ids, genders) broadcast against the batch.
- A NaN score is unranked: integer rank arrays hold 0 there (and tie sizes, group sizes 0);
  float outputs (fractional ranks) hold NaN.
- Ties are exact: two scores tie iff they are equal as floats (``0.0 == -0.0``). A methodology
  that ranks on the published precision rounds its scores first (``steps`` rounding), so this
  module never guesses a tolerance.
- Rank 1 is the best. ``higher_is_better=False`` ranks ascending scores.
- Every function is pure and returns new arrays; none loops over institutions in Python (the
  only loops run over the few rows of a band table, groups of a range table or rank strings).

Rank kinds: competition ("1224", the default of every ranker palmares reproduces), dense
("1223"), ordinal ("1234", ties broken by institution id) and fractional ("1 2.5 2.5 4").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from palmares.lang import RANK_STYLES, check_lang, rank_label

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: ``band_hi`` of an open-ended band ("1001+").
BAND_OPEN: Final = -1

#: Default "top N" ladder (claims: "top N" uses the smallest rung >= the rank).
_SMALL_RUNGS = (1, 3, 5, 10, 15, 20, 25, 30, 40, 50)
TOP_N_LADDER: Final = (*_SMALL_RUNGS, 100, 150, 200, 300, 400, 500, 600, 800, 1000)

_NO_GROUP: Final = -1
_OPEN_HI: Final = np.int64(2**62)


# -- sorting core -------------------------------------------------------------------------------


def _key(scores: ArrayLike, higher_is_better: bool) -> FloatArray:
    """Float key where ascending is better; NaN stays NaN (unranked)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 0:
        raise ValueError("scores must have at least one axis (institutions on the last axis)")
    return -s if higher_is_better else s.copy()


# None, NaN and "" are "no group"; `v == v` is False only for NaN.
_is_label = np.frompyfunc(lambda v: v is not None and v == v and v != "", 1, 1)


def _codes(group_codes: ArrayLike, shape: tuple[int, ...]) -> tuple[IntArray, BoolArray]:
    """Integer codes for any group labels, broadcast to ``shape``, and where a group exists.

    Integers: a negative code means "no group". Labels: ``""``, None or NaN mean "no group".
    """
    raw = np.asarray(group_codes)
    if raw.dtype.kind in "iub":
        codes = raw.astype(np.int64)
        has = codes >= 0
    else:
        obj = raw.astype(object)
        has = _is_label(obj).astype(bool)
        text = np.where(has, obj, "").astype(str)
        _, inverse = np.unique(text, return_inverse=True)
        codes = inverse.reshape(raw.shape).astype(np.int64)
        has = np.asarray(has, dtype=bool)
    try:
        return np.broadcast_to(codes, shape), np.broadcast_to(has, shape)
    except ValueError:
        raise ValueError(
            f"groups of shape {raw.shape} do not match scores of shape {shape}"
        ) from None


class _Sorted:
    """Scores sorted best first inside each group, with tie and group boundaries.

    Positions refer to the sorted order; starts and ends are computed on demand, since most
    callers need one or two of them.
    """

    def __init__(
        self, order: IntArray, valid: BoolArray, new_tie: BoolArray, new_group: BoolArray | None
    ):
        self.order = order  # sorting permutation along the last axis
        self.valid = valid  # ranked (non-NaN key and in a group)
        self.new_tie = new_tie  # True where a tie begins
        self.new_group = new_group  # True where a group begins; None: one group from 0

    def tie_start(self) -> IntArray:
        return _starts(self.new_tie)

    def tie_end(self) -> IntArray:
        return _ends(self.new_tie)

    def group_start(self) -> IntArray | int:
        return 0 if self.new_group is None else _starts(self.new_group)

    def group_end(self) -> IntArray:
        if self.new_group is None:
            count = self.valid.sum(axis=-1, keepdims=True)
            return np.broadcast_to(count - 1, self.valid.shape)
        return _ends(self.new_group)


def _starts(new: BoolArray) -> IntArray:
    idx = np.arange(new.shape[-1], dtype=np.int64)
    return np.maximum.accumulate(np.where(new, idx, 0), axis=-1)


def _ends(new: BoolArray) -> IntArray:
    n = new.shape[-1]
    idx = np.arange(n, dtype=np.int64)
    last = np.ones_like(new)
    last[..., :-1] = new[..., 1:]
    flipped = np.where(last, idx, n - 1)[..., ::-1]
    return np.minimum.accumulate(flipped, axis=-1)[..., ::-1]


def _sort(key: FloatArray, codes: IntArray | None = None, has: BoolArray | None = None) -> _Sorted:
    if codes is None:
        # argsort puts NaN last, so unranked rows end the order and ranked ones form one group.
        # Every rank and tie size depends on the sorted values only, not on the order inside a
        # tie, so the sort need not be stable: the unstable one is twice as fast, except with
        # NaN (where it leaves its vectorised path).
        order = np.argsort(key, axis=-1, kind="stable" if np.isnan(key).any() else "quicksort")
        s_key = key[order] if key.ndim == 1 else np.take_along_axis(key, order, axis=-1)
        s_valid = ~np.isnan(s_key)
        new_tie = np.ones(key.shape, dtype=bool)
        # NaN != NaN, so every unranked row is its own tie.
        new_tie[..., 1:] = s_key[..., 1:] != s_key[..., :-1]
        return _Sorted(order, s_valid, new_tie, None)
    valid = ~np.isnan(key)
    if has is not None:
        valid &= has
    filled = np.where(valid, key, 0.0)
    order = np.lexsort((filled, np.where(valid, codes, 0), ~valid), axis=-1)
    s_codes = np.take_along_axis(codes, order, axis=-1)
    s_key = np.take_along_axis(filled, order, axis=-1)
    s_valid = np.take_along_axis(valid, order, axis=-1)
    new_group = np.ones(key.shape, dtype=bool)
    new_group[..., 1:] = (s_valid[..., 1:] != s_valid[..., :-1]) | (
        s_codes[..., 1:] != s_codes[..., :-1]
    )
    new_tie = new_group.copy()
    new_tie[..., 1:] |= s_key[..., 1:] != s_key[..., :-1]
    # Each unranked row is its own tie so nothing leaks into tie sizes.
    new_tie |= ~s_valid
    return _Sorted(order, s_valid, new_tie, new_group)


def _unsort(order: IntArray, sorted_values: NDArray[np.generic]) -> NDArray[np.generic]:
    out = np.empty_like(sorted_values)
    if order.ndim == 1:
        out[order] = sorted_values  # one scatter, without put_along_axis's index building
    else:
        np.put_along_axis(out, order, sorted_values, axis=-1)
    return out


def _int_result(srt: _Sorted, values: IntArray) -> IntArray:
    return _unsort(srt.order, np.where(srt.valid, values, 0).astype(np.int64))  # type: ignore[return-value]


def _empty_like_key(key: FloatArray, dtype: type[np.generic] = np.int64) -> NDArray[np.generic]:
    return np.zeros(key.shape, dtype=dtype)


# -- ranks --------------------------------------------------------------------------------------


def competition_rank(scores: ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Standard competition ranks ("1224"): 1 + the number of strictly better scores; NaN -> 0.

    Along the last axis, so a (draws, n) batch ranks every draw at once. A competition rank
    depends on the sorted values only, so an unstable sort suffices.
    """
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    order = np.argsort(key, axis=-1)  # NaN last
    ordered = np.take_along_axis(key, order, axis=-1)
    new = np.ones(ordered.shape, dtype=bool)
    new[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    idx = np.arange(key.shape[-1], dtype=np.int64)
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=-1) + 1
    start = np.where(np.isnan(ordered), 0, start)
    return _unsort(order, start)  # type: ignore[return-value]


#: Largest (draws x distinct scores) table the counting ranks may build.
GRID_CELLS = 40_000_000


def competition_rank_on_grid(units: NDArray[np.float64]) -> IntArray:
    """Competition ranks of integer-valued scores (rounded scores in their units), no sort.

    Each row's histogram and its running count from the top give 1 + the number of strictly
    better scores. Falls back to sorting when the range of scores is too wide for a table.
    """
    valid = ~np.isnan(units)
    everyone = bool(valid.all())
    if not valid.any():
        return np.zeros(units.shape, dtype=np.int64)
    lo, hi = (units.min(), units.max()) if everyone else (units[valid].min(), units[valid].max())
    d = units.shape[0]
    width = int(hi - lo) + 2
    if width * d > GRID_CELLS or abs(hi) > 2**52 or abs(lo) > 2**52:
        return competition_rank(units)
    bins = (units if everyone else np.where(valid, units, lo)).astype(np.int64) - int(lo)
    flat = bins + (np.arange(d, dtype=np.int64) * width)[:, None]
    counts = np.bincount(flat.ravel() if everyone else flat[valid], minlength=d * width)
    # at_least[r, b] = scores of row r in bins >= b; a score's rank is 1 + at_least[bin + 1].
    at_least = np.cumsum(counts.reshape(d, width)[:, ::-1], axis=1)[:, ::-1]
    better = at_least.ravel()[flat + 1]
    return better + 1 if everyone else np.where(valid, better + 1, 0)


def dense_rank(scores: ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Dense ranks ("1223"): 1 + the number of distinct strictly better scores; NaN -> 0."""
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    srt = _sort(key)
    return _int_result(srt, np.cumsum(srt.new_tie & srt.valid, axis=-1))


def ordinal_rank(
    scores: ArrayLike, tiebreak_ids: ArrayLike, *, higher_is_better: bool = True
) -> IntArray:
    """Ordinal ranks ("1234"): ties broken by ascending institution id; NaN -> 0.

    ``tiebreak_ids`` has shape ``(n,)`` (or the scores' shape); ids are compared as they sort in
    numpy (strings by code point, integers by value). Equal ids among tied scores keep input order.
    """
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    ids = np.asarray(tiebreak_ids)
    if ids.dtype.kind not in "iub":
        ids = np.unique(ids.astype(str), return_inverse=True)[1].reshape(ids.shape)
    try:
        ids = np.broadcast_to(ids, key.shape)
    except ValueError:
        raise ValueError(
            f"ids of shape {ids.shape} do not match scores of shape {key.shape}"
        ) from None
    valid = ~np.isnan(key)
    order = np.lexsort((ids, np.where(valid, key, 0.0), ~valid), axis=-1)
    position = np.broadcast_to(np.arange(1, key.shape[-1] + 1, dtype=np.int64), key.shape)
    s_valid = np.take_along_axis(valid, order, axis=-1)
    return _unsort(order, np.where(s_valid, position, 0))  # type: ignore[return-value]


def fractional_rank(scores: ArrayLike, *, higher_is_better: bool = True) -> FloatArray:
    """Fractional ranks ("1 2.5 2.5 4"): a tie gets the mean of the places it holds; NaN -> NaN."""
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        return _empty_like_key(key, np.float64)  # type: ignore[return-value]
    srt = _sort(key)
    mean_place = (srt.tie_start() + srt.tie_end()) / 2.0 - srt.group_start() + 1.0
    return _unsort(srt.order, np.where(srt.valid, mean_place, np.nan))  # type: ignore[return-value]


def _rank_key(ranks: ArrayLike) -> FloatArray:
    r = np.asarray(ranks, dtype=np.float64)
    if r.ndim == 0:
        raise ValueError("ranks must have at least one axis (institutions on the last axis)")
    return np.where(r > 0, r, np.nan)


def tie_sizes(ranks: ArrayLike, groups: ArrayLike | None = None) -> IntArray:
    """Size of each institution's tie group (1 = untied); unranked (rank <= 0 or NaN) -> 0.

    Works on any rank kind. With ``groups`` (e.g. country codes, as for ``subset_ranks_by_group``)
    ties are counted inside each group, since national ranks repeat across countries.
    """
    r = np.asarray(ranks)
    if r.ndim == 0:
        raise ValueError("ranks must have at least one axis (institutions on the last axis)")
    if groups is None and r.dtype.kind in "iu" and r.size and r.max() <= 4 * r.shape[-1]:
        # Integer ranks of ordinary size: count equal values per row with one bincount.
        flat = r.reshape(-1, r.shape[-1]).astype(np.int64)
        width = int(flat.max()) + 1
        cells = np.where(flat > 0, flat, 0) + width * np.arange(flat.shape[0])[:, None]
        counts = np.bincount(cells.ravel(), minlength=width * flat.shape[0])
        return np.where(flat > 0, counts[cells], 0).reshape(r.shape).astype(np.int64)
    key = _rank_key(r)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    srt = _sort(key) if groups is None else _sort(key, *_codes(groups, key.shape))
    return _int_result(srt, srt.tie_end() - srt.tie_start() + 1)


def rank_and_ties(
    scores: ArrayLike, *, higher_is_better: bool = True, groups: ArrayLike | None = None
) -> tuple[IntArray, IntArray]:
    """Competition ranks and tie sizes from one sort (inside each group when ``groups``)."""
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        empty = _empty_like_key(key)
        return empty, empty.copy()  # type: ignore[return-value]
    srt = _sort(key) if groups is None else _sort(key, *_codes(groups, key.shape))
    start = srt.tie_start()
    rank = _int_result(srt, start - srt.group_start() + 1)
    return rank, _int_result(srt, srt.tie_end() - start + 1)


def field_sizes(ranks: ArrayLike, groups: ArrayLike | None = None) -> IntArray:
    """Number of ranked institutions in each institution's field (its group if ``groups``).

    Unranked institutions get 0. Without groups every ranked institution of a row gets the
    row's count of ranked institutions.
    """
    key = _rank_key(ranks)
    if groups is None:
        ranked = ~np.isnan(key)
        counts = np.broadcast_to(ranked.sum(axis=-1, keepdims=True), key.shape)
        return np.where(ranked, counts, 0).astype(np.int64)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    srt = _sort(key, *_codes(groups, key.shape))
    return _int_result(srt, srt.group_end() - srt.group_start() + 1)


# -- subsets ------------------------------------------------------------------------------------


def subset_ranks(
    scores: ArrayLike, subset_mask: ArrayLike, *, higher_is_better: bool = True
) -> IntArray:
    """Competition ranks inside a subset (a country, region, network, attribute) on the same
    scores; institutions outside the subset (or with NaN scores) get 0."""
    key = _key(scores, higher_is_better)
    try:
        mask = np.broadcast_to(np.asarray(subset_mask, dtype=bool), key.shape)
    except ValueError:
        raise ValueError(
            f"subset mask of shape {np.shape(subset_mask)} does not match scores "
            f"of shape {key.shape}"
        ) from None
    return competition_rank(np.where(mask, key, np.nan), higher_is_better=False)


def subset_ranks_by_group(
    scores: ArrayLike, group_codes: ArrayLike, *, higher_is_better: bool = True
) -> IntArray:
    """Competition ranks inside every group at once (e.g. the national rank in every country).

    ``group_codes``: integers (negative = no group) or strings (``""``/None = no group), shape
    ``(n,)`` or the scores' shape. Institutions without a group or score get 0. Tie sizes inside
    groups: ``tie_sizes(ranks, groups=group_codes)``.
    """
    key = _key(scores, higher_is_better)
    if key.shape[-1] == 0:
        return _empty_like_key(key)  # type: ignore[return-value]
    srt = _sort(key, *_codes(group_codes, key.shape))
    return _int_result(srt, srt.tie_start() - srt.group_start() + 1)


def cut_off(
    ranks: ArrayLike, scores: ArrayLike, cutoff: float, *, higher_is_better: bool = True
) -> IntArray:
    """Ranks with institutions scoring below ``cutoff`` made unranked (0).

    "Below" means strictly worse than the cut-off (``score < cutoff``, or ``>`` when lower is
    better); a score equal to the cut-off keeps its rank. The ranks above are unchanged, since
    every suppressed institution was behind them.
    """
    r = np.asarray(ranks, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    worse = s < cutoff if higher_is_better else s > cutoff
    return np.where(worse | np.isnan(s), 0, r).astype(np.int64)


def published_scores(scores: ArrayLike, ranks: ArrayLike, show_until: int) -> FloatArray:
    """Scores as a banded table prints them: NaN beyond rank ``show_until`` and for unranked.

    A tie at the limit keeps its scores (THE 2014-15 printed 201 scores with two at 200).
    """
    s = np.asarray(scores, dtype=np.float64)
    r = np.asarray(ranks, dtype=np.int64)
    return np.where((r >= 1) & (r <= show_until), s, np.nan)


# -- display ------------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _label_table(
    style: str, lang: str, gender: str | None, tied: bool, prose: bool, html: bool, size: int
) -> NDArray[np.str_]:
    tie = 2 if tied else 1
    labels = [
        rank_label(r, tie, style, lang, gender=gender, prose=prose, html=html) for r in range(size)
    ]
    table = np.asarray(labels)
    table.flags.writeable = False  # shared by every caller through the cache
    return table


def _gender_codes(genders: ArrayLike | str | None, shape: tuple[int, ...]) -> NDArray[np.int8]:
    """0 = unknown, 1 = feminine ("f"), 2 = masculine ("m"); anything else counts as unknown."""
    if genders is None:
        return np.zeros(shape, dtype=np.int8)
    g = np.asarray(genders, dtype=object)
    codes = np.where(np.equal(g, "f"), 1, np.where(np.equal(g, "m"), 2, 0)).astype(np.int8)
    try:
        return np.broadcast_to(codes, shape)
    except ValueError:
        raise ValueError(
            f"genders of shape {g.shape} do not match ranks of shape {shape}"
        ) from None


def display_ranks(
    ranks: ArrayLike,
    tie_sizes: ArrayLike,
    style: str,
    lang: str = "en",
    genders: ArrayLike | str | None = None,
    *,
    prose: bool = False,
    html: bool = False,
) -> NDArray[np.str_]:
    """Display strings for ranks, same shape as ``ranks``; unranked (0) gives ``""``.

    Styles (see :func:`palmares.lang.rank_label`): ``equals`` "=39" / "39"; ``bare`` "39";
    ``ex-aequo`` "16e ex aequo" (fr), "=16th" (en table) or "joint 16th" (en, ``prose=True``);
    ``ordinal`` "16e" / "16th". ``genders`` ("f", "m" or unknown, one per institution or one for
    all) only changes the French first place: "1re" / "1er" (unknown -> "1er").
    Strings come from cached per-rank lookup tables, so rendering is one fancy index per variant.
    """
    check_lang(lang)
    if style not in RANK_STYLES:
        raise ValueError(f"unknown rank style {style!r}: expected one of {', '.join(RANK_STYLES)}")
    r = np.asarray(ranks, dtype=np.int64)
    if r.size and r.min() < 0:
        raise ValueError("ranks cannot be negative")
    tied = np.broadcast_to(np.asarray(tie_sizes, dtype=np.int64) > 1, r.shape)
    top = int(r.max()) + 1 if r.size else 1
    size = max(1024, 1 << (top - 1).bit_length())  # cache tables by power-of-two size
    g = _gender_codes(genders, r.shape)
    variants: list[tuple[str | None, BoolArray]]
    if lang == "fr" and style in ("ex-aequo", "ordinal"):
        variants = [(None, g == 0), ("f", g == 1), ("m", g == 2)]
    else:  # gender changes nothing else
        variants = [(None, np.ones(r.shape, dtype=bool))]
    out = np.full(r.shape, "", dtype=_label_table(style, lang, None, True, prose, html, size).dtype)
    for gender, where_gender in variants:
        for is_tied in (False, True):
            sel = where_gender & (tied == is_tied)
            if sel.any():
                table = _label_table(style, lang, gender, is_tied, prose, html, size)
                out = np.where(sel, table[r], out)
    return out


def band_labels(band_lo: ArrayLike, band_hi: ArrayLike) -> NDArray[np.str_]:
    """Band strings: ``"101–200"`` (en dash), ``"1001+"`` (open), ``"39"`` (a one-rank band,
    i.e. an individually shown rank), ``""`` (no band). Same in French and English."""
    lo = np.asarray(band_lo, dtype=np.int64)
    hi = np.asarray(band_hi, dtype=np.int64)
    lo, hi = np.broadcast_arrays(lo, hi)
    lo_s = lo.astype(str)
    ranged = np.char.add(np.char.add(lo_s, "–"), hi.astype(str))
    out = np.where(hi == BAND_OPEN, np.char.add(lo_s, "+"), np.where(hi == lo, lo_s, ranged))
    return np.where(lo > 0, out, "")


# -- bands --------------------------------------------------------------------------------------

BandTable = Sequence[tuple[int, int | None]]


def _check_band_table(band_table: BandTable) -> tuple[IntArray, IntArray]:
    problems: list[str] = []
    if not band_table:
        raise ValueError("a band table needs at least one band")
    los = np.empty(len(band_table), dtype=np.int64)
    his = np.empty(len(band_table), dtype=np.int64)
    for i, (lo, hi) in enumerate(band_table):
        los[i] = lo
        his[i] = _OPEN_HI if hi is None else hi
        if lo < 1:
            problems.append(f"band {i + 1} ({lo}-{hi}): lower end must be >= 1")
        if hi is None and i != len(band_table) - 1:
            problems.append(f"band {i + 1} ({lo}+): only the last band may be open-ended")
        if hi is not None and hi < lo:
            problems.append(f"band {i + 1} ({lo}-{hi}): upper end below lower end")
        if i and band_table[i - 1][1] is not None and lo != band_table[i - 1][1] + 1:  # type: ignore[operator]
            problems.append(
                f"band {i + 1} ({lo}-{hi}) does not start right after band {i} "
                f"({band_table[i - 1][0]}-{band_table[i - 1][1]})"
            )
    if problems:
        raise ValueError("invalid band table: " + "; ".join(problems))
    return los, his


def assign_bands(
    ranks: ArrayLike,
    band_table: BandTable,
    *,
    individual_until: int = 0,
    ties: ArrayLike | None = None,
) -> tuple[IntArray, IntArray]:
    """Bands ``(band_lo, band_hi)`` for competition ranks, widened so a tie never splits.

    ``band_table``: contiguous ``(lo, hi)`` rank ranges, ascending; the last may be open-ended
    (``hi=None``, returned as ``band_hi == BAND_OPEN``). Ranks ``<= individual_until`` are shown
    individually: ``band_lo == band_hi == rank``.

    The rule (ARWU 2005-2011, "101-152", "153-202"): a tie holds the places ``rank .. rank +
    tie_size - 1``. It goes entirely into the band that contains its competition rank, and that
    band's upper end widens to the tie's last place; the next band then starts at the first free
    place. Individually shown ties push the first band the same way (ARWU 2007 "102-150" after a
    tie at 100). Unranked institutions and ranks beyond a closed table get ``(0, 0)``.
    """
    r = np.asarray(ranks, dtype=np.int64)
    if r.ndim == 0:
        raise ValueError("ranks must have at least one axis (institutions on the last axis)")
    los, his = _check_band_table(band_table)
    if r.size == 0:
        return np.zeros(r.shape, dtype=np.int64), np.zeros(r.shape, dtype=np.int64)
    ts = tie_sizes(r) if ties is None else np.asarray(ties, dtype=np.int64)
    shape = r.shape
    flat = r.reshape(-1, shape[-1])
    last = (flat + np.broadcast_to(ts, shape).reshape(flat.shape) - 1).astype(np.int64)
    ranked = flat > 0
    individual = ranked & (flat <= individual_until)
    band = np.searchsorted(los, flat, side="right") - 1
    safe = np.clip(band, 0, None)
    in_band = ranked & ~individual & (band >= 0) & (flat <= his[safe])
    rows = flat.shape[0]
    hi_eff = np.broadcast_to(his, (rows, los.size)).copy()
    row_idx = np.broadcast_to(np.arange(rows)[:, None], flat.shape)
    np.maximum.at(hi_eff, (row_idx[in_band], band[in_band]), last[in_band])
    individual_end = np.where(individual, last, 0).max(axis=-1, initial=0)
    previous_end = np.empty_like(hi_eff)
    previous_end[:, 0] = individual_end
    previous_end[:, 1:] = np.maximum(
        individual_end[:, None], np.maximum.accumulate(hi_eff[:, :-1], axis=-1)
    )
    lo_eff = np.maximum(los, previous_end + 1)
    hi_out = np.where(hi_eff == _OPEN_HI, BAND_OPEN, hi_eff)
    lo_b = np.take_along_axis(lo_eff, safe, axis=-1)
    hi_b = np.take_along_axis(hi_out, safe, axis=-1)
    band_lo = np.where(individual, flat, np.where(in_band, lo_b, 0)).reshape(shape)
    band_hi = np.where(individual, flat, np.where(in_band, hi_b, 0)).reshape(shape)
    return band_lo.astype(np.int64), band_hi.astype(np.int64)


# -- groups -------------------------------------------------------------------------------------

PointRanges = Sequence[tuple[str, float | None, float | None]]


def groups_by_points(scores: ArrayLike, ranges: PointRanges) -> IntArray:
    """Group index (into ``ranges``) of each score; -1 for NaN or a score in no range.

    ``ranges``: ``(label, lo, hi)`` with INCLUSIVE bounds on the published precision, ``None``
    for an open end. L'Étudiant 2018 on integer points: ``[("A+", 49, 62), ("A", 37, 48),
    ("B", 27, 36), ("C", None, 26)]`` ("C < 27" is ``hi=26`` on integer points). Scores must be
    at that precision (a 48.5 falls between A and A+ and gets -1). Overlapping ranges are an error.
    """
    s = np.asarray(scores, dtype=np.float64)
    bounds = [
        (-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi))
        for _, lo, hi in ranges
    ]
    problems = [
        f"group {label!r}: lo > hi"
        for (label, _, _), (lo, hi) in zip(ranges, bounds, strict=True)
        if lo > hi
    ]
    ordered = sorted(range(len(bounds)), key=lambda i: bounds[i])
    for a, b in itertools.pairwise(ordered):
        if bounds[b][0] <= bounds[a][1]:
            problems.append(f"groups {ranges[a][0]!r} and {ranges[b][0]!r} overlap")
    if problems:
        raise ValueError("invalid point ranges: " + "; ".join(problems))
    out = np.full(s.shape, _NO_GROUP, dtype=np.int64)
    for i, (lo, hi) in enumerate(bounds):
        out = np.where((s >= lo) & (s <= hi), i, out)
    return out


def groups_by_min_points(scores: ArrayLike, minimums: Mapping[str, float]) -> IntArray:
    """Group index (into ``minimums``' order) from each group's lowest score, inclusive.

    ``{"A+": 49, "A": 37, "B": 27, "C": 0}``: a score belongs to the group with the highest
    minimum it reaches, so there are no gaps (48.5 is in A); a score below every minimum or NaN
    gets -1. Equivalent to :func:`groups_by_points` with each range closed by the next minimum.
    """
    s = np.asarray(scores, dtype=np.float64)
    if not minimums:
        raise ValueError("minimums need at least one group")
    lows = np.asarray(list(minimums.values()), dtype=np.float64)
    if np.unique(lows).size != lows.size or np.isnan(lows).any():
        raise ValueError(f"group minimums must be distinct numbers, got {dict(minimums)}")
    by_low = np.argsort(lows)
    i = np.searchsorted(lows[by_low], s, side="right") - 1
    code = by_low[np.clip(i, 0, None)]
    return np.where((i >= 0) & ~np.isnan(s), code, _NO_GROUP).astype(np.int64)


def groups_by_rank_percentile(
    ranks: ArrayLike, field_size: ArrayLike | None, cuts: Sequence[float]
) -> IntArray:
    """Group g = the first cut with ``100 x rank / field_size <= cuts[g]``; -1 past the last cut
    or unranked. ``cuts`` ascending percents, e.g. ``(15, 50, 100)``; ties share a group since
    they share a competition rank. ``field_size``: a number, one per row of a batch, or None for
    the number of ranked institutions in the row."""
    r = np.asarray(ranks, dtype=np.int64)
    c = np.asarray(cuts, dtype=np.float64)
    if c.ndim != 1 or c.size == 0 or np.any(np.diff(c) <= 0):
        raise ValueError(f"cuts must be a non-empty strictly ascending sequence, got {list(cuts)}")
    if field_size is None:
        n = (r > 0).sum(axis=-1, keepdims=True)
    else:
        n = np.asarray(field_size, dtype=np.int64)
        if n.ndim:
            n = n[..., None]
    pct = 100.0 * r / np.maximum(n, 1)
    g = np.searchsorted(c, pct, side="left")
    return np.where((r > 0) & (g < c.size), g, _NO_GROUP).astype(np.int64)


class GroupPosition(NamedTuple):
    """Where an institution stands inside its group (0 / False outside any group)."""

    rank: IntArray  # competition rank inside the group
    size: IntArray  # number of ranked institutions in the group
    first_half: BoolArray  # rank inside the group <= group size / 2


def position_in_group(ranks: ArrayLike, groups: ArrayLike) -> GroupPosition:
    """Rank inside the group, group size, and first half (``rank_in_group <= size / 2``).

    ``groups``: group codes as returned by ``groups_by_*`` (-1 = none) or any labels accepted by
    ``subset_ranks_by_group``. Works for groups that are not contiguous in rank too.
    """
    key = _rank_key(ranks)
    if key.shape[-1] == 0:
        zeros = _empty_like_key(key)
        return GroupPosition(zeros, zeros, zeros.astype(bool))  # type: ignore[arg-type]
    srt = _sort(key, *_codes(groups, key.shape))
    rank = _int_result(srt, srt.tie_start() - srt.group_start() + 1)
    size = _int_result(srt, srt.group_end() - srt.group_start() + 1)
    return GroupPosition(rank, size, (rank > 0) & (2 * rank <= size))


# -- percentiles and top N ----------------------------------------------------------------------


def percentile_top(rank: ArrayLike, field_size: ArrayLike) -> IntArray:
    """X of "top X %": ``ceil(100 x rank / field_size)``, rounded towards the less favourable
    side (27th of 168 -> 17, not 16 or 15); exact integer arithmetic; unranked (0) -> 0."""
    r = np.asarray(rank, dtype=np.int64)
    n = np.asarray(field_size, dtype=np.int64)
    if np.any(n < 1):
        raise ValueError("field_size must be >= 1")
    if np.any(r > n):
        raise ValueError("a rank cannot exceed the field size")
    return np.where(r > 0, -((-100 * r) // n), 0).astype(np.int64)


def top_n(rank: ArrayLike, ladder: Sequence[int] = TOP_N_LADDER) -> IntArray:
    """N of "top N": the smallest rung of ``ladder`` >= rank; 0 when unranked or past the ladder."""
    r = np.asarray(rank, dtype=np.int64)
    rungs = np.asarray(ladder, dtype=np.int64)
    if rungs.ndim != 1 or rungs.size == 0 or np.any(np.diff(rungs) <= 0):
        raise ValueError(
            f"ladder must be a non-empty strictly ascending sequence, got {list(ladder)}"
        )
    i = np.searchsorted(rungs, r, side="left")
    return np.where((r > 0) & (i < rungs.size), rungs[np.minimum(i, rungs.size - 1)], 0).astype(
        np.int64
    )


# -- U-Multirank ordering -----------------------------------------------------------------------


class GradeOrder(NamedTuple):
    """Display order and standings of a U-Multirank-style table of grade counts."""

    order: IntArray  # institution indices in display order
    rank: IntArray  # competition rank on the number of A grades alone; 0 without any grade
    tie_size: IntArray  # size of the tie on A counts; 0 without any grade


def _name_keys(names: Sequence[str]) -> NDArray[np.str_]:
    import unicodedata

    def fold(name: str) -> str:
        decomposed = unicodedata.normalize("NFKD", name.casefold())
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

    return np.asarray([fold(n) for n in names], dtype=str)


def order_by_grade_counts(counts: ArrayLike, names: Sequence[str]) -> GradeOrder:
    """Order by number of A grades, then B, ..., then name; rank on A counts alone.

    ``counts``: ``(n, 5)`` counts of grades A..E. Names are compared case- and accent-blind
    ("École" next to "Ecole"), then exactly, so the order is deterministic. Institutions without
    any grade are unranked (rank 0) and listed last, by name (claims: the field is the
    institutions with at least one grade).
    """
    c = np.asarray(counts)
    if c.ndim != 2 or c.shape[1] != 5:
        raise ValueError(f"counts must have shape (n, 5), got {c.shape}")
    if len(names) != c.shape[0]:
        raise ValueError(f"{len(names)} names for {c.shape[0]} rows of counts")
    c = c.astype(np.int64)
    graded = c.sum(axis=1) > 0
    exact = np.asarray(list(names), dtype=str)
    keys = (exact, _name_keys(names), *(-c[:, g] for g in range(4, -1, -1)), ~graded)
    order = np.lexsort(keys).astype(np.int64)
    a_counts = np.where(graded, c[:, 0], np.nan)
    rank = competition_rank(a_counts)
    return GradeOrder(order, rank, tie_sizes(rank))
