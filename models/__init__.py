"""Storage: SQLAlchemy models, the engine and sessions, migrations."""

from models.account import Account, AccountKind, AccountStatus
from models.base import Base
from models.privacy_policy import PrivacyPolicy

__all__ = ["Account", "AccountKind", "AccountStatus", "Base", "PrivacyPolicy"]
