"""A viewer's relation to a sub-account is found afresh after each root mutation field:
one that deletes the sub-account leaves nothing of it to the fields after it."""

from __future__ import annotations

from tests.resolvers.enterprise.helpers import (
    NOT_FOUND,
    Caller,
    masked_email,
    masked_phone,
    sub_account_phone,
)

READ_DELETE_READ = """
mutation($id: ID!) {
  before: setSubAccountStatus(input: {id: $id, status: ACTIVE}) {
    subAccount { id status phone email displayName } userErrors { field code message }
  }
  delete: deleteSubAccount(input: {id: $id}) { ok userErrors { field code message } }
  after: setSubAccountStatus(input: {id: $id, status: ACTIVE}) {
    subAccount { id status phone email displayName } userErrors { field code message }
  }
  profile: updateProfile(input: {}) {
    account {
      id
      ... on EnterpriseAccount {
        subAccounts { totalCount edges { node { id status phone displayName } } }
      }
    }
    userErrors { field code message }
  }
}
"""


async def test_a_sub_account_deleted_by_an_earlier_root_field_is_gone_from_later_ones(
    owner: Caller, admin: Caller, member: Caller
) -> None:
    assert member.row.email is not None
    body = await owner(READ_DELETE_READ, id=member.id)

    assert body == {
        "data": {
            "before": {
                "subAccount": {
                    "id": member.id,
                    "status": "ACTIVE",
                    "phone": masked_phone(sub_account_phone(2)),
                    "email": masked_email(member.row.email),
                    "displayName": "Mia Member",
                },
                "userErrors": [],
            },
            "delete": {"ok": True, "userErrors": []},
            "after": {"subAccount": None, "userErrors": [NOT_FOUND]},
            "profile": {
                "account": {
                    "id": owner.id,
                    "subAccounts": {
                        "totalCount": 1,
                        "edges": [
                            {
                                "node": {
                                    "id": admin.id,
                                    "status": "ACTIVE",
                                    "phone": masked_phone(sub_account_phone(1)),
                                    "displayName": "Ada Admin",
                                }
                            }
                        ],
                    },
                },
                "userErrors": [],
            },
        }
    }
