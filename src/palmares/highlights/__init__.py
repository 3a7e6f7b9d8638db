"""Highlights: typed facts about an institution in one edition, their French and English
sentences, and a checker for claims (see ``docs/highlights.md``)."""

from palmares.highlights.check import Check, check, parse_claim
from palmares.highlights.facts import BASE_PRIORITY, KINDS, Fact, facts, top_percent
from palmares.highlights.render import Renderer, render, render_all

__all__ = [
    "BASE_PRIORITY",
    "KINDS",
    "Check",
    "Fact",
    "Renderer",
    "check",
    "facts",
    "parse_claim",
    "render",
    "render_all",
    "top_percent",
]
