"""Verifications and bank cards grant their separate consent: not while a newer material
policy waits to be accepted (docs/spec/privacy-centre.md#consents)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import BankCard, ConsentEvent, PrivacyPolicy, RealNameVerification, StudentVerification
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.settings.helpers import resident_id, years_before
from tests.support.viewers import SignedIn, Viewers

POLICY_NOT_ACCEPTED = {
    "field": None,
    "code": "POLICY_NOT_ACCEPTED",
    "message": "Accept the current privacy policy before granting consent.",
}


@pytest.fixture(autouse=True)
async def new_material_policy(db: AsyncSession, clock: Clock) -> None:
    """Version 2.0, material, in force since yesterday, which nobody accepted yet."""
    db.add(
        PrivacyPolicy(
            version="2.0",
            effective_on=clock().date() - timedelta(days=1),
            published_at=clock(),
            material=True,
            body="# 2.0",
        )
    )
    await db.commit()


@pytest.fixture
async def person(viewers: Viewers) -> SignedIn:
    """An individual who accepted 1.0 only."""
    return await viewers.individual()


async def rows(db: AsyncSession, model: type[object]) -> int:
    return await db.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


async def test_real_name_and_student_verification_wait_for_the_policy(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, person: SignedIn
) -> None:
    id_number = resident_id(years_before(clock().date(), 30))

    real_name = await graphql(
        client,
        "mutation($i: SubmitRealNameVerificationInput!) {"
        " submitRealNameVerification(input: $i) { userErrors { field code message } } }",
        {"i": {"realName": "张三", "idNumber": id_number, "separateConsent": True}},
        token=person.token,
    )
    student = await graphql(
        client,
        "mutation($i: SubmitStudentVerificationInput!) {"
        " submitStudentVerification(input: $i) { userErrors { field code message } } }",
        {
            "i": {
                "realName": "张三",
                "idNumber": id_number,
                "verificationCode": "ABCD123456",
                "school": "Nanjing University",
                "major": "Design",
                "enrolledOn": "2020-09-01",
                "graduatesOn": "2024-07-01",
                "separateConsent": True,
            }
        },
        token=person.token,
    )

    assert real_name["data"]["submitRealNameVerification"]["userErrors"] == [POLICY_NOT_ACCEPTED]
    assert student["data"]["submitStudentVerification"]["userErrors"] == [POLICY_NOT_ACCEPTED]
    assert await rows(db, RealNameVerification) == 0
    assert await rows(db, StudentVerification) == 0
    assert await rows(db, ConsentEvent) == 0


async def test_binding_a_card_waits_for_the_policy(
    client: httpx.AsyncClient, db: AsyncSession, person: SignedIn
) -> None:
    body = await graphql(
        client,
        "mutation($i: BindBankCardInput!) { bindBankCard(input: $i) {"
        " bankCard { id } userErrors { field code message } } }",
        {
            "i": {
                "bankName": "ICBC",
                "branch": "Haidian",
                "location": "Beijing",
                "cardNumber": "6222020200112345679",
                "holderName": "张三",
                "separateConsent": True,
            }
        },
        token=person.token,
    )

    assert body == {
        "data": {"bindBankCard": {"bankCard": None, "userErrors": [POLICY_NOT_ACCEPTED]}}
    }
    assert await rows(db, BankCard) == 0
    assert await rows(db, ConsentEvent) == 0
