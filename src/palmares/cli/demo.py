"""The demo command: write the demo world and show palmares at work (contracts section 4)."""

from __future__ import annotations
