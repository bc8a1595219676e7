"""`keys rotate` as a function: it never overwrites a value the gateway changed meanwhile."""

from __future__ import annotations

import base64

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.services import configure_encryption
from models import Account
from models.key_rotation import Rotated, _rotate_row, rotate_keys
from tests.conftest import TEST_SECRETS, make_settings
from tests.support.factories import create_account

NEW_INDEX_KEYS = (
    TEST_SECRETS["blind_index_key"] + ",b2:" + base64.urlsafe_b64encode(b"2" * 32).decode()
)


async def test_a_value_changed_during_the_rotation_is_left_as_the_gateway_wrote_it(
    session_factory: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with session_factory() as db:
        account = await create_account(db)
        account.phone = "+8613812345678"
        await db.commit()
    configure_encryption(make_settings(db_url, blind_index_key=NEW_INDEX_KEYS))
    try:
        async with session_factory() as rotation, session_factory() as gateway:
            stale = await rotation.get(Account, account.id)
            assert stale is not None
            change = Account.phone.rotation(stale)
            assert change is not None
            assert change.reindexed
            assert not change.resealed
            # Meanwhile a request binds another phone (under the new key).
            moved = await gateway.get(Account, account.id)
            assert moved is not None
            moved.phone = "+8613900000000"
            await gateway.commit()

            rotated = Rotated()
            await _rotate_row(rotation, Account, account.id, [change], rotated)
            await rotation.commit()

        async with session_factory() as db:
            stored = await db.get(Account, account.id)
            assert stored is not None
            assert (stored.phone, stored.phone_index) == (
                "+8613900000000",
                Account.phone.index_of("+8613900000000"),
            )
            assert rotated == Rotated()
            assert (await rotate_keys(db))["accounts"] == Rotated()
    finally:
        configure_encryption(make_settings(db_url))
