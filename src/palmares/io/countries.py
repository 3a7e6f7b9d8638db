"""Country names as league tables print them, to ISO 3166-1 alpha-2 codes.

ISO names (pycountry: official, common and short names, alpha-2 and alpha-3 codes), CLDR's
English and French names (Babel: "Allemagne", "Corée du Sud"), plus the
forms publishers use that ISO does not ("China (Mainland)", "Hong Kong SAR", "Türkiye",
"South Korea", "Republic of Ireland", "USA", "UK"...). Compared ignoring case, accents and
punctuation. An unknown name gives None: palmares never guesses a country.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale

from palmares.names import fold_name

#: Publishers' names that ISO 3166 does not list (folded form -> alpha-2).
_PRINTED: dict[str, str] = {
    "usa": "US",
    "us": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "china mainland": "CN",
    "mainland china": "CN",
    "china": "CN",
    "hong kong": "HK",
    "hong kong sar": "HK",
    "hong kong sar china": "HK",
    "macau": "MO",
    "macao": "MO",
    "macau sar": "MO",
    "macao sar": "MO",
    "macao sar china": "MO",
    "taiwan": "TW",
    "chinese taipei": "TW",
    "taiwan china": "TW",
    "south korea": "KR",
    "korea": "KR",
    "korea south": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "iran": "IR",
    "turkey": "TR",
    "turkiye": "TR",
    "vietnam": "VN",
    "viet nam": "VN",
    "czech republic": "CZ",
    "czechia": "CZ",
    "republic of ireland": "IE",
    "ireland": "IE",
    "syria": "SY",
    "venezuela": "VE",
    "bolivia": "BO",
    "tanzania": "TZ",
    "moldova": "MD",
    "laos": "LA",
    "palestine": "PS",
    "palestinian territories": "PS",
    "northern cyprus": "CY",
    "brunei": "BN",
    "brunei darussalam": "BN",
    "cote d ivoire": "CI",
    "ivory coast": "CI",
    "macedonia": "MK",
    "north macedonia": "MK",
    "swaziland": "SZ",
    "eswatini": "SZ",
    "the netherlands": "NL",
    "netherlands": "NL",
    "holland": "NL",
    "uae": "AE",
    "united arab emirates": "AE",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "republic of the congo": "CG",
    "congo": "CG",
    "cape verde": "CV",
    "the bahamas": "BS",
    "the gambia": "GM",
    "micronesia": "FM",
    "vatican": "VA",
    "vatican city": "VA",
    "east timor": "TL",
    "burma": "MM",
}
_PUNCTUATION = re.compile(r"[^\w\s]")


def _key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold_name(text)).split())


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                index.setdefault(_key(name), country.alpha_2)
        index.setdefault(_key(country.alpha_3), country.alpha_2)
        # Short forms such as "Korea, Republic of" and "Bolivia, Plurinational State of".
        short = country.name.split(",")[0]
        index.setdefault(_key(short), country.alpha_2)
    # CLDR names in English and French ("Hong Kong SAR China", "Allemagne", "Corée du Sud").
    for lang in ("en", "fr"):
        for code, name in Locale(lang).territories.items():
            if len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code):
                index.setdefault(_key(name), code)
    index.update(_PRINTED)
    return index


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a printed country name or code; None when unknown."""
    cell = text.strip()
    if not cell:
        return None
    if len(cell) == 2 and cell.isalpha():
        upper = cell.upper()
        if pycountry.countries.get(alpha_2=upper) is not None:
            return upper
    return _index().get(_key(cell))
