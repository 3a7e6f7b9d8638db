"""Tests of palmares.steps (a package so test module names stay unique across the suite)."""
