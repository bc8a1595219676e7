"""The enterprise back office: sub-accounts, roles and permissions."""
