"""privacyContact: the processor and its protection officer, from a file operators edit."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from resolvers.privacy.inventory import CONTACT_FILE, DEFAULT_DIR, InventoryError, load_inventory
from tests.conftest import ClientWith
from tests.helpers import graphql

CONTACT = """
{ privacyContact { organisation email phone address officerName officerEmail regulator } }
"""
# The shipped file, written out: operators replace every value with their own.
SHIPPED = {
    "organisation": "Xiamo platform (operator: edit privacy-contact.json)",
    "email": "contact@kanshan.in",
    "phone": None,
    "address": None,
    "officerName": "Personal information protection officer",
    "officerEmail": "contact@kanshan.in",
    "regulator": (
        "If our answer does not satisfy you, you may complain to the cyberspace"
        " administration, the industry and information technology, public security or market"
        " regulation authorities, or take the matter to a court with jurisdiction over us."
    ),
}
EDITED = {
    "organisation": "Xiamo Network Technology Co., Ltd.",
    "email": "privacy@xiamo.example",
    "phone": "+86 10 1234 5678",
    "address": "1 Example Road, Haidian District, Beijing",
    "officerName": "Chen Jing",
    "officerEmail": "dpo@xiamo.example",
    "regulator": "You may complain to the Beijing cyberspace administration at 12377.cn.",
}


def write_copy(tmp_path: Path, contact: object) -> Path:
    directory = tmp_path / "inventory"
    shutil.copytree(DEFAULT_DIR, directory)
    (directory / CONTACT_FILE).write_text(json.dumps(contact), encoding="utf-8")
    return directory


@pytest.fixture
async def edited_client(
    client_with: ClientWith, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(inventory_dir=write_copy(tmp_path, EDITED)) as client:
        yield client


async def test_anyone_reads_the_shipped_contact(client: httpx.AsyncClient) -> None:
    body = await graphql(client, CONTACT)

    assert body == {"data": {"privacyContact": SHIPPED}}


async def test_an_app_pointed_at_an_edited_copy_serves_it(
    edited_client: httpx.AsyncClient,
) -> None:
    body = await graphql(edited_client, CONTACT)

    assert body == {"data": {"privacyContact": EDITED}}


def _without(field: str) -> dict[str, Any]:
    return {key: value for key, value in EDITED.items() if key != field}


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        pytest.param(_without("officerEmail"), 'missing field(s) "officerEmail"', id="missing"),
        pytest.param({**EDITED, "fax": "1"}, 'unknown field(s) "fax"', id="unknown"),
        pytest.param({**EDITED, "organisation": " "}, '"organisation" must not be blank', id="blank"),
        pytest.param({**EDITED, "regulator": None}, '"regulator" must be a string', id="no-regulator"),
        pytest.param({**EDITED, "email": "privacy"}, '"email" must be an e-mail address', id="email"),
        pytest.param({**EDITED, "officerEmail": "a@"}, '"officerEmail" must be an e-mail', id="officer-email"),
        pytest.param({**EDITED, "phone": 123}, '"phone" must be a string', id="phone"),
        pytest.param([EDITED], "must hold a JSON object, found an array", id="array"),
    ],
)  # fmt: skip
def test_a_broken_contact_file_is_refused_naming_it(
    tmp_path: Path, contact: object, message: str
) -> None:
    directory = write_copy(tmp_path, contact)

    with pytest.raises(InventoryError) as raised:
        load_inventory(directory)

    assert str(raised.value).startswith(str(directory / CONTACT_FILE))
    assert message in str(raised.value)


def test_a_missing_contact_file_is_refused_naming_it(tmp_path: Path) -> None:
    directory = write_copy(tmp_path, EDITED)
    (directory / CONTACT_FILE).unlink()

    with pytest.raises(InventoryError, match="cannot be read") as raised:
        load_inventory(directory)

    assert str(directory / CONTACT_FILE) in str(raised.value)
