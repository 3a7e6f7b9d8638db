"""A release's own wording ("top 15 %", "16e ex aequo", "6e en France") as a ``KIND=VALUE`` claim.

The claim box takes what a communication office wrote; :func:`palmares.highlights.check` takes
``KIND=VALUE`` (contracts section 6). This module only translates the wording; the check itself
is the library's.
"""

from __future__ import annotations

import re

from palmares.names import fold_name
from palmares.translatable import tr

_ORDINAL = r"=?\s*(\d[\d\s\u00a0\u202f]*)\s*(?:er|re|ere|e|eme|st|nd|rd|th)?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("percentile", re.compile(r"^(?:dans le |in the )?top\s*(\d+)\s*(?:%|pour ?cent|percent)$")),
    ("top_n", re.compile(r"^(?:dans le |in the )?top\s*(\d+)$")),
    ("band", re.compile(r"^(\d+)\s*[-\u2013\u2014]\s*(\d+)$")),
    ("grade_count", re.compile(r"^(\d+)\s*(?:a|notes? a|grades? a|a grades?|x a)$")),
    (
        "national_rank",
        re.compile(
            rf"^{_ORDINAL}(?:\s*ex aequo)?\s*(?:en|in|de|of)\s+"
            r"(?:france|the country|son pays|le pays|[a-z ]*national[a-z ]*)$"
        ),
    ),
    (
        "regional_rank",
        re.compile(
            rf"^{_ORDINAL}(?:\s*ex aequo)?\s*(?:en|in|de|of)\s+"
            r"(?:sa |la |the )?(?:region|[a-z' -]+)$"
        ),
    ),
    ("rank", re.compile(rf"^(?:rank\s*|rang\s*)?{_ORDINAL}(?:\s*ex aequo)?$")),
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def claim_of(wording: str) -> str:
    """``KIND=VALUE`` for a release's wording; a ``KIND=VALUE`` text is returned as given.

    Raises ValueError naming the forms it understands when the wording is none of them.
    """
    text = wording.strip()
    if re.fullmatch(r"[a-z_]+\s*=\s*\S.*", text):
        kind, _, value = text.partition("=")
        return f"{kind.strip()}={value.strip()}"
    folded = fold_name(text.replace("\u00a0", " ").replace("\u202f", " ")).rstrip(".!")
    folded = re.sub(r"^(?:nous sommes|we are|est|is|classee?s?|ranked)\s+", "", folded)
    for kind, pattern in _PATTERNS:
        found = pattern.match(folded)
        if not found:
            continue
        if kind == "band":
            return f"band={found.group(1)}-{found.group(2)}"
        return f"{kind}={_digits(found.group(1))}"
    raise ValueError(
        tr(
            "{wording!r}: not a claim palmares can check; write it as the release does, "
            "for example 'top 15 %', 'top 20', '16e ex aequo', '6e en France', '201-300', "
            "'10 A', or as KIND=VALUE (percentile=15)",
            wording=wording,
        )
    )
