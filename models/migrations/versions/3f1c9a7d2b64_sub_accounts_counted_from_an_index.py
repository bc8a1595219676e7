"""sub-accounts counted from an index

totalCount of an enterprise's sub-accounts names the enterprise, the kind and the status:
with all three in one index PostgreSQL counts from it alone instead of reading the table.

Revision ID: 3f1c9a7d2b64
Revises: ef4aad9b53fe
Create Date: 2026-12-07 10:45:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '3f1c9a7d2b64'
down_revision: Union[str, Sequence[str], None] = 'ef4aad9b53fe'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index('ix_accounts_enterprise_kind_status', ['enterprise_id', 'kind', 'status'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_enterprise_kind_status')
