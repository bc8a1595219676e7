"""Requests under the person's rights, answered within 15 days."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey, unique_where
from models.encryption import Encrypted

ANSWER_WITHIN = timedelta(days=15)


class DataRequestType(StrEnum):
    ACCESS_COPY = "ACCESS_COPY"
    CORRECTION = "CORRECTION"
    DELETION = "DELETION"
    CONSENT_CHANGE = "CONSENT_CHANGE"
    PORTABILITY = "PORTABILITY"
    EXPLANATION = "EXPLANATION"
    RESTRICTION = "RESTRICTION"
    COMPLAINT = "COMPLAINT"
    CANCELLATION = "CANCELLATION"


class RequestOrigin(StrEnum):
    """Who filed the request: the account itself, or someone proven by a contact code."""

    ACCOUNT = "ACCOUNT"
    VERIFIED_CONTACT = "VERIFIED_CONTACT"


class RequesterRelation(StrEnum):
    """Why someone other than a signed-in account may file a request."""

    GUARDIAN = "GUARDIAN"  # of a minor
    CLOSE_RELATIVE = "CLOSE_RELATIVE"  # of a deceased person
    CONTACT_HOLDER = "CONTACT_HOLDER"  # a person with a phone or e-mail but no account


class DataRequestStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    FULFILLED = "FULFILLED"
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"


OPEN_STATUSES = (DataRequestStatus.SUBMITTED, DataRequestStatus.IN_PROGRESS)


class DeletionGround(StrEnum):
    UNLAWFUL_PROCESSING = "UNLAWFUL_PROCESSING"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    AGREEMENT_VIOLATED = "AGREEMENT_VIOLATED"
    PURPOSE_ACHIEVED = "PURPOSE_ACHIEVED"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    SERVICE_ENDED = "SERVICE_ENDED"
    OTHER_LEGAL = "OTHER_LEGAL"


class RefusalReason(StrEnum):
    """The exceptions under which the privacy policy allows refusing a request."""

    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"
    NATIONAL_SECURITY = "NATIONAL_SECURITY"
    PUBLIC_INTEREST = "PUBLIC_INTEREST"
    CRIMINAL_INVESTIGATION = "CRIMINAL_INVESTIGATION"
    ABUSE_OF_RIGHTS = "ABUSE_OF_RIGHTS"
    PROTECT_LIFE_PROPERTY = "PROTECT_LIFE_PROPERTY"
    HARM_TO_OTHERS = "HARM_TO_OTHERS"
    TRADE_SECRET = "TRADE_SECRET"  # noqa: S105 (a refusal reason, not a secret)


class DataRequest(UUIDPrimaryKey, Base):
    __tablename__ = "data_requests"
    __table_args__ = (
        Index("ix_data_requests_account_submitted", "account_id", "submitted_at", "id"),
        # The staff queue: open requests, oldest due first.
        Index("ix_data_requests_status_due", "status", "due_at", "id"),
        # One open request per type and account. Requests filed for the account by others
        # do not count: they must not tell anyone whether the account exists.
        unique_where(
            "uq_data_requests_open_type",
            "account_id",
            "type",
            where="status IN ('SUBMITTED', 'IN_PROGRESS') AND origin = 'ACCOUNT'",
        ),
    )

    # The account the request concerns; none for a verified request that names none.
    account_id: Mapped[uuid.UUID | None] = account_reference()
    origin: Mapped[RequestOrigin] = mapped_column(
        enum_column(RequestOrigin, "request_origin"),
        default=RequestOrigin.ACCOUNT,
        server_default=RequestOrigin.ACCOUNT.value,
    )
    type: Mapped[DataRequestType] = mapped_column(enum_column(DataRequestType, "data_request_type"))
    status: Mapped[DataRequestStatus] = mapped_column(
        enum_column(DataRequestStatus, "data_request_status")
    )
    details_sealed: Mapped[bytes | None] = mapped_column("details", LargeBinary)
    details = Encrypted("details_sealed")
    deletion_ground: Mapped[DeletionGround | None] = mapped_column(
        enum_column(DeletionGround, "deletion_ground")
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(String(2000))
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(
        enum_column(RefusalReason, "refusal_reason")
    )
    # Inventory categories a DELETION names (erased when it is fulfilled), purposes a
    # RESTRICTION names (restricted when it is fulfilled).
    categories: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # What staff changed to fulfil a CORRECTION.
    correction_sealed: Mapped[bytes | None] = mapped_column("correction", LargeBinary)
    correction = Encrypted("correction_sealed")
    # The staff member who last moved the request on.
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DataRequestRequester(UUIDPrimaryKey, Base):
    """Who filed a verified request, proven by a code sent to their phone or e-mail."""

    __tablename__ = "data_request_requesters"

    data_request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_requests.id", ondelete="CASCADE"), unique=True
    )
    relation: Mapped[RequesterRelation] = mapped_column(
        enum_column(RequesterRelation, "requester_relation")
    )
    name_sealed: Mapped[bytes] = mapped_column("name", LargeBinary)
    name = Encrypted("name_sealed")
    phone_sealed: Mapped[bytes | None] = mapped_column("phone", LargeBinary)
    phone = Encrypted("phone_sealed")
    email_sealed: Mapped[bytes | None] = mapped_column("email", LargeBinary)
    email = Encrypted("email_sealed")
    # The person the request concerns, as the requester names them.
    subject_name_sealed: Mapped[bytes | None] = mapped_column("subject_name", LargeBinary)
    subject_name = Encrypted("subject_name_sealed")
    subject_contact_sealed: Mapped[bytes | None] = mapped_column("subject_contact", LargeBinary)
    subject_contact = Encrypted("subject_contact_sealed")
    # Where the supporting documents are (a reference, not the documents).
    evidence_sealed: Mapped[bytes | None] = mapped_column("evidence", LargeBinary)
    evidence = Encrypted("evidence_sealed")
    proven_at: Mapped[datetime] = mapped_column(UTCDateTime())
