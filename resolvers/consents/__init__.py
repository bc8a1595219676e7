"""Consents: what the person agreed to, and the history of every change."""
