"""The two requests of the throughput benchmark, as the SPA and the back office send them."""

from __future__ import annotations

# The SPA's home screen: the signed-in person's account with everything it shows.
SPA_HOME = """
query SpaHome {
  viewer {
    elevatedUntil
    account {
      __typename id kind status displayName avatarUrl phone email createdAt
      ... on IndividualAccount { birthDate }
      profile { bio industry position companySize needs }
      security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }
      verifications {
        realName { status realName idNumber submittedAt verifiedAt rejectionReason }
        student {
          status realName idNumber school major enrolledOn graduatesOn submittedAt
          verifiedAt rejectionReason
        }
      }
      bankCards { id bankName branch location cardNumber last4 holderName cardType boundAt }
      consents {
        purpose granted separate policyVersion updatedAt restricted restrictedSince
        needsReconsent history { granted policyVersion at }
      }
    }
  }
}
""".strip()

# The back office's sub-account list: a page of ten fields each, its count and position.
PAGE_FIELDS = "id kind status displayName phone email role permissions lastLoginAt createdAt"
BACK_OFFICE_PAGE = f"""
query SubAccountsPage($first: Int!, $after: String) {{
  viewer {{
    account {{
      ... on EnterpriseAccount {{
        subAccounts(first: $first, after: $after) {{
          totalCount
          pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
          edges {{ cursor node {{ {PAGE_FIELDS} }} }}
        }}
      }}
    }}
  }}
}}
""".strip()
