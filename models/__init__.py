"""Storage: SQLAlchemy models, the engine and sessions, migrations."""

from models.access_log import AccessLogEntry, ActorKind
from models.account import Account, AccountKind, AccountStatus
from models.auth_session import AuthSession
from models.base import Base
from models.identity import IdentityProvider, ThirdPartyIdentity
from models.login_event import LoginEvent, LoginMethod
from models.oauth_state import OAuthState
from models.privacy_policy import PrivacyPolicy
from models.sensitive import SensitiveKind
from models.sms_code import SmsCode, SmsPurpose
from models.staff import StaffMember, StaffRole

__all__ = [
    "AccessLogEntry",
    "ActorKind",
    "Account",
    "AccountKind",
    "AccountStatus",
    "AuthSession",
    "Base",
    "IdentityProvider",
    "LoginEvent",
    "LoginMethod",
    "OAuthState",
    "PrivacyPolicy",
    "SensitiveKind",
    "SmsCode",
    "SmsPurpose",
    "StaffMember",
    "StaffRole",
    "ThirdPartyIdentity",
]
