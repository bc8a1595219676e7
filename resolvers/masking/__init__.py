"""Masking of sensitive values: the formats shown to viewers who may not read them in clear."""
