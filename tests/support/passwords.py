"""Password hashing at the smallest cost."""

from __future__ import annotations

from argon2 import PasswordHasher

# Still Argon2id, at the smallest cost: the tests create and sign in many accounts and
# do not measure the hash's cost (production keeps the library's recommended one), and
# verifying reads the cost from the hash itself.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
