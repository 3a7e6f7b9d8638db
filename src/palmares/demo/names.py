"""Fictional institution names: invented eponyms in real cities, never a real institution's name.

Every generated name carries an invented surname built from syllables (``Varnelo``,
``Ferrandou``), so that no demo institution can be mistaken for a real one whose data would be
invented. French names follow French typographic habits and carry the grammatical gender of
their head noun (``école`` is feminine, ``institut`` masculine), which highlights need for
ordinals ("1re école", "1er institut").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from palmares.names import fold_name

_SYLLABLES = (
    "al",
    "ber",
    "cor",
    "dan",
    "el",
    "fen",
    "gar",
    "hol",
    "is",
    "jor",
    "ka",
    "lin",
    "mar",
    "nor",
    "os",
    "pel",
    "quin",
    "ros",
    "sel",
    "tor",
    "ul",
    "var",
    "wen",
    "ya",
    "zan",
    "bri",
    "dal",
    "ev",
    "har",
    "lo",
    "mi",
    "ne",
    "ri",
    "sa",
    "te",
    "vo",
)
_FRENCH_SYLLABLES = (
    "fer",
    "ran",
    "dou",
    "vau",
    "mar",
    "ti",
    "gnac",
    "bel",
    "lan",
    "cour",
    "val",
    "ro",
    "sier",
    "lac",
    "vil",
    "chau",
    "vet",
    "gar",
    "roc",
    "bou",
    "lard",
    "bri",
    "sac",
    "mé",
    "ri",
    "gue",
    "tel",
    "pon",
    "sar",
    "rail",
    "doc",
    "quet",
    "ver",
    "nay",
)
_FRENCH_ENDINGS = ("", "", "", "e", "et", "and", "ière", "ac", "ou")


def invented_surname(rng: np.random.Generator, *, french: bool = False) -> str:
    """A pronounceable invented surname (two or three syllables)."""
    syllables = _FRENCH_SYLLABLES if french else _SYLLABLES
    count = 2 if rng.random() < 0.7 else 3
    parts = [syllables[int(i)] for i in rng.integers(0, len(syllables), size=count)]
    if french:
        parts.append(_FRENCH_ENDINGS[int(rng.integers(0, len(_FRENCH_ENDINGS)))])
    word = "".join(parts)
    return word[0].upper() + word[1:]


def slug(text: str) -> str:
    """An id-safe ASCII slug: lower case, accents dropped, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _elide(preposition: str, city: str) -> str:
    """French ``de`` + city with elision before a vowel (``d'Épinal``, ``de Lyon``)."""
    first = unicodedata.normalize("NFKD", city)[0].lower()
    if preposition == "de" and first in "aeiouyh":
        return f"d'{city}"
    return f"{preposition} {city}"


@dataclass(frozen=True)
class Naming:
    name: str
    name_en: str
    name_fr: str
    gender: str
    acronym: str
    eponym: str


# (French template, English template, gender, acronym letters); {p} eponym, {c} "de City".
_ENGINEERING = (
    ("École supérieure d'ingénieurs {p} {c}", "{p} School of Engineering, {city}", "f", "ESI"),
    ("École d'ingénieurs {p} {c}", "{p} Engineering School, {city}", "f", "EI"),
    ("Institut {p} de technologie {c}", "{p} Institute of Technology, {city}", "m", "IT"),
    (
        "Institut supérieur {p} des sciences appliquées",
        "{p} Institute of Applied Sciences",
        "m",
        "ISSA",
    ),
    (
        "École {p} de chimie et des matériaux {c}",
        "{p} School of Chemistry and Materials, {city}",
        "f",
        "ECM",
    ),
    ("École polytechnique {p} {c}", "{p} Polytechnic School, {city}", "f", "EP"),
    (
        "Institut {p} d'agronomie et d'environnement",
        "{p} Institute of Agronomy and Environment",
        "m",
        "IAE",
    ),
    (
        "École {p} du numérique et de l'électronique {c}",
        "{p} School of Digital Engineering and Electronics, {city}",
        "f",
        "ENE",
    ),
    (
        "École {p} des travaux publics et de l'énergie",
        "{p} School of Civil and Energy Engineering",
        "f",
        "ETPE",
    ),
    (
        "Institut {p} d'ingénierie des systèmes {c}",
        "{p} Institute of Systems Engineering, {city}",
        "m",
        "IIS",
    ),
)
_FRENCH_UNIVERSITY = (
    ("Université {p} {c}", "{p} University of {city}", "f", "U"),
    ("Université {p}", "{p} University", "f", "U"),
)
_FRENCH_BUSINESS = (
    ("École de commerce {p} {c}", "{p} Business School, {city}", "f", "EC"),
    ("Institut {p} de management", "{p} Institute of Management", "m", "IM"),
)
_WORLD = {
    "university": ("{p} University", "{p} University of {city}", "{city} {p} University"),
    "technical-university": ("{p} Technical University", "{city} {p} Institute of Technology"),
    "applied-sciences": ("{p} University of Applied Sciences", "{city} {p} Polytechnic"),
    "business-school": ("{p} School of Business", "{city} {p} Business School"),
    "specialised": (
        "{p} Medical University",
        "{p} Academy of Fine Arts",
        "{p} Institute of Agriculture",
    ),
}


def _acronym(letters: str, eponym: str, city: str) -> str:
    return f"{letters}{eponym[0]} {city}"


def _fresh(naming: Naming, used: set[str] | None) -> bool:
    """Claim the naming's names in ``used`` (folded) unless one is taken already."""
    if used is None:
        return True
    keys = {fold_name(naming.name), fold_name(naming.name_en)}
    if keys & used:
        return False
    used.update(keys)
    return True


def french_name(
    rng: np.random.Generator, kind: str, city: str, used: set[str] | None = None
) -> Naming:
    """A French institution's names (``kind``: engineering-school, university, business-school).

    With ``used``, draws again until neither name is taken (case- and accent-insensitively), so
    every name and alias names one institution.
    """
    while True:
        naming = _french_name(rng, kind, city)
        if _fresh(naming, used):
            return naming


def world_name(
    rng: np.random.Generator, kind: str, city: str, used: set[str] | None = None
) -> Naming:
    """An institution's English name outside France (unique within ``used`` if given)."""
    while True:
        naming = _world_name(rng, kind, city)
        if _fresh(naming, used):
            return naming


def _french_name(rng: np.random.Generator, kind: str, city: str) -> Naming:
    templates = {
        "engineering-school": _ENGINEERING,
        "university": _FRENCH_UNIVERSITY,
        "business-school": _FRENCH_BUSINESS,
    }[kind]
    fr, en, gender, letters = templates[int(rng.integers(0, len(templates)))]
    eponym = invented_surname(rng, french=True)
    name = fr.format(p=eponym, c=_elide("de", city)).replace("  ", " ")
    name_en = en.format(p=eponym, city=city)
    return Naming(name, name_en, name, gender, _acronym(letters, eponym, city), eponym)


def _world_name(rng: np.random.Generator, kind: str, city: str) -> Naming:
    templates = _WORLD[kind]
    template = templates[int(rng.integers(0, len(templates)))]
    eponym = invented_surname(rng)
    name = template.format(p=eponym, city=city)
    initials = "".join(w[0] for w in template.format(p=eponym, city="").split() if w[0].isupper())
    # The French head noun decides the gender: institut (m); université, école, académie (f).
    gender = "m" if "Institute" in template else "f"
    return Naming(name, name, "", gender, f"{initials} {city}", eponym)
