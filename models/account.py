"""Accounts of every kind in one table: individuals, businesses, enterprises, sub-accounts."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class AccountKind(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"
    ENTERPRISE = "ENTERPRISE"
    SUB_ACCOUNT = "SUB_ACCOUNT"


class SubAccountRole(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class EnterprisePermission(StrEnum):
    MANAGE_SUB_ACCOUNTS = "MANAGE_SUB_ACCOUNTS"
    VIEW_SUB_ACCOUNTS = "VIEW_SUB_ACCOUNTS"
    MANAGE_BILLING = "MANAGE_BILLING"
    MANAGE_PROJECTS = "MANAGE_PROJECTS"
    VIEW_ORDERS = "VIEW_ORDERS"


class AccountStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PENDING_GUARDIAN_CONSENT = "PENDING_GUARDIAN_CONSENT"
    DISABLED = "DISABLED"
    CANCELLED = "CANCELLED"


def account_reference(
    *, index: bool | None = None, unique: bool | None = None
) -> MappedColumn[Any]:
    """A column naming the account a row belongs to: the row goes when the account does."""
    return mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=index, unique=unique)


def enum_column(enum_class: type[StrEnum], name: str) -> Enum:
    # Stored as VARCHAR with a CHECK constraint: adding a value needs no type migration.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Account(UUIDPrimaryKey, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # Keyset pagination of an enterprise's sub-accounts, newest first, with and
        # without a status filter: every page is one range scan of these.
        Index("ix_accounts_enterprise_created", "enterprise_id", "created_at", "id"),
        Index(
            "ix_accounts_enterprise_status_created", "enterprise_id", "status", "created_at", "id"
        ),
        # totalCount of a list of sub-accounts: every column its conditions name, so that
        # PostgreSQL counts from the index alone (an index-only scan) however long it is.
        Index("ix_accounts_enterprise_kind_status", "enterprise_id", "kind", "status"),
    )

    kind: Mapped[AccountKind] = mapped_column(enum_column(AccountKind, "account_kind"))
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus, "account_status"), default=AccountStatus.ACTIVE
    )
    display_name: Mapped[str] = mapped_column(String(60))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Kind-specific columns; null where the kind has none.
    birth_date: Mapped[date | None] = mapped_column(Date)
    business_name: Mapped[str | None] = mapped_column(String(200))
    ur_token: Mapped[str | None] = mapped_column(String(64))
    company_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_id: Mapped[uuid.UUID | None] = account_reference()
    # Sub-accounts: their role and what they may do for the enterprise.
    role: Mapped[SubAccountRole | None] = mapped_column(
        enum_column(SubAccountRole, "sub_account_role")
    )
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    # Sign-in data. Phone (E.164) and e-mail are sealed; their blind indexes keep each
    # bound to one live account and serve exact look-ups.
    phone_sealed: Mapped[bytes | None] = mapped_column("phone", LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    phone = Encrypted("phone_sealed", index="phone_index")
    email_sealed: Mapped[bytes | None] = mapped_column("email", LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    email = Encrypted("email_sealed", index="email_index", normalize=str.lower)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Contacts someone else typed for the account (a manager, for a sub-account): never
    # a sign-in identifier and never unique, until their holder proves them (an e-mail
    # token, a BIND_PHONE code), which moves them to `phone`/`email` above. Their blind
    # indexes serve the back office's exact-match filters only.
    unproven_phone_sealed: Mapped[bytes | None] = mapped_column("unproven_phone", LargeBinary)
    unproven_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    unproven_phone = Encrypted("unproven_phone_sealed", index="unproven_phone_index")
    unproven_email_sealed: Mapped[bytes | None] = mapped_column("unproven_email", LargeBinary)
    unproven_email_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    unproven_email = Encrypted(
        "unproven_email_sealed", index="unproven_email_index", normalize=str.lower
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when someone else chose the password (a manager, for a sub-account): the holder
    # is asked to change it at the next sign-in, and changing it clears this.
    password_set_by_other: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    accepted_policy_version: Mapped[str | None] = mapped_column(String(32))
    accepted_policy_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The profile: industry positioning and needs, as the privacy policy names them.
    bio: Mapped[str | None] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(100))
    company_size: Mapped[str | None] = mapped_column(String(50))
    needs: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))


def new_display_name() -> str:
    """The name an account has until its holder picks one, and again once it is erased."""
    return f"User {secrets.token_hex(3)}"
