"""Fixtures of the sign-in tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import strawberry
from argon2 import PasswordHasher
from strawberry.extensions import SchemaExtension

import gateway.app
from auth import passwords
from schema import build_schema

# Still Argon2id, with the smallest cost: the tests sign in often and do not measure
# the hash's cost (the production parameters are the library's recommended ones).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_SCHEMAS: dict[tuple[str, ...], strawberry.Schema] = {}


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", FAST_HASHER.hash("not-a-password-of-anyone-1"))


def _shared_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """One schema per set of request extensions, instead of one per app.

    Every test builds an app, and building the schema costs more than most tests. A
    schema holds no state of its own (the extensions are factories run per request),
    so apps may share one.
    """
    key = tuple(type(factory()).__name__ for factory in extensions)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = build_schema(extensions)
    return _SCHEMAS[key]


@pytest.fixture(autouse=True)
def shared_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.app, "build_schema", _shared_schema)
