"""Readers and writers of bundles in every format and layout."""

from __future__ import annotations
