"""Sentences said in English now and in the reader's language later (palmares.translatable)."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from palmares.problems import UsageProblem
from palmares.translatable import Translatable, joined, localise, reason, tr, tr_n

NBSP, NNBSP = "\u00a0", "\u202f"


def test_english_is_the_message_id_filled_in() -> None:
    said = tr("--seed {seed}: give a non-negative integer", seed=-1)
    assert isinstance(said, str) and isinstance(said, Translatable)
    assert said == "--seed -1: give a non-negative integer"
    assert localise(said, None) == localise(said, "en") == said


def test_french_comes_from_the_catalogue_with_its_typography() -> None:
    said = tr("--seed {seed}: give a non-negative integer", seed=-1)
    assert said.said_in("fr") == f"--seed -1{NBSP}: indiquez un entier positif ou nul"


def test_a_translatable_value_is_said_in_the_same_language() -> None:
    hint = tr("; did you mean {names}?", names="the-wur, the-impact")
    said = tr(
        "{option} {value!r}: {unknown}{hint}{valid}",
        option="--system",
        value="the-wr",
        unknown=tr("unknown value"),
        hint=hint,
        valid="",
    )
    assert said == "--system 'the-wr': unknown value; did you mean the-wur, the-impact?"
    assert said.said_in("fr") == (
        f"--system «{NBSP}the-wr{NBSP}»{NBSP}: valeur inconnue{NNBSP}; vouliez-vous dire "
        f"the-wur, the-impact{NNBSP}?"
    )


def test_plural_forms_follow_each_language() -> None:
    one = tr_n("{n} error(s); nothing was written", "{n} error(s); nothing was written", 1)
    two = tr_n("{n} error(s); nothing was written", "{n} error(s); nothing was written", 2)
    assert (one, two) == ("1 error(s); nothing was written", "2 error(s); nothing was written")
    assert one.said_in("fr") == f"1 erreur{NNBSP}; rien n'a été écrit"
    assert two.said_in("fr") == f"2 erreurs{NNBSP}; rien n'a été écrit"


def test_a_message_the_catalogue_lacks_stays_english() -> None:
    said = tr("no such sentence in any catalogue: {x}", x=3)
    assert said.said_in("fr") == "no such sentence in any catalogue: 3"


def test_joined_problems_stay_translatable() -> None:
    parts = [tr("unknown value"), tr("negative weight")]
    assert joined("; ", parts) == "unknown value; negative weight"
    assert localise(joined("; ", parts), "fr") == f"valeur inconnue{NNBSP}; poids négatif"
    assert localise(joined("\n", parts), "fr") == "valeur inconnue\npoids négatif"
    assert joined("; ", ["a", "b"]) == "a; b"


def test_an_exception_carries_it_across_processes() -> None:
    error = UsageProblem(tr("--workers must be >= 1"))
    back = pickle.loads(pickle.dumps(error))
    assert str(back) == "--workers must be >= 1"
    assert localise(reason(back), "fr") == "--workers doit valoir au moins 1"
    assert reason(ValueError()) == ""


@given(st.text(max_size=30), st.integers())
def test_english_equals_str_format_whatever_the_values(text: str, number: int) -> None:
    msgid = "{text!r} and {number}: {text}"
    said = tr(msgid, text=text, number=number)
    assert said == msgid.format(text=text, number=number)
    assert localise(said, "fr") == said  # no French for this id: the English, unchanged
