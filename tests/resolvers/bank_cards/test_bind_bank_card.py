"""bindBankCard over HTTP.

The rules: docs/spec/settings.md#bank-cards and
docs/spec/masking-and-viewers.md#sensitive-fields.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.identity_verifier import VerificationOutcome
from auth.services import AuthServices
from gateway.settings import Settings
from models import (
    BankCard,
    BankCardType,
    ConsentEvent,
    ConsentPurpose,
    RealNameVerification,
)
from resolvers.global_id import to_global_id
from resolvers.loaders import RealNameVerificationByAccountLoader
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.settings.helpers import (
    StubVerifier,
    count,
    forbidden_for_staff,
    grants,
    iso,
    only_row,
    unauthenticated,
)
from tests.resolvers.verifications.helpers import adult_id, out_of_bounds, verify_real_name
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, error
from tests.support.races import racing_account, skip_unless_postgres
from tests.support.viewers import KINDS, SignedIn, Viewers

ICBC_DEBIT = "6222020200112345679"
HOLDER = "张三"
CARD = "id bankName branch location cardNumber last4 holderName cardType boundAt"
BIND = f"""
mutation($input: BindBankCardInput!) {{
  bindBankCard(input: $input) {{ bankCard {{ {CARD} }} {USER_ERRORS} }}
}}
"""
CARDS = f"{{ viewer {{ account {{ bankCards {{ {CARD} }} }} }} }}"
INVALID_BANK_CARD = error(
    "INVALID_BANK_CARD",
    "A card number has 12 to 19 digits and a valid check digit.",
    "cardNumber",
)
CONSENT_REQUIRED = error(
    "CONSENT_REQUIRED", "A bank card needs your separate consent.", "separateConsent"
)
NAME_MISMATCH = error(
    "NAME_MISMATCH", "The holder's name must be your verified real name.", "holderName"
)
ALREADY_BOUND = error("ALREADY_EXISTS", "This card is already bound.", "cardNumber")
LIMIT_REACHED = error("LIMIT_REACHED", "At most 10 cards.", "cardNumber")


def luhn_ok(number: str) -> bool:
    """Luhn, written independently: digit sums of every second digit doubled."""
    digits = "".join(str(int(d) * 2) if i % 2 else d for i, d in enumerate(reversed(number)))
    return sum(int(d) for d in digits) % 10 == 0


def with_check_digit(body: str) -> str:
    [number] = [body + digit for digit in "0123456789" if luhn_ok(body + digit)]
    return number


def broken_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def card_input(**changes: Any) -> dict[str, Any]:
    return {
        "bankName": "Some bank",
        "branch": "Haidian branch",
        "location": "Beijing",
        "cardNumber": ICBC_DEBIT,
        "holderName": HOLDER,
        "separateConsent": True,
        **changes,
    }


async def bind(client: httpx.AsyncClient, token: str | None, **changes: Any) -> dict[str, Any]:
    return await graphql(client, BIND, {"input": card_input(**changes)}, token=token)


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"bindBankCard": {"bankCard": None, "userErrors": list(user_errors)}}}


def bound_card(card: BankCard, clock: Clock, **fields: Any) -> dict[str, Any]:
    return {
        "id": to_global_id("BankCard", card.id),
        "bankName": "中国工商银行",
        "branch": "Haidian branch",
        "location": "Beijing",
        "cardNumber": "***************5679",
        "last4": "5679",
        "holderName": "*三",
        "cardType": "DEBIT",
        "boundAt": iso(clock()),
        **fields,
    }


async def verified_real_name(client: httpx.AsyncClient, token: str, clock: Clock) -> None:
    """The holder's name verified as an adult's real name."""
    await verify_real_name(client, token, HOLDER, adult_id(clock))


async def nothing_stored(db: AsyncSession, viewer: SignedIn) -> bool:
    return (
        await count(db, BankCard, account_id=viewer.me.id),
        await count(db, ConsentEvent, account_id=viewer.me.id),
    ) == (0, 0)


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient) -> None:
    body = await bind(client, None)

    assert body == unauthenticated(BIND, "bindBankCard")


async def test_staff_have_no_cards_to_bind(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    staff = await viewers.staff()

    body = await bind(client, staff.token)

    assert body == forbidden_for_staff(BIND, "bindBankCard")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_card_is_bound_its_number_never_returned_and_its_consent_recorded(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    viewer = await viewers.of_kind(kind)

    response = await client.post(
        "/graphql",
        json={"query": BIND, "variables": {"input": card_input()}},
        headers={"Authorization": f"Bearer {viewer.token}"},
    )
    listed = await graphql(client, CARDS, token=viewer.token)

    card = await only_row(db, BankCard, viewer.me.id)
    expected = bound_card(card, clock)
    assert response.json() == {"data": {"bindBankCard": {"bankCard": expected, "userErrors": []}}}
    assert listed == {"data": {"viewer": {"account": {"bankCards": [expected]}}}}
    assert ICBC_DEBIT not in response.text
    assert ICBC_DEBIT[:6] not in response.text
    assert (card.account_id, card.card_number, card.holder_name, card.card_type) == (
        viewer.me.id,
        ICBC_DEBIT,
        HOLDER,
        BankCardType.DEBIT,
    )
    assert await grants(db, viewer.me.id, ConsentPurpose.SENSITIVE_BANK_CARD) == (1, 1)


@pytest.mark.parametrize(
    ("number", "bank", "card_type", "masked"),
    [
        pytest.param(
            "6222 0202 0011 2345 679", "中国工商银行", "DEBIT", "*" * 15 + "5679", id="spaces"
        ),
        pytest.param(
            "6222-0202-0011-2345-679", "中国工商银行", "DEBIT", "*" * 15 + "5679", id="dashes"
        ),
        pytest.param(with_check_digit("622575123456789"), "招商银行", "CREDIT", None, id="cmb"),
        pytest.param(with_check_digit("436742000000000"), "中国建设银行", "DEBIT", None, id="ccb"),
        pytest.param(with_check_digit("621234567890123"), "Some bank", "UNKNOWN", None, id="62"),
        pytest.param(with_check_digit("40000000000"), "Some bank", "UNKNOWN", None, id="12"),
        pytest.param(with_check_digit("999999999999999999"), "Some bank", "UNKNOWN", None, id="19"),
    ],
)
async def test_the_bank_and_card_type_come_from_the_number(
    client: httpx.AsyncClient,
    individual: SignedIn,
    number: str,
    bank: str,
    card_type: str,
    masked: str | None,
) -> None:
    digits = number.replace(" ", "").replace("-", "")

    body = await bind(client, individual.token, cardNumber=number)

    card = body["data"]["bindBankCard"]["bankCard"]
    assert body["data"]["bindBankCard"]["userErrors"] == []
    assert (card["bankName"], card["cardType"], card["last4"], card["cardNumber"]) == (
        bank,
        card_type,
        digits[-4:],
        masked or "*" * (len(digits) - 4) + digits[-4:],
    )


INVALID_NUMBERS = {
    "luhn": broken_check_digit(ICBC_DEBIT),
    "11-digits": with_check_digit("6222020200"),
    "20-digits": with_check_digit("6222020200112345679"),
    "letter-o": "6222O20200112345679",
    "full-width": "６２２２０２０２００１１２３４５６７９",
    "empty": "",
}
TEXTS_OUT_OF_BOUNDS = {"empty": "", "blank": "  ", "101-characters": "x" * 101}


@pytest.mark.parametrize(
    ("changes", "user_errors"),
    [
        *(
            pytest.param({"cardNumber": number}, [INVALID_BANK_CARD], id=f"card-number-{name}")
            for name, number in INVALID_NUMBERS.items()
        ),
        pytest.param({"separateConsent": False}, [CONSENT_REQUIRED], id="without-separate-consent"),
        *(
            pytest.param({field: value}, [out_of_bounds(field, 100)], id=f"{field}-{name}")
            for field in ["bankName", "branch", "location", "holderName"]
            for name, value in TEXTS_OUT_OF_BOUNDS.items()
        ),
        pytest.param(
            {"branch": "", "holderName": "", "separateConsent": False, "cardNumber": "1"},
            [
                out_of_bounds("branch", 100),
                out_of_bounds("holderName", 100),
                CONSENT_REQUIRED,
                INVALID_BANK_CARD,
            ],
            id="every-problem-at-once",
        ),
    ],
)
async def test_a_card_with_a_problem_is_refused_and_nothing_stored(
    api: Api, individual: SignedIn, changes: dict[str, Any], user_errors: list[dict[str, Any]]
) -> None:
    body = await bind(api.client, individual.token, **changes)

    assert body == refused(*user_errors)
    assert await nothing_stored(api.db, individual)


async def test_the_holder_must_be_the_verified_real_name(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, clock: Clock
) -> None:
    await verified_real_name(client, individual.token, clock)

    other = await bind(client, individual.token, holderName="李四")
    same = await bind(client, individual.token, holderName=" 张三 ")

    assert other == refused(NAME_MISMATCH)
    assert same["data"]["bindBankCard"]["userErrors"] == []
    assert await count(db, BankCard, account_id=individual.me.id) == 1


async def test_a_real_name_that_is_not_verified_does_not_bind_the_holder(
    client: httpx.AsyncClient, individual: SignedIn, services: AuthServices, clock: Clock
) -> None:
    services.verifier = StubVerifier(VerificationOutcome(verified=False, rejection_reason="No."))
    await verified_real_name(client, individual.token, clock)

    body = await bind(client, individual.token, holderName="李四")

    assert body["data"]["bindBankCard"]["userErrors"] == []


async def test_the_same_card_binds_once_per_account(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    viewer = await viewers.individual(phone="13812345678")
    other = await viewers.individual(phone="13812345679")

    first = await bind(client, viewer.token)
    again = await bind(client, viewer.token, cardNumber="6222 0202 0011 2345 679")
    elsewhere = await bind(client, other.token)

    assert first["data"]["bindBankCard"]["userErrors"] == []
    assert again == refused(ALREADY_BOUND)
    assert elsewhere["data"]["bindBankCard"]["userErrors"] == []
    assert await count(db, BankCard, account_id=viewer.me.id) == 1
    assert await count(db, ConsentEvent, account_id=viewer.me.id) == 1


async def test_the_eleventh_card_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    viewer = await viewers.business()
    numbers = [with_check_digit(f"62220202001123{n:04d}") for n in range(11)]
    for number in numbers[:10]:
        body = await bind(client, viewer.token, cardNumber=number)
        assert body["data"]["bindBankCard"]["userErrors"] == [], body

    eleventh = await bind(client, viewer.token, cardNumber=numbers[10])

    assert eleventh == refused(LIMIT_REACHED)
    assert await count(db, BankCard, account_id=viewer.me.id) == 10
    assert await count(db, ConsentEvent, account_id=viewer.me.id) == 1


async def test_two_requests_racing_with_the_same_card_bind_it_once(
    is_postgres: bool,
    engine: AsyncEngine,
    settings: Settings,
    services: AuthServices,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skip_unless_postgres(is_postgres)
    # Both requests have looked the holder's real name up before either inserts a card.
    both_checked = asyncio.Barrier(2)
    load_real_names = RealNameVerificationByAccountLoader.batch_load_fn

    async def after_both_checked(
        loader: RealNameVerificationByAccountLoader, keys: Sequence[Any]
    ) -> list[RealNameVerification | None]:
        async with asyncio.timeout(10):
            await both_checked.wait()
        return await load_real_names(loader, keys)

    monkeypatch.setattr(RealNameVerificationByAccountLoader, "batch_load_fn", after_both_checked)
    # Rows committed for real: each request runs in a transaction of its own, on a
    # connection of its own, as in production.
    async with racing_account(engine, settings, services, clock) as racer:
        answers = await asyncio.gather(
            bind(racer.client, racer.token), bind(racer.client, racer.token)
        )
        async with AsyncSession(engine) as session:
            cards = await count(session, BankCard, account_id=racer.account_id)
            events = await count(session, ConsentEvent, account_id=racer.account_id)

    assert all("errors" not in answer for answer in answers), answers
    user_errors = sorted(
        (answer["data"]["bindBankCard"]["userErrors"] for answer in answers), key=len
    )
    assert user_errors == [[], [ALREADY_BOUND]]
    assert (cards, events) == (1, 1)
