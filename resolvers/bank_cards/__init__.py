"""Bound bank cards."""
