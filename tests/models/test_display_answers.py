"""Every viewer kind asks the same queries with display reads on and off: the answers
(masking included) must be identical."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from gateway.demo import seed_demo
from models import (
    Account,
    AccountKind,
    AccountStatus,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    StaffMember,
    display,
)
from resolvers.global_id import to_global_id
from tests.helpers import graphql
from tests.support.clock import Clock
from tests.support.viewers import sign_in

SENSITIVE = """
  phone email phoneRevealed: phone(reveal: true) emailRevealed: email(reveal: true)
"""
ACCOUNT = f"""
  __typename id kind status displayName {SENSITIVE}
  profile {{ bio needs }} security {{ hasPassword phoneBound emailBound }}
  identities {{ provider openId nickname o2: openId(reveal: true) }}
  verifications {{ realName {{ status realName idNumber r: realName(reveal: true) i: idNumber(reveal: true) }} }}
  bankCards {{ id bankName cardNumber holderName h: holderName(reveal: true) cardType }}
  consents {{ purpose granted restricted needsReconsent history {{ __typename }} }}
  devicePermissions {{ __typename }}
  sessions {{ id current userAgent }}
  dataRequests {{ totalCount edges {{ node {{ id type status details }} }} }}
  loginHistory {{ totalCount }}
  notifications {{ totalCount }}
  ... on SubAccount {{ role permissions phoneProven enterprise {{ id displayName {SENSITIVE} }} }}
  ... on EnterpriseAccount {{ companyName subAccounts(first: 30) {{ totalCount edges {{ node {{
      id status displayName role {SENSITIVE} enterprise {{ id }} }} }} }} }}
"""

SMALL = f"""__typename id status {SENSITIVE} bankCards {{ cardNumber h: holderName(reveal: true) }}
  verifications {{ realName {{ realName idNumber r: realName(reveal: true) }} }}
  ... on SubAccount {{ role enterprise {{ id {SENSITIVE} }} }}"""


async def ask(client: httpx.AsyncClient, token: str | None, ids: list[str]) -> list[Any]:
    out = []
    out.append(await graphql(client, f"{{ viewer {{ account {{ {ACCOUNT} }} }} }}", token=token))
    out.append(
        await graphql(
            client,
            f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Account {{ {SMALL} }} }} }}",
            {"ids": ids},
            token=token,
        )
    )
    for one in ids[:6]:
        out.append(
            await graphql(
                client,
                f'{{ a: account(id: "{one}") {{ {ACCOUNT} }} b: node(id: "{one}") {{ ... on Account {{ id phone email }} }} }}',
                token=token,
            )
        )
    return out


@pytest.mark.parametrize(
    "who", ["individual", "enterprise", "admin", "member", "anonymous", "staff", "business"]
)
async def test_display_and_orm_answer_alike(
    who: str,
    client: httpx.AsyncClient,
    db: AsyncSession,
    services: AuthServices,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed_demo(db, clock())
    await db.flush()
    accounts = list(
        (await db.scalars(select(Account).order_by(Account.created_at, Account.display_name))).all()
    )
    by_name = {a.display_name: a for a in accounts}
    await db.execute(
        update(Account)
        .where(Account.id == by_name["Demo Member 05"].id)
        .values(status=AccountStatus.CANCELLED)
    )
    individual = by_name["Demo Individual"]
    db.add(
        DataRequest(
            account_id=individual.id,
            type=DataRequestType.ACCESS_COPY,
            status=DataRequestStatus.SUBMITTED,
            submitted_at=clock(),
            due_at=clock(),
        )
    )
    staff = (await db.scalars(select(StaffMember))).first()
    await db.commit()
    viewer: dict[str, Any] = {
        "individual": {"account": individual},
        "enterprise": {"account": by_name["Demo Enterprise"]},
        "admin": {"account": by_name["Demo Member 01"]},
        "member": {"account": by_name["Demo Member 10"]},
        "anonymous": None,
        "business": {"account": by_name["Demo Business"]},
        "staff": {"staff": staff},
    }[who]
    token = await sign_in(db, services, clock(), elevated=True, **viewer) if viewer else None

    def gid(a: Account) -> str:
        return to_global_id(
            {
                AccountKind.INDIVIDUAL: "IndividualAccount",
                AccountKind.BUSINESS: "BusinessAccount",
                AccountKind.ENTERPRISE: "EnterpriseAccount",
                AccountKind.SUB_ACCOUNT: "SubAccount",
            }[a.kind],
            a.id,
        )

    ids = [
        gid(by_name[n])
        for n in (
            "Demo Individual",
            "Demo Enterprise",
            "Demo Member 01",
            "Demo Member 05",
            "Demo Member 10",
            "Demo Business",
        )
    ]

    shown = await ask(client, token, ids)
    monkeypatch.setattr(display, "reads_for_display", lambda session: False)
    through_orm = await ask(client, token, ids)
    assert json.dumps(shown, sort_keys=True, indent=1) == json.dumps(
        through_orm, sort_keys=True, indent=1
    )
