import pytest

from palmares.lang import (
    NBSP,
    Noun,
    check_lang,
    count_words,
    format_decimal,
    format_int,
    format_percent,
    noun_for,
    ordinal,
    rank_label,
    tie_phrase,
)

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("n", "gender", "expected"),
    [
        (1, "f", "1re"),
        (1, "m", "1er"),
        (1, None, "1er"),  # default agrees with the implicit "rang"
        (2, "f", "2e"),
        (2, None, "2e"),
        (16, None, "16e"),
        (101, "f", "101e"),
        (1001, None, f"1{NNBSP}001e"),
    ],
)
def test_french_ordinals(n, gender, expected):
    assert ordinal(n, "fr", gender) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (1001, "1,001st"),
    ],
)
def test_english_ordinals(n, expected):
    assert ordinal(n, "en") == expected
    # Gender changes nothing in English.
    assert ordinal(n, "en", "f") == expected


def test_html_ordinals_superscript_the_suffix():
    assert ordinal(1, "fr", "f", html=True) == "1<sup>re</sup>"
    assert ordinal(1, "fr", html=True) == "1<sup>er</sup>"
    assert ordinal(16, "fr", html=True) == "16<sup>e</sup>"
    assert ordinal(2, "en", html=True) == "2<sup>nd</sup>"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_ordinal_needs_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        ordinal(bad, "fr")


def test_unknown_language_and_gender_are_errors():
    with pytest.raises(ValueError, match="unknown language 'de'"):
        ordinal(1, "de")
    with pytest.raises(ValueError, match="gender"):
        ordinal(1, "fr", "n")
    assert check_lang("fr") == "fr"


@pytest.mark.parametrize(
    ("n", "fr", "en"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (1115, f"1{NNBSP}115", "1,115"),
        (1234567, f"1{NNBSP}234{NNBSP}567", "1,234,567"),
        (-1800, f"-1{NNBSP}800", "-1,800"),
    ],
)
def test_format_int(n, fr, en):
    assert format_int(n, "fr") == fr
    assert format_int(n, "en") == en


def test_format_int_rejects_non_integers():
    with pytest.raises(ValueError, match="integer"):
        format_int(1.5, "en")


def test_format_percent_spacing_and_decimal_mark():
    assert format_percent(10, "fr") == f"10{NBSP}%"
    assert format_percent(10, "en") == "10%"
    assert format_percent(9.47, "fr", 1) == f"9,5{NBSP}%"
    assert format_percent(9.47, "en", 1) == "9.5%"


def test_format_decimal_rounds_half_up_after_snapping():
    assert format_decimal(2.5, "en", 0) == "3"  # not banker's 2
    assert format_decimal(0.125, "en", 2) == "0.13"
    assert format_decimal(3.3499999999999996, "en", 2) == "3.35"
    assert format_decimal(72.25, "fr", 1) == "72,3"
    assert format_decimal(1234.5, "fr", 1) == f"1{NNBSP}234,5"
    assert format_decimal(-1234.56, "en", 1) == "-1,234.6"
    assert format_decimal(-0.04, "en", 1) == "0.0"  # no negative zero


def test_format_decimal_rejects_non_finite_and_negative_decimals():
    with pytest.raises(ValueError, match="non-finite"):
        format_decimal(float("nan"), "en")
    with pytest.raises(ValueError, match="decimals"):
        format_decimal(1.0, "en", -1)


@pytest.mark.parametrize(
    ("style", "lang", "prose", "tied", "untied"),
    [
        ("equals", "en", False, "=39", "39"),
        ("equals", "fr", False, "=39", "39"),
        ("bare", "en", False, "39", "39"),
        ("ordinal", "fr", False, "39e", "39e"),
        ("ordinal", "en", False, "39th", "39th"),
        ("ex-aequo", "fr", False, "39e ex aequo", "39e"),
        ("ex-aequo", "fr", True, "39e ex aequo", "39e"),
        ("ex-aequo", "en", False, "=39th", "39th"),
        ("ex-aequo", "en", True, "joint 39th", "39th"),
    ],
)
def test_rank_label_styles(style, lang, prose, tied, untied):
    assert rank_label(39, 2, style, lang, prose=prose) == tied
    assert rank_label(39, 1, style, lang, prose=prose) == untied
    assert rank_label(0, 1, style, lang, prose=prose) == ""


def test_rank_label_first_place_by_gender():
    assert rank_label(1, 5, "ex-aequo", "fr", gender="f") == "1re ex aequo"
    assert rank_label(1, 5, "ex-aequo", "fr") == "1er ex aequo"
    assert rank_label(16, 2, "ex-aequo", "fr", html=True) == "16<sup>e</sup> ex aequo"


def test_rank_label_rejects_unknown_style_and_negative_rank():
    with pytest.raises(ValueError, match="unknown rank style"):
        rank_label(1, 1, "stars", "en")
    with pytest.raises(ValueError, match="negative"):
        rank_label(-1, 1, "bare", "en")


def test_count_words_under_ten_in_words():
    assert count_words(4, "fr") == "quatre"
    assert count_words(1, "fr", "f") == "une"
    assert count_words(1, "fr", "m") == "un"
    assert count_words(9, "en") == "nine"
    assert count_words(10, "en") == "10"
    assert count_words(1800, "fr") == f"1{NNBSP}800"
    with pytest.raises(ValueError, match="non-negative"):
        count_words(-1, "en")


def test_tie_phrase_seed_example():
    # Seed 000: "1re ... (ex-aequo avec quatre autres écoles)": a 5-way tie.
    assert tie_phrase(5, "fr", "school") == "ex aequo avec quatre autres écoles"
    assert tie_phrase(5, "en", "school") == "tied with four other schools"


def test_tie_phrase_agreement_and_counts():
    assert tie_phrase(2, "fr", "school") == "ex aequo avec une autre école"
    assert tie_phrase(2, "fr", "institution") == "ex aequo avec un autre établissement"
    assert tie_phrase(2, "en", "institution") == "tied with one other institution"
    assert tie_phrase(10, "fr", "university") == "ex aequo avec neuf autres universités"
    assert tie_phrase(12, "en", "engineering-school") == "tied with 11 other engineering schools"
    assert tie_phrase(1, "fr") == ""
    assert tie_phrase(0, "en") == ""


def test_tie_phrase_custom_noun_and_unknown_noun():
    noun = Noun("grande école", "grandes écoles", "f")
    assert tie_phrase(3, "fr", noun) == "ex aequo avec deux autres grandes écoles"
    assert noun_for("school", "en") == Noun("school", "schools")
    with pytest.raises(ValueError, match="unknown noun 'lycée'"):
        tie_phrase(3, "fr", "lycée")
