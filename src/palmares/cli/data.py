"""Commands on bundles: validate and convert (contracts section 3)."""

from __future__ import annotations
