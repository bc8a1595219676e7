"""Storage: SQLAlchemy models, the engine and sessions, migrations."""

from models.access_log import AccessLogEntry, ActorKind
from models.account import (
    Account,
    AccountKind,
    AccountStatus,
    EnterprisePermission,
    SubAccountRole,
)
from models.auth_session import AuthSession
from models.bank_card import BankCard, BankCardType
from models.base import Base
from models.consent import SEPARATE_CONSENT_PURPOSES, Consent, ConsentEvent, ConsentPurpose
from models.data_request import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    DataRequest,
    DataRequestRequester,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    RefusalReason,
    RequesterRelation,
    RequestOrigin,
)
from models.device_permission import DevicePermission, DevicePermissionEvent, DevicePermissionKind
from models.email_confirmation import EmailConfirmation
from models.guardian_consent import GuardianConsent
from models.identity import IdentityProvider, ThirdPartyIdentity
from models.incident_notice import (
    IncidentDelivery,
    IncidentRecipient,
    NoticeChannel,
    NoticeDeliveryStatus,
)
from models.login_event import LoginEvent, LoginMethod
from models.notification import Notification, NotificationKind
from models.oauth_state import OAuthState
from models.privacy_event import PrivacyEvent
from models.privacy_policy import PrivacyPolicy
from models.queued_message import DeliveryStatus, MessageChannel, QueuedMessage
from models.restriction import ProcessingRestriction
from models.retained_log import RetainedKind, RetainedLog
from models.search_entry import SearchEntry
from models.security_incident import SecurityIncident
from models.sensitive import SensitiveKind
from models.service_credential import ServiceCredential
from models.sms_code import SmsCode, SmsPurpose
from models.staff import StaffMember, StaffRole
from models.verification import RealNameVerification, StudentVerification, VerificationStatus

__all__ = [
    "ANSWER_WITHIN",
    "OPEN_STATUSES",
    "DataRequest",
    "DataRequestRequester",
    "DeliveryStatus",
    "MessageChannel",
    "QueuedMessage",
    "RequesterRelation",
    "RequestOrigin",
    "DataRequestStatus",
    "DataRequestType",
    "DeletionGround",
    "RefusalReason",
    "AccessLogEntry",
    "ActorKind",
    "Account",
    "AccountKind",
    "AccountStatus",
    "AuthSession",
    "BankCard",
    "BankCardType",
    "Consent",
    "ConsentEvent",
    "ConsentPurpose",
    "DevicePermission",
    "DevicePermissionEvent",
    "DevicePermissionKind",
    "EmailConfirmation",
    "EnterprisePermission",
    "Base",
    "GuardianConsent",
    "IdentityProvider",
    "IncidentDelivery",
    "IncidentRecipient",
    "NoticeChannel",
    "NoticeDeliveryStatus",
    "LoginEvent",
    "LoginMethod",
    "Notification",
    "NotificationKind",
    "OAuthState",
    "PrivacyEvent",
    "PrivacyPolicy",
    "ProcessingRestriction",
    "RetainedKind",
    "RetainedLog",
    "RealNameVerification",
    "SEPARATE_CONSENT_PURPOSES",
    "SearchEntry",
    "SecurityIncident",
    "SensitiveKind",
    "ServiceCredential",
    "SmsCode",
    "SmsPurpose",
    "StaffMember",
    "StaffRole",
    "StudentVerification",
    "SubAccountRole",
    "ThirdPartyIdentity",
    "VerificationStatus",
]
