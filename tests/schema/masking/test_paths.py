"""The mask holds on every way a sensitive field can be asked for.

Aliases, fragments, variables, `node(id:)`, `viewer`, `account(id:)`, connections,
nested objects and mutation payloads all pass the same enforcement point.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    AccountKind,
    DataRequestStatus,
    EnterprisePermission,
    LoginEvent,
    LoginMethod,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.schema.masking.helpers import (
    ACCESS_LOG_QUERY,
    ACCOUNT_TYPES,
    PASSWORD,
    STAFF_NAME,
    access_log_count,
    add_personal_rows,
    clear,
    create_data_request,
    create_subject,
    enterprise_and_member,
    masked,
    refusal,
)
from tests.support.api import Api
from tests.support.assertions import without_locations
from tests.support.factories import create_member
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import sign_in

PHONE = clear("IndividualAccount", "phone")
MASKED_PHONE = masked("IndividualAccount", "phone")
EMAIL = clear("IndividualAccount", "email")
MASKED_EMAIL = masked("IndividualAccount", "email")
MASKED_CONTACTS = {"phone": MASKED_PHONE, "email": MASKED_EMAIL}


async def individual(db: AsyncSession, clock: Clock) -> Account:
    account = await create_subject(db, AccountKind.INDIVIDUAL, clock(), with_password=True)
    await add_personal_rows(db, account, clock())
    return account


async def both_sessions(api: Api, account: Account) -> tuple[str, str]:
    """The access tokens of two new sessions of the account: plain, and stepped up."""
    return await api.sign_in(account=account), await api.sign_in(account=account, elevated=True)


async def test_two_aliases_of_phone_are_masked_and_revealed_each_on_its_own(api: Api) -> None:
    account = await individual(api.db, api.clock)
    plain, elevated = await both_sessions(api, account)
    query = "{ viewer { account { a: phone b: phone(reveal: true) c: phone(reveal: false) } } }"

    without_step_up = await graphql(api.client, query, token=plain)
    with_step_up = await graphql(api.client, query, token=elevated)

    assert without_locations(without_step_up) == {
        "data": {"viewer": {"account": {"a": MASKED_PHONE, "b": None, "c": MASKED_PHONE}}},
        "errors": [refusal("STEP_UP_REQUIRED", ["viewer", "account", "b"])],
    }
    assert with_step_up == {
        "data": {"viewer": {"account": {"a": MASKED_PHONE, "b": PHONE, "c": MASKED_PHONE}}}
    }
    assert await access_log_count(api.db, account) == 1


async def test_reveal_given_by_a_variable_or_its_default_counts_as_reveal(api: Api) -> None:
    account = await individual(api.db, api.clock)
    plain, elevated = await both_sessions(api, account)
    by_variable = "query($r: Boolean!) { viewer { account { phone(reveal: $r) } } }"
    by_default = "query($r: Boolean! = true) { viewer { account { phone(reveal: $r) } } }"

    assert await graphql(api.client, by_variable, {"r": False}, token=elevated) == {
        "data": {"viewer": {"account": {"phone": MASKED_PHONE}}}
    }
    assert without_locations(await graphql(api.client, by_default, token=plain)) == {
        "data": {"viewer": {"account": {"phone": None}}},
        "errors": [refusal("STEP_UP_REQUIRED", ["viewer", "account", "phone"])],
    }
    assert await graphql(api.client, by_variable, {"r": True}, token=elevated) == {
        "data": {"viewer": {"account": {"phone": PHONE}}}
    }
    assert await graphql(api.client, by_default, token=elevated) == {
        "data": {"viewer": {"account": {"phone": PHONE}}}
    }
    assert await access_log_count(api.db, account) == 2


async def test_inline_fragments_with_and_without_a_type_condition(api: Api) -> None:
    account = await individual(api.db, api.clock)
    plain = await api.sign_in(account=account)
    query = """
    query($id: ID!) {
      node(id: $id) {
        ... on Account { phone }
        ... on IndividualAccount { email revealed: email(reveal: true) }
        ... { ... on Account { p: phone } }
        ... on BusinessAccount { businessName }
      }
    }
    """

    body = await graphql(api.client, query, {"id": global_id(account)}, token=plain)

    assert without_locations(body) == {
        "data": {
            "node": {
                **MASKED_CONTACTS,
                "revealed": None,
                "p": MASKED_PHONE,
            }
        },
        "errors": [refusal("STEP_UP_REQUIRED", ["node", "revealed"])],
    }


FRAGMENTS = """
fragment OnAccount on Account { phone email }
fragment OnIndividual on IndividualAccount { i: phone(reveal: true) }
fragment OnBusiness on BusinessAccount { b: phone(reveal: true) }
fragment OnEnterprise on EnterpriseAccount { e: phone(reveal: true) }
fragment OnSubAccount on SubAccount { s: phone(reveal: true) }
"""
SPREADS = "...OnAccount ...OnIndividual ...OnBusiness ...OnEnterprise ...OnSubAccount"
REVEAL_ALIAS = {
    AccountKind.INDIVIDUAL: "i",
    AccountKind.BUSINESS: "b",
    AccountKind.ENTERPRISE: "e",
    AccountKind.SUB_ACCOUNT: "s",
}


async def test_named_fragments_on_the_interface_and_on_each_account_type(api: Api) -> None:
    enterprise = await create_subject(api.db, AccountKind.ENTERPRISE, api.clock())
    accounts = [
        await create_subject(api.db, AccountKind.INDIVIDUAL, api.clock()),
        await create_subject(api.db, AccountKind.BUSINESS, api.clock()),
        enterprise,
        await create_subject(api.db, AccountKind.SUB_ACCOUNT, api.clock(), enterprise=enterprise),
    ]
    staff = await api.sign_in(staff=await create_staff(api.db, api.clock()))
    viewer_query = f"{{ viewer {{ account {{ {SPREADS} }} }} }}{FRAGMENTS}"
    staff_query = f"query($id: ID!) {{ account(id: $id) {{ {SPREADS} }} }}{FRAGMENTS}"

    for account in accounts:
        type_name = ACCOUNT_TYPES[account.kind]
        alias = REVEAL_ALIAS[account.kind]
        plain, elevated = await both_sessions(api, account)
        shown = {"phone": masked(type_name, "phone"), "email": masked(type_name, "email")}

        refused = await graphql(api.client, viewer_query, token=plain)
        revealed = await graphql(api.client, viewer_query, token=elevated)
        as_staff = await graphql(api.client, staff_query, {"id": global_id(account)}, token=staff)

        assert without_locations(refused) == {
            "data": {"viewer": {"account": {**shown, alias: None}}},
            "errors": [refusal("STEP_UP_REQUIRED", ["viewer", "account", alias])],
        }, type_name
        assert revealed == {
            "data": {"viewer": {"account": {**shown, alias: clear(type_name, "phone")}}}
        }, type_name
        # Staff work no request of the account: its personal fields are closed to them.
        assert as_staff["data"] == {"account": {"phone": None, "email": None, alias: None}}
        assert sorted(
            (error["path"] for error in without_locations(as_staff)["errors"]), key=str
        ) == sorted([["account", alias], ["account", "email"], ["account", "phone"]], key=str), (
            type_name
        )
        assert await access_log_count(api.db, account) == 1, type_name


async def test_login_history_is_masked_on_every_edge_and_each_clear_value_is_logged(
    api: Api,
) -> None:
    account = await create_subject(api.db, AccountKind.INDIVIDUAL, api.clock())
    addresses = ["203.0.113.7", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "::ffff:198.51.100.23"]
    for address in addresses:
        api.clock.advance(seconds=1)
        event = LoginEvent(
            account_id=account.id, created_at=api.clock(), method=LoginMethod.SMS_CODE, success=True
        )
        event.ip_address = address
        api.db.add(event)
    await api.db.flush()
    plain, elevated = await both_sessions(api, account)
    query = """
    query($after: String) {
      viewer { account { loginHistory(first: 2, after: $after) {
        edges { node { ipAddress clear: ipAddress(reveal: true) } }
        pageInfo { endCursor }
      } } }
    }
    """

    refused = await graphql(api.client, query, token=plain)
    first = await graphql(api.client, query, token=elevated)
    cursor = first["data"]["viewer"]["account"]["loginHistory"]["pageInfo"]["endCursor"]
    second = await graphql(api.client, query, {"after": cursor}, token=elevated)

    history = ["viewer", "account", "loginHistory", "edges"]
    assert without_locations(refused)["errors"] == [
        refusal("STEP_UP_REQUIRED", [*history, 0, "node", "clear"]),
        refusal("STEP_UP_REQUIRED", [*history, 1, "node", "clear"]),
    ]
    assert [
        edge["node"] for edge in refused["data"]["viewer"]["account"]["loginHistory"]["edges"]
    ] == [
        {"ipAddress": "198.51.100.*", "clear": None},
        {"ipAddress": "2001:db8:85a3:8d3:*", "clear": None},
    ]
    edges = [
        edge["node"]
        for page in (first, second)
        for edge in page["data"]["viewer"]["account"]["loginHistory"]["edges"]
    ]
    assert edges == [
        {"ipAddress": "198.51.100.*", "clear": "::ffff:198.51.100.23"},
        {"ipAddress": "2001:db8:85a3:8d3:*", "clear": "2001:db8:85a3:8d3:1319:8a2e:370:7348"},
        {"ipAddress": "203.0.113.*", "clear": "203.0.113.7"},
    ]
    assert await access_log_count(api.db, account) == 3


async def test_a_sub_account_reaching_its_enterprise_is_refused_its_contact_data(api: Api) -> None:
    enterprise, member = await enterprise_and_member(api)
    token = await api.sign_in(account=member, elevated=True)
    query = """
    {
      viewer { account { ... on SubAccount {
        phone
        enterprise { companyName phone email revealed: phone(reveal: true) }
      } } }
    }
    """

    body = await graphql(api.client, query, token=token)

    enterprise_path = ["viewer", "account", "enterprise"]
    assert without_locations(body) == {
        "data": {
            "viewer": {
                "account": {
                    "phone": masked("SubAccount", "phone"),
                    "enterprise": {
                        "companyName": "Acme Enterprise Co.",
                        "phone": None,
                        "email": None,
                        "revealed": None,
                    },
                }
            }
        },
        "errors": [
            refusal("FORBIDDEN", [*enterprise_path, "phone"]),
            refusal("FORBIDDEN", [*enterprise_path, "email"]),
            refusal("FORBIDDEN", [*enterprise_path, "revealed"]),
        ],
    }
    assert await access_log_count(api.db, enterprise) == 0


async def test_the_enterprise_reads_its_sub_account_and_itself_through_it(api: Api) -> None:
    enterprise, member = await enterprise_and_member(api)
    token = await api.sign_in(account=enterprise, elevated=True)
    query = """
    query($id: ID!) {
      node(id: $id) { ... on SubAccount {
        phone(reveal: true)
        enterprise { phone email(reveal: true) }
      } }
    }
    """

    body = await graphql(api.client, query, {"id": global_id(member)}, token=token)

    assert body == {
        "data": {
            "node": {
                "phone": clear("SubAccount", "phone"),
                "enterprise": {
                    "phone": masked("EnterpriseAccount", "phone"),
                    "email": clear("EnterpriseAccount", "email"),
                },
            }
        }
    }
    assert await access_log_count(api.db, member) == 1
    assert await access_log_count(api.db, enterprise) == 1


async def test_a_sub_account_without_permissions_reaches_no_other_sub_account(api: Api) -> None:
    enterprise, member = await enterprise_and_member(api)
    # A second sub-account of the same enterprise, holding only an unrelated permission.
    sibling = await create_member(
        api.db, enterprise, "Sibling", [EnterprisePermission.VIEW_ORDERS.value]
    )
    token = await api.sign_in(account=sibling, elevated=True)
    query = "query($id: ID!) { node(id: $id) { ... on SubAccount { phone(reveal: true) } } }"

    body = await graphql(api.client, query, {"id": global_id(member)}, token=token)

    assert body == {"data": {"node": None}}


async def test_a_sub_account_that_views_sub_accounts_reads_them_as_a_manager(api: Api) -> None:
    enterprise, member = await enterprise_and_member(api)
    await add_personal_rows(api.db, member, api.clock())
    viewer = await create_member(
        api.db, enterprise, "Team Lead", [EnterprisePermission.VIEW_SUB_ACCOUNTS.value]
    )
    plain = await api.sign_in(account=viewer)
    elevated = await api.sign_in(account=viewer, elevated=True)
    own = await api.sign_in(account=member)
    query = """
    query($id: ID!) { node(id: $id) { ... on SubAccount {
      phone revealed: phone(reveal: true) identities { openId }
    } } }
    """

    refused = await graphql(api.client, query, {"id": global_id(member)}, token=plain)
    revealed = await graphql(api.client, query, {"id": global_id(member)}, token=elevated)
    log = await graphql(api.client, ACCESS_LOG_QUERY, {"first": 5}, token=own)

    phone = masked("SubAccount", "phone")
    assert without_locations(refused) == {
        "data": {"node": {"phone": phone, "revealed": None, "identities": None}},
        "errors": [
            refusal("STEP_UP_REQUIRED", ["node", "revealed"]),
            refusal("FORBIDDEN", ["node", "identities"]),
        ],
    }
    assert without_locations(revealed) == {
        "data": {
            "node": {"phone": phone, "revealed": clear("SubAccount", "phone"), "identities": None}
        },
        "errors": [refusal("FORBIDDEN", ["node", "identities"])],
    }
    assert [edge["node"] for edge in log["data"]["viewer"]["account"]["accessLog"]["edges"]] == [
        {
            "at": api.clock().isoformat(),
            "actorKind": "ENTERPRISE_MANAGER",
            "actorName": "Team Lead",
            "field": "PHONE",
            "reason": "Enterprise sub-account administration",
        }
    ]


BIND_CARD = """
mutation($input: BindBankCardInput!) {
  bindBankCard(input: $input) {
    bankCard { id last4 cardNumber holderName }
    userErrors { code }
  }
}
"""
CARD_QUERY = """
query($id: ID!) {
  node(id: $id) { ... on BankCard { cardNumber holderName revealed: holderName(reveal: true) } }
}
"""


async def test_a_bank_card_number_is_masked_on_binding_and_through_node(api: Api) -> None:
    enterprise, owner = await enterprise_and_member(api)
    owner_token = await api.sign_in(account=owner, elevated=True)
    manager = await api.sign_in(account=enterprise, elevated=True)
    staff = await sign_in(
        api.db,
        api.services,
        api.clock(),
        staff=await create_staff(api.db, api.clock()),
        elevated=True,
    )
    stranger = await sign_in(
        api.db,
        api.services,
        api.clock(),
        account=await create_subject(api.db, AccountKind.BUSINESS, api.clock()),
    )
    await create_data_request(api.db, owner, api.clock())
    await api.db.commit()
    card = {
        "bankName": "ICBC",
        "branch": "Haidian",
        "location": "Beijing",
        "cardNumber": "6222 0202 0011 2345 679",
        "holderName": "李四",
        "separateConsent": True,
    }

    bound = await graphql(api.client, BIND_CARD, {"input": card}, token=owner_token)
    payload = bound["data"]["bindBankCard"]
    card_id = payload["bankCard"]["id"]
    by_owner = await graphql(api.client, CARD_QUERY, {"id": card_id}, token=owner_token)
    by_staff = await graphql(api.client, CARD_QUERY, {"id": card_id}, token=staff)
    by_manager = await graphql(api.client, CARD_QUERY, {"id": card_id}, token=manager)
    by_stranger = await graphql(api.client, CARD_QUERY, {"id": card_id}, token=stranger)
    missing = to_global_id("BankCard", owner.id)
    by_owner_missing = await graphql(api.client, CARD_QUERY, {"id": missing}, token=owner_token)

    card_number = masked("BankCard", "cardNumber")
    assert payload == {
        "bankCard": {
            "id": card_id,
            "last4": "5679",
            "cardNumber": card_number,
            "holderName": "*四",
        },
        "userErrors": [],
    }
    assert by_owner == {
        "data": {"node": {"cardNumber": card_number, "holderName": "*四", "revealed": "李四"}}
    }
    # Staff working a request of the owner: the number masked even so, the name clear
    # after step-up; each read logged (the owner's reveal, and staff's three).
    assert by_staff == {
        "data": {"node": {"cardNumber": card_number, "holderName": "*四", "revealed": "李四"}}
    }
    assert by_manager == {"data": {"node": None}}
    assert by_stranger == {"data": {"node": None}}
    assert by_owner_missing == {"data": {"node": None}}
    assert await access_log_count(api.db, owner) == 4


async def test_staff_working_a_request_read_any_account_masked_and_reveal_only_stepped_up(
    api: Api,
) -> None:
    account = await individual(api.db, api.clock)
    await create_data_request(api.db, account, api.clock())
    staff = await api.sign_in(staff=await create_staff(api.db, api.clock()))
    own = await api.sign_in(account=account, elevated=True)
    query = """
    query($id: ID!) {
      account(id: $id) {
        phone email
        identities { openId }
        verifications { realName { realName idNumber } student { idNumber } }
        bankCards { cardNumber holderName }
        ... on IndividualAccount { guardianConsent { guardianName guardianPhone } }
        loginHistory { edges { node { ipAddress } } }
        revealed: phone(reveal: true)
      }
    }
    """

    body = await graphql(api.client, query, {"id": global_id(account)}, token=staff)
    by_itself = await graphql(api.client, query, {"id": global_id(account)}, token=own)

    assert without_locations(body) == {
        "data": {
            "account": {
                **MASKED_CONTACTS,
                "identities": [{"openId": masked("ThirdPartyIdentity", "openId")}],
                "verifications": {
                    "realName": {
                        "realName": masked("RealNameVerification", "realName"),
                        "idNumber": masked("RealNameVerification", "idNumber"),
                    },
                    "student": {"idNumber": masked("StudentVerification", "idNumber")},
                },
                "bankCards": [
                    {
                        "cardNumber": masked("BankCard", "cardNumber"),
                        "holderName": masked("BankCard", "holderName"),
                    }
                ],
                "guardianConsent": {
                    "guardianName": masked("GuardianConsent", "guardianName"),
                    "guardianPhone": masked("GuardianConsent", "guardianPhone"),
                },
                "loginHistory": {
                    "edges": [{"node": {"ipAddress": masked("LoginEvent", "ipAddress")}}]
                },
                "revealed": None,
            }
        },
        "errors": [refusal("STEP_UP_REQUIRED", ["account", "revealed"])],
    }
    # account(id:) is for staff: the account itself gets null, as for a missing one.
    assert by_itself == {"data": {"account": None}}
    # One entry per kind read masked: phone, e-mail, OpenID, name, ID number, card, IP.
    assert await access_log_count(api.db, account) == 7


STAFF_REVEAL = """
query($id: ID!) { account(id: $id) { phone(reveal: true) verifications { realName {
  idNumber(reveal: true)
} } } }
"""


async def test_staff_reveal_only_while_that_account_has_a_data_request_open(api: Api) -> None:
    account = await individual(api.db, api.clock)
    other = await create_subject(api.db, AccountKind.BUSINESS, api.clock())
    await create_data_request(api.db, other, api.clock())
    await create_data_request(api.db, account, api.clock(), status=DataRequestStatus.REFUSED)
    staff_member = await create_staff(api.db, api.clock())
    plain = await api.sign_in(staff=staff_member)
    elevated = await api.sign_in(staff=staff_member, elevated=True)
    own = await api.sign_in(account=account)
    variables = {"id": global_id(account)}

    def refused(code: str) -> dict[str, Any]:
        return {
            "data": {"account": {"phone": None, "verifications": {"realName": {"idNumber": None}}}},
            "errors": [
                refusal(code, ["account", "phone"]),
                refusal(code, ["account", "verifications", "realName", "idNumber"]),
            ],
        }

    without_request = await graphql(api.client, STAFF_REVEAL, variables, token=elevated)
    request_id = await create_data_request(
        api.db, account, api.clock(), status=DataRequestStatus.IN_PROGRESS
    )
    await api.db.commit()
    without_step_up = await graphql(api.client, STAFF_REVEAL, variables, token=plain)
    with_step_up = await graphql(api.client, STAFF_REVEAL, variables, token=elevated)
    log = await graphql(api.client, ACCESS_LOG_QUERY, {"first": 5}, token=own)

    assert without_locations(without_request) == refused("FORBIDDEN")
    assert without_locations(without_step_up) == refused("STEP_UP_REQUIRED")
    assert with_step_up == {
        "data": {
            "account": {
                "phone": PHONE,
                "verifications": {
                    "realName": {"idNumber": clear("RealNameVerification", "idNumber")}
                },
            }
        }
    }
    entries = [edge["node"] for edge in log["data"]["viewer"]["account"]["accessLog"]["edges"]]
    assert sorted(entries, key=lambda entry: entry["field"]) == [
        {
            "at": api.clock().isoformat(),
            "actorKind": "STAFF",
            "actorName": STAFF_NAME,
            "field": field,
            "reason": request_id,
        }
        for field in ("ID_NUMBER", "PHONE")
    ]


async def test_a_mutation_payload_masks_the_account_it_returns(api: Api) -> None:
    account = await individual(api.db, api.clock)
    token = await api.sign_in(account=account)
    mutation = """
    mutation {
      updateProfile(input: { bio: "Designer" }) {
        account { phone revealed: phone(reveal: true) profile { bio } }
        userErrors { code }
      }
    }
    """

    body = await graphql(api.client, mutation, token=token)

    assert without_locations(body) == {
        "data": {
            "updateProfile": {
                "account": {
                    "phone": MASKED_PHONE,
                    "revealed": None,
                    "profile": {"bio": "Designer"},
                },
                "userErrors": [],
            }
        },
        "errors": [refusal("STEP_UP_REQUIRED", ["updateProfile", "account", "revealed"])],
    }


ELEVATE = """
mutation($password: String!) {
  elevateSession(input: { password: $password }) { elevatedUntil userErrors { code } }
}
"""
REVEAL_PHONE = "{ viewer { account { phone(reveal: true) } } }"


async def test_step_up_over_http_reveals_for_that_session_alone_and_for_five_minutes(
    api: Api,
) -> None:
    account = await individual(api.db, api.clock)
    token = await api.sign_in(account=account)
    other_session = await api.sign_in(account=account)
    step_up_required = {
        "data": {"viewer": {"account": {"phone": None}}},
        "errors": [refusal("STEP_UP_REQUIRED", ["viewer", "account", "phone"])],
    }
    revealed = {"data": {"viewer": {"account": {"phone": PHONE}}}}

    before = await graphql(api.client, REVEAL_PHONE, token=token)
    elevated = await graphql(api.client, ELEVATE, {"password": PASSWORD}, token=token)
    after = await graphql(api.client, REVEAL_PHONE, token=token)
    in_other_session = await graphql(api.client, REVEAL_PHONE, token=other_session)
    api.clock.advance(minutes=4, seconds=59)
    last_moment = await graphql(api.client, REVEAL_PHONE, token=token)
    api.clock.advance(seconds=1)
    expired = await graphql(api.client, REVEAL_PHONE, token=token)

    assert elevated["data"]["elevateSession"]["userErrors"] == []
    assert without_locations(before) == step_up_required
    assert after == revealed
    assert without_locations(in_other_session) == step_up_required
    assert last_moment == revealed
    assert without_locations(expired) == step_up_required
    assert await access_log_count(api.db, account) == 2


async def test_a_query_over_get_is_masked_and_logged_as_over_post(api: Api) -> None:
    account = await individual(api.db, api.clock)
    plain, elevated = await both_sessions(api, account)
    query = "{ viewer { account { phone email(reveal: true) } } }"

    def get(token: str) -> Any:
        return api.client.get(
            "/graphql", params={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )

    refused = await get(plain)
    revealed = await get(elevated)
    log = await graphql(api.client, ACCESS_LOG_QUERY, {"first": 5}, token=plain)

    assert refused.status_code == 200
    assert without_locations(refused.json()) == {
        "data": {"viewer": {"account": {"phone": MASKED_PHONE, "email": None}}},
        "errors": [refusal("STEP_UP_REQUIRED", ["viewer", "account", "email"])],
    }
    assert revealed.json() == {
        "data": {"viewer": {"account": {"phone": MASKED_PHONE, "email": EMAIL}}}
    }
    entries = log["data"]["viewer"]["account"]["accessLog"]["edges"]
    assert [edge["node"]["field"] for edge in entries] == ["EMAIL"]
