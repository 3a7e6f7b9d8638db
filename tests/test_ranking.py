import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.ranking import (
    BAND_OPEN,
    TOP_N_LADDER,
    assign_bands,
    band_labels,
    competition_rank,
    cut_off,
    dense_rank,
    display_ranks,
    field_sizes,
    fractional_rank,
    groups_by_min_points,
    groups_by_points,
    groups_by_rank_percentile,
    order_by_grade_counts,
    ordinal_rank,
    percentile_top,
    position_in_group,
    published_scores,
    rank_and_ties,
    subset_ranks,
    subset_ranks_by_group,
    tie_sizes,
    top_n,
)

NAN = math.nan
NNBSP = "\u202f"
LETUDIANT_2018 = [("A+", 49, 62), ("A", 37, 48), ("B", 27, 36), ("C", None, 26)]
THE_IMPACT_BANDS = [(101, 200), (201, 300), (301, 400), (401, 600), (601, 800), (801, 1000)]
THE_IMPACT_BANDS_OPEN = [*THE_IMPACT_BANDS, (1001, None)]

# Few distinct values so ties are frequent; NaN for unranked.
tie_prone = st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, -1.0, NAN])
score_vectors = hnp.arrays(np.float64, st.integers(0, 30), elements=tie_prone)
score_batches = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 4), st.integers(0, 25)), elements=tie_prone
)


# -- brute-force references ---------------------------------------------------------------------


def reference_competition(scores, higher_is_better=True):
    s = np.asarray(scores, dtype=float)
    key = -s if higher_is_better else s
    better = (key[None, :] < key[:, None]).sum(axis=1)
    return np.where(np.isnan(s), 0, better + 1)


def reference_dense(scores):
    s = np.asarray(scores, dtype=float)
    distinct = np.unique(s[~np.isnan(s)])
    return np.array([0 if math.isnan(v) else int((distinct > v).sum()) + 1 for v in s])


# -- hand-computed ranks ------------------------------------------------------------------------


def test_competition_rank_hand_case():
    scores = [10.0, 20.0, 20.0, 5.0, NAN, 20.0, 1.0]
    np.testing.assert_array_equal(competition_rank(scores), [4, 1, 1, 5, 0, 1, 6])
    np.testing.assert_array_equal(
        competition_rank(scores, higher_is_better=False), [3, 4, 4, 2, 0, 4, 1]
    )


def test_dense_ordinal_fractional_hand_case():
    scores = [10.0, 20.0, 20.0, 5.0, NAN, 20.0, 1.0]
    ids = ["g", "f", "e", "d", "c", "b", "a"]
    np.testing.assert_array_equal(dense_rank(scores), [2, 1, 1, 3, 0, 1, 4])
    # The three tied at 20 are ordered by id: b, e, f.
    np.testing.assert_array_equal(ordinal_rank(scores, ids), [4, 3, 2, 5, 0, 1, 6])
    np.testing.assert_array_equal(
        ordinal_rank(scores, [7, 6, 5, 4, 3, 2, 1]), [4, 3, 2, 5, 0, 1, 6]
    )
    np.testing.assert_array_equal(fractional_rank(scores), [4.0, 2.0, 2.0, 5.0, NAN, 2.0, 6.0])


def test_all_tied():
    scores = np.full(6, 42.0)
    np.testing.assert_array_equal(competition_rank(scores), np.ones(6))
    np.testing.assert_array_equal(dense_rank(scores), np.ones(6))
    np.testing.assert_array_equal(fractional_rank(scores), np.full(6, 3.5))
    np.testing.assert_array_equal(tie_sizes(competition_rank(scores)), np.full(6, 6))
    np.testing.assert_array_equal(
        ordinal_rank(scores, ["f", "e", "d", "c", "b", "a"]), [6, 5, 4, 3, 2, 1]
    )


def test_one_institution_and_empty_and_all_nan():
    np.testing.assert_array_equal(competition_rank([3.0]), [1])
    np.testing.assert_array_equal(tie_sizes([1]), [1])
    assert competition_rank(np.array([])).shape == (0,)
    assert fractional_rank(np.empty((2, 0))).shape == (2, 0)
    np.testing.assert_array_equal(competition_rank([NAN, NAN]), [0, 0])
    np.testing.assert_array_equal(tie_sizes([0, 0]), [0, 0])
    np.testing.assert_array_equal(fractional_rank([NAN]), [NAN])


def test_signed_zero_ties_and_infinities_rank():
    np.testing.assert_array_equal(competition_rank([0.0, -0.0, math.inf, -math.inf]), [2, 2, 1, 4])


def test_scalar_scores_are_rejected():
    with pytest.raises(ValueError, match="last axis"):
        competition_rank(3.0)


def test_ordinal_ids_must_match():
    with pytest.raises(ValueError, match="ids of shape"):
        ordinal_rank([1.0, 2.0], ["a", "b", "c"])


def test_inputs_are_not_mutated():
    scores = np.array([3.0, NAN, 1.0])
    before = scores.copy()
    competition_rank(scores)
    fractional_rank(scores, higher_is_better=False)
    subset_ranks_by_group(scores, ["a", "a", "b"])
    np.testing.assert_array_equal(scores, before)


def test_tie_sizes_on_any_rank_kind_and_in_groups():
    np.testing.assert_array_equal(tie_sizes([1, 1, 3, 4, 4, 0]), [2, 2, 1, 2, 2, 0])
    np.testing.assert_array_equal(tie_sizes([2.0, 2.0, 4.0, NAN]), [2, 2, 1, 0])
    # Sparse published ranks (a re-inserted institution) take the sorting path.
    np.testing.assert_array_equal(tie_sizes([1, 500, 500]), [1, 2, 2])
    # National ranks repeat across countries: count ties inside each country.
    national = [1, 1, 1, 2]
    np.testing.assert_array_equal(
        tie_sizes(national, groups=["FR", "FR", "DE", "DE"]), [2, 2, 1, 1]
    )
    np.testing.assert_array_equal(tie_sizes([[1, 1, 3], [1, 2, 2]]), [[2, 2, 1], [1, 2, 2]])


def test_rank_and_ties_match_separate_calls():
    scores = [5.0, 7.0, 7.0, NAN, 1.0, 7.0]
    rank, ties = rank_and_ties(scores)
    np.testing.assert_array_equal(rank, competition_rank(scores))
    np.testing.assert_array_equal(ties, tie_sizes(rank))
    countries = ["FR", "DE", "FR", "FR", "DE", "FR"]
    rank, ties = rank_and_ties(scores, groups=countries)
    np.testing.assert_array_equal(rank, [3, 1, 1, 0, 2, 1])
    np.testing.assert_array_equal(ties, [1, 1, 2, 0, 1, 2])


def test_field_sizes():
    np.testing.assert_array_equal(field_sizes([1, 2, 0, 2]), [3, 3, 0, 3])
    np.testing.assert_array_equal(
        field_sizes([1, 1, 0, 2], groups=["a", "b", "a", "b"]), [1, 2, 0, 2]
    )


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(score_vectors, st.booleans())
def test_competition_matches_definition(scores, higher):
    np.testing.assert_array_equal(
        competition_rank(scores, higher_is_better=higher), reference_competition(scores, higher)
    )


@settings(max_examples=100, deadline=None)
@given(score_vectors)
def test_dense_and_fractional_match_definitions(scores):
    np.testing.assert_array_equal(dense_rank(scores), reference_dense(scores))
    comp = competition_rank(scores)
    ties = tie_sizes(comp)
    expected = np.where(comp > 0, comp + (ties - 1) / 2.0, NAN)
    np.testing.assert_array_equal(fractional_rank(scores), expected)


@settings(max_examples=100, deadline=None)
@given(score_vectors, st.randoms(use_true_random=False))
def test_ordinal_matches_sorting_by_score_then_id(scores, rnd):
    n = scores.size
    ids = [f"i{k:03d}" for k in range(n)]
    rnd.shuffle(ids)
    ranked = sorted(
        (i for i in range(n) if not math.isnan(scores[i])), key=lambda i: (-scores[i], ids[i])
    )
    expected = np.zeros(n, dtype=int)
    expected[ranked] = np.arange(1, len(ranked) + 1)
    np.testing.assert_array_equal(ordinal_rank(scores, ids), expected)


@settings(max_examples=100, deadline=None)
@given(score_vectors, st.randoms(use_true_random=False))
def test_permuting_inputs_permutes_ranks(scores, rnd):
    perm = np.arange(scores.size)
    rnd.shuffle(perm)
    ids = np.arange(scores.size)
    for rank in (competition_rank, dense_rank, fractional_rank):
        np.testing.assert_array_equal(rank(scores[perm]), rank(scores)[perm])
    np.testing.assert_array_equal(
        ordinal_rank(scores[perm], ids[perm]), ordinal_rank(scores, ids)[perm]
    )
    comp = competition_rank(scores)
    np.testing.assert_array_equal(tie_sizes(comp[perm]), tie_sizes(comp)[perm])


@settings(max_examples=150, deadline=None)
@given(score_vectors)
def test_ties_share_a_rank_and_the_next_rank_skips_by_the_tie_size(scores):
    rank = competition_rank(scores)
    ties = tie_sizes(rank)
    valid = ~np.isnan(scores)
    same_score = (scores[:, None] == scores[None, :]) & valid[:, None] & valid[None, :]
    same_rank = (rank[:, None] == rank[None, :]) & valid[:, None] & valid[None, :]
    np.testing.assert_array_equal(same_score, same_rank)
    np.testing.assert_array_equal(ties[valid], same_score.sum(axis=1)[valid])
    distinct = np.unique(rank[valid])
    if distinct.size:
        sizes = np.array([ties[rank == r][0] for r in distinct])
        assert distinct[0] == 1
        np.testing.assert_array_equal(distinct[1:], distinct[:-1] + sizes[:-1])


@settings(max_examples=100, deadline=None)
@given(score_batches, st.booleans())
def test_batched_ranks_equal_row_by_row(batch, higher):
    rows = range(batch.shape[0])
    for rank in (competition_rank, dense_rank, fractional_rank):
        expected = np.array([rank(batch[i], higher_is_better=higher) for i in rows])
        np.testing.assert_array_equal(
            rank(batch, higher_is_better=higher), expected.reshape(batch.shape)
        )
    ids = np.arange(batch.shape[1])[::-1]
    expected = np.array([ordinal_rank(batch[i], ids) for i in rows]).reshape(batch.shape)
    np.testing.assert_array_equal(ordinal_rank(batch, ids), expected)
    comp = competition_rank(batch)
    expected = np.array([tie_sizes(comp[i]) for i in rows]).reshape(batch.shape)
    np.testing.assert_array_equal(tie_sizes(comp), expected)
    codes = np.arange(batch.shape[1]) % 3
    expected = np.array([subset_ranks_by_group(batch[i], codes) for i in rows]).reshape(batch.shape)
    np.testing.assert_array_equal(subset_ranks_by_group(batch, codes), expected)


# -- subsets ------------------------------------------------------------------------------------


def test_subset_ranks_hand_case():
    scores = [90.0, 80.0, 80.0, 70.0, NAN, 60.0]
    in_fr = [True, False, True, True, True, True]
    np.testing.assert_array_equal(subset_ranks(scores, in_fr), [1, 0, 2, 3, 0, 4])
    with pytest.raises(ValueError, match="subset mask"):
        subset_ranks(scores, [True, False])


def test_subset_ranks_by_group_every_country_at_once():
    scores = [90.0, 80.0, 80.0, 70.0, 75.0, 60.0, 99.0]
    countries = ["FR", "DE", "FR", "FR", "DE", "", None]
    np.testing.assert_array_equal(subset_ranks_by_group(scores, countries), [1, 1, 2, 3, 2, 0, 0])
    # Integer codes: negative means no group.
    np.testing.assert_array_equal(
        subset_ranks_by_group(scores, [0, 1, 0, 0, 1, -1, -1]), [1, 1, 2, 3, 2, 0, 0]
    )
    with pytest.raises(ValueError, match="groups of shape"):
        subset_ranks_by_group(scores, ["FR"] * 3)


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(0, 30), elements=tie_prone),
    st.data(),
    st.booleans(),
)
def test_subset_ranks_equal_competition_ranks_of_the_restricted_scores(scores, data, higher):
    n = scores.size
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    codes = np.array(data.draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n)), dtype=int)
    sub = subset_ranks(scores, mask, higher_is_better=higher)
    np.testing.assert_array_equal(
        sub[mask], competition_rank(scores[mask], higher_is_better=higher)
    )
    np.testing.assert_array_equal(sub[~mask], 0)
    by_group = subset_ranks_by_group(scores, codes, higher_is_better=higher)
    for code in range(4):
        inside = codes == code
        np.testing.assert_array_equal(
            by_group[inside], competition_rank(scores[inside], higher_is_better=higher)
        )
    np.testing.assert_array_equal(by_group[codes < 0], 0)


# -- cut-off and printed scores -----------------------------------------------------------------


def test_cut_off_suppresses_ranks_below_the_cut_off():
    scores = np.array([90.0, 50.0, 49.9, NAN, 70.0])
    rank = competition_rank(scores)
    np.testing.assert_array_equal(cut_off(rank, scores, 50.0), [1, 3, 0, 0, 2])
    lower = competition_rank(scores, higher_is_better=False)
    np.testing.assert_array_equal(
        cut_off(lower, scores, 70.0, higher_is_better=False), [0, 2, 1, 0, 3]
    )


def test_published_scores_hide_scores_beyond_the_limit_but_keep_a_tie_at_it():
    scores = np.array([80.0, 70.0, 70.0, 60.0])
    rank = competition_rank(scores)  # 1, 2, 2, 4
    np.testing.assert_array_equal(published_scores(scores, rank, 2), [80.0, 70.0, 70.0, NAN])


# -- display ------------------------------------------------------------------------------------


def test_display_styles():
    rank = np.array([4, 1, 1, 5, 0, 1, 6])
    ties = tie_sizes(rank)
    assert display_ranks(rank, ties, "equals").tolist() == ["4", "=1", "=1", "5", "", "=1", "6"]
    assert display_ranks(rank, ties, "bare", "fr").tolist() == ["4", "1", "1", "5", "", "1", "6"]
    assert display_ranks(rank, ties, "ordinal", "en").tolist() == [
        "4th",
        "1st",
        "1st",
        "5th",
        "",
        "1st",
        "6th",
    ]
    assert display_ranks(rank, ties, "ex-aequo", "en").tolist() == [
        "4th",
        "=1st",
        "=1st",
        "5th",
        "",
        "=1st",
        "6th",
    ]
    assert display_ranks(rank, ties, "ex-aequo", "en", prose=True).tolist() == [
        "4th",
        "joint 1st",
        "joint 1st",
        "5th",
        "",
        "joint 1st",
        "6th",
    ]


def test_display_french_first_place_follows_each_institution_gender():
    rank = np.array([1, 1, 1, 4, 2])
    ties = np.array([3, 3, 3, 1, 1])
    genders = ["f", "m", None, "f", NAN]
    assert display_ranks(rank, ties, "ex-aequo", "fr", genders).tolist() == [
        "1re ex aequo",
        "1er ex aequo",
        "1er ex aequo",
        "4e",
        "2e",
    ]
    assert display_ranks([1, 16], [1, 2], "ex-aequo", "fr", "f", html=True).tolist() == [
        "1<sup>re</sup>",
        "16<sup>e</sup> ex aequo",
    ]


def test_display_large_ranks_and_batches():
    rank = np.array([[1500, 1500, 3], [1, 2, 3]])
    ties = tie_sizes(rank)
    out = display_ranks(rank, ties, "ex-aequo", "fr")
    assert out.shape == (2, 3)
    assert out[0].tolist() == [f"1{NNBSP}500e ex aequo", f"1{NNBSP}500e ex aequo", "3e"]
    assert display_ranks(rank, ties, "equals")[0].tolist() == ["=1500", "=1500", "3"]


def test_display_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown rank style"):
        display_ranks([1], [1], "stars")
    with pytest.raises(ValueError, match="unknown language"):
        display_ranks([1], [1], "bare", "de")
    with pytest.raises(ValueError, match="negative"):
        display_ranks([-1], [1], "bare")
    with pytest.raises(ValueError, match="genders of shape"):
        display_ranks([1, 2], [1, 1], "ordinal", "fr", ["f", "m", "f"])


# -- bands --------------------------------------------------------------------------------------


def ranks_with_ties(n, ties):
    """Competition ranks of n institutions where each (rank, size) in ``ties`` is a tie."""
    scores = -np.arange(1, n + 1, dtype=float)
    for start, size in ties:
        scores[start - 1 : start - 1 + size] = scores[start - 1]
    return competition_rank(scores)


def test_bands_without_ties():
    rank = np.array([1, 100, 101, 200, 201, 650, 1000, 1001, 1500, 0])
    lo, hi = assign_bands(rank, THE_IMPACT_BANDS_OPEN, individual_until=100)
    np.testing.assert_array_equal(lo, [1, 100, 101, 101, 201, 601, 801, 1001, 1001, 0])
    np.testing.assert_array_equal(hi, [1, 100, 200, 200, 300, 800, 1000, BAND_OPEN, BAND_OPEN, 0])
    assert band_labels(lo, hi).tolist() == [
        "1",
        "100",
        "101–200",
        "101–200",
        "201–300",
        "601–800",
        "801–1000",
        "1001+",
        "1001+",
        "",
    ]


def test_ranks_beyond_a_closed_table_are_unbanded():
    lo, hi = assign_bands([1001, 999], THE_IMPACT_BANDS, individual_until=100)
    np.testing.assert_array_equal(lo, [0, 801])
    np.testing.assert_array_equal(hi, [0, 1000])


def test_a_tie_straddling_a_boundary_widens_its_band_and_shifts_the_next():
    # ARWU 2005 pattern "101-152", "153-202": a 4-way tie at 149 holds places 149..152.
    rank = ranks_with_ties(300, [(149, 4), (199, 4)])
    lo, hi = assign_bands(rank, [(101, 150), (151, 200), (201, None)], individual_until=100)
    at = {r: (lo[i], hi[i]) for i, r in enumerate(rank)}
    assert at[149] == (101, 152)
    assert at[120] == (101, 152)
    assert at[153] == (153, 202)
    assert at[199] == (153, 202)
    assert at[203] == (203, BAND_OPEN)


def test_an_individually_shown_tie_pushes_the_first_band():
    # ARWU 2007 "102-150": two institutions tied at 100 hold places 100 and 101.
    rank = ranks_with_ties(200, [(100, 2)])
    lo, hi = assign_bands(rank, [(101, 150), (151, 200)], individual_until=100)
    tied = rank == 100
    np.testing.assert_array_equal(lo[tied], [100, 100])
    np.testing.assert_array_equal(hi[tied], [100, 100])
    assert (lo[rank == 102][0], hi[rank == 102][0]) == (102, 150)
    # A tie that starts among the individual ranks stays individual, whatever its size.
    rank = ranks_with_ties(200, [(99, 4)])
    lo, hi = assign_bands(rank, [(101, 150), (151, 200)], individual_until=100)
    np.testing.assert_array_equal(lo[rank == 99], [99] * 4)
    assert lo[rank == 103][0] == 103


def test_a_long_tie_can_swallow_a_whole_band():
    rank = ranks_with_ties(400, [(101, 120)])  # places 101..220
    lo, hi = assign_bands(
        rank, [(101, 150), (151, 200), (201, 300), (301, None)], individual_until=100
    )
    assert (lo[rank == 101][0], hi[rank == 101][0]) == (101, 220)
    assert (lo[rank == 221][0], hi[rank == 221][0]) == (221, 300)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([], "at least one band"),
        ([(101, 200), (202, 300)], "does not start right after"),
        ([(101, 200), (150, 300)], "does not start right after"),
        ([(101, None), (201, 300)], "only the last band may be open-ended"),
        ([(0, 100)], "lower end must be >= 1"),
        ([(200, 101)], "upper end below lower end"),
    ],
)
def test_invalid_band_tables(table, message):
    with pytest.raises(ValueError, match=message):
        assign_bands([1, 2], table)


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(0, 60), elements=st.integers(0, 12).map(float)),
    st.integers(0, 8),
    st.lists(st.integers(1, 10), min_size=1, max_size=6),
    st.booleans(),
)
def test_bands_never_split_ties(scores, individual_until, widths, open_end):
    rank = competition_rank(scores)
    ties = tie_sizes(rank)
    table, lo_k = [], individual_until + 1
    for w in widths:
        table.append((lo_k, lo_k + w - 1))
        lo_k += w
    if open_end:
        table.append((lo_k, None))
    lo, hi = assign_bands(rank, table, individual_until=individual_until)
    same = rank[:, None] == rank[None, :]
    assert np.all(~same | (lo[:, None] == lo[None, :]))
    assert np.all(~same | (hi[:, None] == hi[None, :]))
    individual = (rank > 0) & (rank <= individual_until)
    np.testing.assert_array_equal(lo[individual], rank[individual])
    np.testing.assert_array_equal(hi[individual], rank[individual])
    banded = lo > 0
    banded &= ~individual
    last_place = rank + ties - 1
    assert np.all(lo[banded] <= rank[banded])
    assert np.all((hi[banded] == BAND_OPEN) | (last_place[banded] <= hi[banded]))
    # Bands do not overlap each other nor the places held by individually shown ties.
    if individual.any():
        assert np.all(lo[banded] > last_place[individual].max())
    intervals = sorted({(int(a), int(b)) for a, b in zip(lo[banded], hi[banded], strict=True)})
    for (_, b1), (a2, _) in itertools.pairwise(intervals):
        assert b1 != BAND_OPEN and a2 > b1


@settings(max_examples=50, deadline=None)
@given(score_batches)
def test_batched_bands_equal_row_by_row(batch):
    rank = competition_rank(batch)
    table = [(3, 4), (5, 9), (10, None)]
    lo, hi = assign_bands(rank, table, individual_until=2)
    for i in range(batch.shape[0]):
        lo_i, hi_i = assign_bands(rank[i], table, individual_until=2)
        np.testing.assert_array_equal(lo[i], lo_i)
        np.testing.assert_array_equal(hi[i], hi_i)


# -- groups -------------------------------------------------------------------------------------


def test_letudiant_2018_groups_by_points():
    scores = [62, 49, 48, 37, 36, 27, 26, 0, NAN, 63, 48.5]
    groups = groups_by_points(scores, LETUDIANT_2018)
    np.testing.assert_array_equal(groups, [0, 0, 1, 1, 2, 2, 3, 3, -1, -1, -1])


def test_groups_by_min_points_have_no_gaps():
    minimums = {"A+": 49, "A": 37, "B": 27, "C": 0}
    scores = [62, 49, 48.5, 37, 36, 27, 26, 0, -1, NAN]
    np.testing.assert_array_equal(
        groups_by_min_points(scores, minimums), [0, 0, 1, 1, 2, 2, 3, 3, -1, -1]
    )
    # The mapping order names the codes, whatever the order of the minimums.
    np.testing.assert_array_equal(groups_by_min_points([10, 40], {"low": 0, "high": 30}), [0, 1])
    with pytest.raises(ValueError, match="distinct"):
        groups_by_min_points([1], {"A": 10, "B": 10})
    with pytest.raises(ValueError, match="at least one"):
        groups_by_min_points([1], {})


def test_invalid_point_ranges():
    with pytest.raises(ValueError, match="overlap"):
        groups_by_points([1.0], [("A", 10, 20), ("B", 0, 10)])
    with pytest.raises(ValueError, match="lo > hi"):
        groups_by_points([1.0], [("A", 20, 10)])


def test_groups_by_rank_percentile():
    rank = [1, 25, 26, 26, 84, 85, 168, 0]
    # 15 % of 168 = 25.2: ranks up to 25 are in the first group; the tie at 26 stays together.
    np.testing.assert_array_equal(
        groups_by_rank_percentile(rank, 168, (15, 50, 100)), [0, 0, 1, 1, 1, 2, 2, -1]
    )
    np.testing.assert_array_equal(
        groups_by_rank_percentile(rank, 168, (15, 50)), [0, 0, 1, 1, 1, -1, -1, -1]
    )
    # Field size from the ranked institutions of each row.
    np.testing.assert_array_equal(
        groups_by_rank_percentile([[1, 2, 3, 4], [1, 2, 0, 0]], None, (50, 100)),
        [[0, 0, 1, 1], [0, 1, -1, -1]],
    )
    np.testing.assert_array_equal(
        groups_by_rank_percentile([[1, 2], [1, 2]], [2, 4], (50, 100)), [[0, 1], [0, 0]]
    )
    with pytest.raises(ValueError, match="ascending"):
        groups_by_rank_percentile([1], 10, (50, 15))


def test_position_in_group_hand_case():
    pos = position_in_group([1, 2, 2, 4, 5, 6, 0, 7], [0, 0, 0, 0, 1, 1, 0, -1])
    np.testing.assert_array_equal(pos.rank, [1, 2, 2, 4, 1, 2, 0, 0])
    np.testing.assert_array_equal(pos.size, [4, 4, 4, 4, 2, 2, 0, 0])
    # First half iff rank in group <= size / 2 (2 <= 4 / 2 included; 2 of 2 excluded).
    np.testing.assert_array_equal(
        pos.first_half, [True, True, True, False, True, False, False, False]
    )
    odd = position_in_group([1, 2, 3, 4, 5], ["A"] * 5)
    np.testing.assert_array_equal(odd.first_half, [True, True, False, False, False])


def test_claim_c9_first_half_of_group_a():
    # 168 schools with distinct integer totals; group A holds 37-48 points. The school at 27th
    # (27 <= 0.17 x 168 but > 0.15 x 168) is in the first half of group A.
    points = np.concatenate([np.arange(62, 49 - 1, -1), np.repeat(np.arange(48, 36, -1), 3)])
    points = np.concatenate([points, np.full(168 - points.size, 20)])
    rank = competition_rank(points)
    groups = groups_by_points(points, LETUDIANT_2018)
    pos = position_in_group(rank, groups)
    school = np.flatnonzero(rank == 27)[0]
    assert groups[school] == 1  # A
    assert pos.rank[school] == 13 and pos.size[school] == 36 and pos.first_half[school]
    assert percentile_top(rank[school], 168) == 17


# -- percentiles and top N ----------------------------------------------------------------------


def test_claim_percentiles_round_towards_the_less_favourable_side():
    # C14: 16th ex aequo of 169 -> 9.5 % -> top 10 %. C9: 27th of 168 -> top 17 %, never 15 %.
    np.testing.assert_array_equal(percentile_top([16, 27, 0], [169, 168, 169]), [10, 17, 0])
    assert percentile_top(25, 168) == 15
    np.testing.assert_array_equal(percentile_top([1, 100, 50], 100), [1, 100, 50])
    np.testing.assert_array_equal(
        percentile_top([[1, 2], [3, 4]], [[4], [8]]), [[25, 50], [38, 50]]
    )


def test_percentile_top_rejects_impossible_inputs():
    with pytest.raises(ValueError, match="field_size"):
        percentile_top(1, 0)
    with pytest.raises(ValueError, match="exceed"):
        percentile_top(170, 169)


def test_claim_c13_c14_sixteenth_ex_aequo_of_169():
    points = np.concatenate([np.arange(110, 95, -1), [80, 80], np.arange(79, 79 - 152, -1)])
    assert points.size == 169
    rank, ties = rank_and_ties(points)
    tied = np.flatnonzero(rank == 16)
    assert tied.size == 2 and np.all(ties[tied] == 2)
    assert (
        display_ranks(rank[tied], ties[tied], "ex-aequo", "fr", "f").tolist()
        == ["16e ex aequo"] * 2
    )
    assert display_ranks(rank[tied], ties[tied], "ex-aequo", "en").tolist() == ["=16th"] * 2
    assert rank[np.flatnonzero(points == 79)][0] == 18
    np.testing.assert_array_equal(percentile_top(rank[tied], 169), [10, 10])
    np.testing.assert_array_equal(top_n(rank[tied]), [20, 20])


def test_top_n_ladder():
    np.testing.assert_array_equal(
        top_n([1, 2, 3, 27, 30, 31, 300, 301, 1000, 1001, 0]),
        [1, 3, 3, 30, 30, 40, 300, 400, 1000, 0, 0],
    )
    assert TOP_N_LADDER[-1] == 1000
    np.testing.assert_array_equal(top_n([5, 6], ladder=(10, 100)), [10, 10])
    with pytest.raises(ValueError, match="ascending"):
        top_n([1], ladder=(10, 5))


# -- U-Multirank ordering -----------------------------------------------------------------------


def test_claim_c3_five_way_tie_at_first_on_a_counts():
    counts = np.array(
        [
            [4, 1, 0, 0, 0],  # 0
            [4, 2, 1, 0, 0],  # 1
            [2, 5, 0, 0, 0],  # 2
            [4, 1, 0, 0, 0],  # 3
            [4, 0, 3, 0, 0],  # 4
            [0, 0, 0, 0, 0],  # 5: no grade at all
            [4, 2, 1, 0, 0],  # 6
        ]
    )
    names = ["IMT Mines Alès", "Ecole B", "École A", "Alpha", "Zeta", "Aucune", "école b"]
    result = order_by_grade_counts(counts, names)
    # A counts, then B, C, ..., then the name compared case- and accent-blind, then exactly.
    np.testing.assert_array_equal(result.order, [1, 6, 3, 0, 4, 2, 5])
    np.testing.assert_array_equal(result.rank, [1, 1, 6, 1, 1, 0, 1])
    np.testing.assert_array_equal(result.tie_size, [5, 5, 1, 5, 5, 0, 5])
    mines = 0
    assert display_ranks(
        result.rank[[mines]], result.tie_size[[mines]], "ex-aequo", "fr", "f"
    ).tolist() == ["1re ex aequo"]


def test_order_by_grade_counts_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        order_by_grade_counts(np.zeros((2, 4)), ["a", "b"])
    with pytest.raises(ValueError, match="names"):
        order_by_grade_counts(np.zeros((2, 5)), ["a"])
    empty = order_by_grade_counts(np.zeros((0, 5)), [])
    assert empty.order.shape == empty.rank.shape == (0,)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 25), elements=st.floats(width=64)))
def test_competition_is_exact_on_arbitrary_floats(scores):
    # Any finite or infinite float, NaN, and signed zeros: ties are exact float equality.
    np.testing.assert_array_equal(competition_rank(scores), reference_competition(scores))
    _rank, ties = rank_and_ties(scores)
    np.testing.assert_array_equal(ties, tie_sizes(reference_competition(scores)))
