"""The baseline of the throughput benchmark: Starlette and asyncpg, nothing in between.

It answers the benchmark's two documents (bench/documents.py) and nothing else, with
what the gateway does for them written out by hand: the same access-token check and
session and account rows, the gateway's own SQL statements (see `--show-sql` of
bench/throughput.py), decryption with the same keys, the same masking decisions and
formats, the same global IDs and cursors, and JSON encoded as the gateway encodes it.
bench/throughput.py checks on every run that its answers equal the gateway's byte for
byte, so that it cannot drift from what it stands for.

Served by uvicorn: `python -m uvicorn bench.raw:app_from_environment --factory`, with
the gateway's GATEWAY_* environment.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.policy import Decision, decide
from auth.relations import Relation
from auth.senders import Outbox
from auth.sessions import LAST_USED_RESOLUTION, LIVE_STATUSES, PEOPLE, STAFF
from auth.tokens import InvalidToken, TokenIssuer
from bench.documents import BACK_OFFICE_PAGE, SPA_HOME
from gateway.services import build_services, configure_encryption
from gateway.settings import load_settings
from models import SEPARATE_CONSENT_PURPOSES, ConsentPurpose, SensitiveKind, encryption
from models.pagination import KeysetPosition
from resolvers.global_id import to_global_id
from resolvers.masking.formats import WITHHELD, mask
from resolvers.pagination import decode_cursor, encode_cursor

TOUCH_SQL = "UPDATE auth_sessions SET last_used_at=$1::TIMESTAMP WITH TIME ZONE WHERE auth_sessions.id = $2::UUID"
ACCOUNT_COLUMNS = (
    "accounts.kind, accounts.status, accounts.display_name, accounts.avatar_url, "
    "accounts.created_at, accounts.birth_date, accounts.business_name, accounts.ur_token, "
    "accounts.company_name, accounts.enterprise_id, accounts.role, accounts.permissions, "
    "accounts.phone, accounts.phone_index, accounts.email, accounts.email_index, "
    "accounts.email_verified_at, accounts.unproven_phone, accounts.unproven_phone_index, "
    "accounts.unproven_email, accounts.unproven_email_index, accounts.password_hash, "
    "accounts.password_changed_at, accounts.password_set_by_other, "
    "accounts.accepted_policy_version, accounts.accepted_policy_at, accounts.last_login_at, "
    "accounts.bio, accounts.industry, accounts.position, accounts.company_size, "
    "accounts.needs, accounts.id"
)
_SESSION_COLUMNS = (
    "auth_sessions.account_id, auth_sessions.staff_id, auth_sessions.refresh_secret_hash, "
    "auth_sessions.created_at, auth_sessions.last_used_at, auth_sessions.refresh_expires_at, "
    "auth_sessions.revoked_at, auth_sessions.elevated_until, auth_sessions.user_agent, "
    "auth_sessions.id"
)
# The session and its account in one statement, the account's columns after the
# session's (auth/sessions.py), their clashing names suffixed as SQLAlchemy does.
_JOINED_ACCOUNT_COLUMNS = ACCOUNT_COLUMNS.replace(
    "accounts.created_at,", "accounts.created_at AS created_at_1,"
).replace("accounts.id", "accounts.id AS id_1")
SESSION_SQL = (
    f"SELECT {_SESSION_COLUMNS}, {_JOINED_ACCOUNT_COLUMNS} FROM auth_sessions "  # noqa: S608
    "LEFT OUTER JOIN accounts ON accounts.id = auth_sessions.account_id "
    "WHERE auth_sessions.id = $1::UUID"
)
BANK_CARDS_SQL = (
    "SELECT bank_cards.account_id, bank_cards.bank_name, bank_cards.branch, bank_cards.location, "
    "bank_cards.card_number, bank_cards.card_index, bank_cards.last4, bank_cards.holder_name, "
    "bank_cards.card_type, bank_cards.bound_at, bank_cards.id FROM bank_cards "
    "WHERE bank_cards.account_id IN ($1::UUID) ORDER BY bank_cards.bound_at, bank_cards.id"
)
_CONSENT_COLUMNS = (
    "consents.account_id AS account_id_1, consents.purpose, consents.granted, "
    "consents.policy_version, consents.updated_at, consents.id"
)
_EVENT_COLUMNS = (
    "consent_events.account_id AS account_id_2, consent_events.purpose AS purpose_1, "
    "consent_events.granted AS granted_1, consent_events.policy_version AS policy_version_1, "
    "consent_events.created_at, consent_events.id AS id_1"
)
_RESTRICTION_COLUMNS = (
    "processing_restrictions.account_id AS account_id_3, "
    "processing_restrictions.purpose AS purpose_2, processing_restrictions.data_request_id, "
    "processing_restrictions.created_at AS created_at_1, processing_restrictions.lifted_at, "
    "processing_restrictions.lifted_by_id, processing_restrictions.id AS id_2"
)
_ON_PURPOSE = "{0}.account_id = anon_1.account_id AND {0}.purpose = anon_1.purpose"
# Consents, their events and the restrictions in force in one statement: every
# (account, purpose) one of them names, joined to each (resolvers/loaders.py).
CONSENT_RECORDS_SQL = (
    f"SELECT anon_1.account_id, {_CONSENT_COLUMNS}, {_EVENT_COLUMNS}, "  # noqa: S608
    f"{_RESTRICTION_COLUMNS} FROM ("
    "SELECT consents.account_id AS account_id, consents.purpose AS purpose FROM consents "
    "WHERE consents.account_id IN ($1::UUID) UNION "
    "SELECT consent_events.account_id AS account_id, consent_events.purpose AS purpose "
    "FROM consent_events WHERE consent_events.account_id IN ($2::UUID) UNION "
    "SELECT processing_restrictions.account_id AS account_id, "
    "processing_restrictions.purpose AS purpose FROM processing_restrictions "
    "WHERE processing_restrictions.account_id IN ($3::UUID) "
    "AND processing_restrictions.lifted_at IS NULL) AS anon_1 "
    f"LEFT OUTER JOIN consents ON {_ON_PURPOSE.format('consents')} "
    f"LEFT OUTER JOIN consent_events ON {_ON_PURPOSE.format('consent_events')} "
    "LEFT OUTER JOIN processing_restrictions ON "
    f"{_ON_PURPOSE.format('processing_restrictions')} "
    "AND processing_restrictions.lifted_at IS NULL "
    "ORDER BY consent_events.created_at, consent_events.id"
)
# Both verifications in one statement.
VERIFICATIONS_SQL = (
    "SELECT accounts.id, real_name_verifications.account_id, real_name_verifications.status, "
    "real_name_verifications.real_name, real_name_verifications.id_number, "
    "real_name_verifications.submitted_at, real_name_verifications.verified_at, "
    "real_name_verifications.rejection_reason, real_name_verifications.id AS id_1, "
    "student_verifications.account_id AS account_id_1, student_verifications.status AS status_1, "
    "student_verifications.real_name AS real_name_1, "
    "student_verifications.id_number AS id_number_1, student_verifications.verification_code, "
    "student_verifications.school, student_verifications.major, "
    "student_verifications.enrolled_on, student_verifications.graduates_on, "
    "student_verifications.submitted_at AS submitted_at_1, "
    "student_verifications.verified_at AS verified_at_1, "
    "student_verifications.rejection_reason AS rejection_reason_1, "
    "student_verifications.id AS id_2 FROM accounts "
    "LEFT OUTER JOIN real_name_verifications "
    "ON real_name_verifications.account_id = accounts.id "
    "LEFT OUTER JOIN student_verifications ON student_verifications.account_id = accounts.id "
    "WHERE accounts.id IN ($1::UUID)"
)
POLICIES_SQL = (
    "SELECT privacy_policies.version, privacy_policies.effective_on, "
    "privacy_policies.published_at, privacy_policies.material, "
    "privacy_policies.summary_of_changes, privacy_policies.affected_purposes, "
    "privacy_policies.body, privacy_policies.published_by_id, privacy_policies.id "
    "FROM privacy_policies ORDER BY privacy_policies.effective_on, privacy_policies.published_at"
)
_SUB_ACCOUNTS_WHERE = (
    "accounts.enterprise_id = $1::UUID AND accounts.kind = $2 AND accounts.status != $3"
)
# Constant text only: the statements take their values as parameters.
PAGE_SQL = (
    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {_SUB_ACCOUNTS_WHERE} "  # noqa: S608
    "ORDER BY accounts.created_at DESC, accounts.id DESC LIMIT $4::INTEGER"
)
PAGE_AFTER_SQL = (
    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {_SUB_ACCOUNTS_WHERE} "  # noqa: S608
    "AND (accounts.created_at, accounts.id) < ($4::TIMESTAMP WITH TIME ZONE, $5::UUID) "
    "ORDER BY accounts.created_at DESC, accounts.id DESC LIMIT $6::INTEGER"
)
COUNT_SQL = f"SELECT count(*) AS count_1 FROM accounts WHERE {_SUB_ACCOUNTS_WHERE}"  # noqa: S608
TYPE_NAMES = {
    "INDIVIDUAL": "IndividualAccount",
    "BUSINESS": "BusinessAccount",
    "ENTERPRISE": "EnterpriseAccount",
    "SUB_ACCOUNT": "SubAccount",
}


class Refused(Exception):
    pass


SESSION_NAMES = [column.split(".")[1] for column in _SESSION_COLUMNS.split(", ")]
ACCOUNT_NAMES = [column.split(".")[1] for column in ACCOUNT_COLUMNS.split(", ")]
REAL_NAME_NAMES = [
    "account_id", "status", "real_name", "id_number", "submitted_at", "verified_at",
    "rejection_reason", "id",
]  # fmt: skip
STUDENT_NAMES = [
    "account_id", "status", "real_name", "id_number", "verification_code", "school", "major",
    "enrolled_on", "graduates_on", "submitted_at", "verified_at", "rejection_reason", "id",
]  # fmt: skip
CONSENT_NAMES = ["account_id", "purpose", "granted", "policy_version", "updated_at", "id"]
EVENT_NAMES = ["account_id", "purpose", "granted", "policy_version", "created_at", "id"]
RESTRICTION_NAMES = [
    "account_id", "purpose", "data_request_id", "created_at", "lifted_at", "lifted_by_id", "id",
]  # fmt: skip


def _tables(record: Any, *tables: list[str], skip: int = 0) -> list[dict[str, Any] | None]:
    """The rows of the tables a joined statement read, by their own column names, in
    the order of the statement's columns; None for a table the outer join found empty."""
    values = list(record.values())[skip:]
    found: list[dict[str, Any] | None] = []
    for names in tables:
        row = dict(zip(names, values[: len(names)], strict=True))
        values = values[len(names) :]
        found.append(row if row["id"] is not None else None)
    return found


def _unsealed(table: str, column: str, row: Any, sealed: str | None = None) -> str | None:
    blob = row[sealed or column]
    if blob is None:
        return None
    return encryption.keyring().open(blob, f"{table}.{column}.{row['id']}".encode())


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


class Viewer:
    def __init__(self, session: Any, account: Any) -> None:
        self.session = session
        self.account = account

    def elevated(self, now: datetime) -> bool:
        until = self.session["elevated_until"]
        return until is not None and until > now

    def relation(self, subject: Any) -> Relation:
        if subject["id"] == self.account["id"]:
            return Relation.SELF
        if subject["enterprise_id"] == self.account["id"]:
            return Relation.ENTERPRISE_MANAGER
        return Relation.OTHER

    def shown(
        self, kind: SensitiveKind, subject: Any, clear: str | date | None, now: datetime
    ) -> str | None:
        """The value as the viewer may see it (no `reveal` in these documents)."""
        decision = decide(
            kind,
            self.relation(subject),
            reveal=False,
            elevated=self.elevated(now),
            open_data_request=False,
        )
        if decision in (Decision.FORBIDDEN, Decision.STEP_UP_REQUIRED):
            raise Refused(kind)
        if clear is None:
            return None
        if decision is Decision.OWN:
            return clear.isoformat() if isinstance(clear, date) else clear
        if decision is Decision.MASKED:
            if kind in WITHHELD or not isinstance(clear, str):
                return None
            return mask(kind, clear)
        raise Refused(kind)  # a clear reveal is never asked here


class Baseline:
    def __init__(self, dsn: str, tokens: TokenIssuer) -> None:
        self.dsn = dsn
        self.tokens = tokens
        self.pool: asyncpg.Pool | None = None

    async def _connection_reset(self, connection: asyncpg.Connection) -> None:
        """Nothing to reset: these reads leave no session state behind."""

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=1, max_size=10, reset=self._connection_reset
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def viewer(
        self, connection: asyncpg.Connection, header: str | None, now: datetime
    ) -> Viewer:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken
        claims = self.tokens.verify_access(token.strip(), now)
        found = await connection.fetchrow(SESSION_SQL, claims.session_id)
        if found is None:
            raise InvalidToken
        session, account = _tables(found, SESSION_NAMES, ACCOUNT_NAMES)
        if session is None or session["account_id"] is None:
            raise InvalidToken
        limits = STAFF if session["staff_id"] is not None else PEOPLE
        if not (
            session["revoked_at"] is None
            and now < session["refresh_expires_at"]
            and now < session["created_at"] + limits.absolute
            and now - session["last_used_at"] < limits.idle
        ):
            raise InvalidToken
        if account is None or account["status"] not in LIVE_STATUSES:
            raise InvalidToken
        if now - session["last_used_at"] >= LAST_USED_RESOLUTION:
            await connection.execute(TOUCH_SQL, now, session["id"])
        return Viewer(session, account)

    async def spa_home(self, connection: asyncpg.Connection, viewer: Viewer, now: datetime) -> Any:
        account = viewer.account
        account_id = account["id"]
        cards = await connection.fetch(BANK_CARDS_SQL, account_id)
        records = await connection.fetch(CONSENT_RECORDS_SQL, account_id, account_id, account_id)
        verified = await connection.fetchrow(VERIFICATIONS_SQL, account_id)
        policies = await connection.fetch(POLICIES_SQL)
        consents: dict[Any, dict[str, Any]] = {}
        events: dict[Any, dict[str, Any]] = {}
        restrictions: dict[Any, dict[str, Any]] = {}
        for record in records:
            consent, event, restriction = _tables(
                record, CONSENT_NAMES, EVENT_NAMES, RESTRICTION_NAMES, skip=1
            )
            for row, rows in ((consent, consents), (event, events), (restriction, restrictions)):
                if row is not None:
                    rows[row["id"]] = row
        real_name, student = (
            _tables(verified, REAL_NAME_NAMES, STUDENT_NAMES, skip=1) if verified else (None, None)
        )

        def shown(kind: SensitiveKind, clear: str | date | None) -> str | None:
            return viewer.shown(kind, account, clear, now)

        def verification(row: Any, table: str) -> dict[str, Any] | None:
            if row is None:
                return None
            shown_row = {
                "status": row["status"],
                "realName": shown(SensitiveKind.PERSON_NAME, _unsealed(table, "real_name", row)),
                "idNumber": shown(SensitiveKind.ID_NUMBER, _unsealed(table, "id_number", row)),
            }
            if table == "student_verifications":
                shown_row.update(
                    school=shown(SensitiveKind.SCHOOL, _unsealed(table, "school", row)),
                    major=shown(SensitiveKind.MAJOR, _unsealed(table, "major", row)),
                    enrolledOn=_iso(row["enrolled_on"]),
                    graduatesOn=_iso(row["graduates_on"]),
                )
            shown_row.update(
                submittedAt=_iso(row["submitted_at"]),
                verifiedAt=_iso(row["verified_at"]),
                rejectionReason=row["rejection_reason"],
            )
            return shown_row

        type_name = TYPE_NAMES[account["kind"]]
        phone = _unsealed("accounts", "phone", account) or _unsealed(
            "accounts", "unproven_phone", account
        )
        email = _unsealed("accounts", "email", account) or _unsealed(
            "accounts", "unproven_email", account
        )
        answer: dict[str, Any] = {
            "__typename": type_name,
            "id": to_global_id(type_name, account_id),
            "kind": account["kind"],
            "status": account["status"],
            "displayName": account["display_name"],
            "avatarUrl": account["avatar_url"],
            "phone": shown(SensitiveKind.PHONE, phone),
            "email": shown(SensitiveKind.EMAIL, email),
            "createdAt": _iso(account["created_at"]),
        }
        if type_name == "IndividualAccount":
            answer["birthDate"] = shown(SensitiveKind.BIRTH_DATE, account["birth_date"])
        answer["profile"] = {
            "bio": account["bio"],
            "industry": account["industry"],
            "position": account["position"],
            "companySize": account["company_size"],
            "needs": list(orjson.loads(account["needs"]) or []),
        }
        answer["security"] = {
            "hasPassword": account["password_hash"] is not None,
            "phoneBound": account["phone"] is not None,
            "emailBound": account["email"] is not None or account["unproven_email"] is not None,
            "emailVerified": account["email"] is not None
            and account["email_verified_at"] is not None,
            "passwordChangedAt": _iso(account["password_changed_at"]),
        }
        answer["verifications"] = {
            "realName": verification(real_name, "real_name_verifications"),
            "student": verification(student, "student_verifications"),
        }
        answer["bankCards"] = [
            {
                "id": to_global_id("BankCard", card["id"]),
                "bankName": card["bank_name"],
                "branch": card["branch"],
                "location": card["location"],
                "cardNumber": shown(
                    SensitiveKind.BANK_CARD, _unsealed("bank_cards", "card_number", card)
                ),
                "last4": card["last4"],
                "holderName": shown(
                    SensitiveKind.PERSON_NAME, _unsealed("bank_cards", "holder_name", card)
                ),
                "cardType": card["card_type"],
                "boundAt": _iso(card["bound_at"]),
            }
            for card in cards
        ]
        answer["consents"] = self._consents(
            consents.values(), list(events.values()), restrictions.values(), policies, now.date()
        )
        return {
            "viewer": {"elevatedUntil": _iso(viewer.session["elevated_until"]), "account": answer}
        }

    @staticmethod
    def _consents(
        rows: Iterable[Any],
        events: list[Any],
        restrictions: Iterable[Any],
        policies: list[Any],
        today: date,
    ) -> list[dict[str, Any]]:
        by_purpose = {row["purpose"]: row for row in rows}
        restricted = {row["purpose"]: row for row in restrictions}

        def asks_again(row: Any) -> bool:
            given = next((p for p in policies if p["version"] == row["policy_version"]), None)
            if given is None:
                return False
            return any(
                p["material"]
                and p["effective_on"] <= today
                and (p["effective_on"], p["published_at"])
                > (given["effective_on"], given["published_at"])
                and row["purpose"] in orjson.loads(p["affected_purposes"])
                for p in policies
            )

        shown = []
        for purpose in ConsentPurpose:
            row = by_purpose.get(purpose.value)
            restriction = restricted.get(purpose.value)
            again = row is not None and row["granted"] and asks_again(row)
            shown.append(
                {
                    "purpose": purpose.value,
                    "granted": row is not None
                    and row["granted"]
                    and restriction is None
                    and not again,
                    "separate": purpose in SEPARATE_CONSENT_PURPOSES,
                    "policyVersion": row["policy_version"] if row is not None else None,
                    "updatedAt": _iso(row["updated_at"]) if row is not None else None,
                    "restricted": restriction is not None,
                    "restrictedSince": _iso(restriction["created_at"]) if restriction else None,
                    "needsReconsent": bool(again),
                    "history": [
                        {
                            "granted": event["granted"],
                            "policyVersion": event["policy_version"],
                            "at": _iso(event["created_at"]),
                        }
                        for event in events
                        if event["purpose"] == purpose.value
                    ],
                }
            )
        return shown

    async def page(
        self,
        connection: asyncpg.Connection,
        viewer: Viewer,
        variables: dict[str, Any],
        now: datetime,
    ) -> Any:
        enterprise = viewer.account
        if enterprise["kind"] != "ENTERPRISE":
            return {"viewer": {"account": {}}}
        first = int(variables["first"])
        if not 1 <= first <= 100:
            raise Refused("first")
        after = variables.get("after")
        where = (enterprise["id"], "SUB_ACCOUNT", "CANCELLED")
        if after is None:
            rows = await connection.fetch(PAGE_SQL, *where, first + 1)
        else:
            position = decode_cursor(after)
            rows = await connection.fetch(
                PAGE_AFTER_SQL, *where, position.created_at, position.id, first + 1
            )
        total = await connection.fetchval(COUNT_SQL, *where)
        has_next = len(rows) > first
        edges = []
        for row in rows[:first]:
            phone = _unsealed("accounts", "phone", row) or _unsealed(
                "accounts", "unproven_phone", row
            )
            email = _unsealed("accounts", "email", row) or _unsealed(
                "accounts", "unproven_email", row
            )
            edges.append(
                {
                    "cursor": encode_cursor(KeysetPosition(row["created_at"], row["id"])),
                    "node": {
                        "id": to_global_id("SubAccount", row["id"]),
                        "kind": row["kind"],
                        "status": row["status"],
                        "displayName": row["display_name"],
                        "phone": viewer.shown(SensitiveKind.PHONE, row, phone, now),
                        "email": viewer.shown(SensitiveKind.EMAIL, row, email, now),
                        "role": row["role"] or "MEMBER",
                        "permissions": orjson.loads(row["permissions"]),
                        "lastLoginAt": _iso(row["last_login_at"]),
                        "createdAt": _iso(row["created_at"]),
                    },
                }
            )
        return {
            "viewer": {
                "account": {
                    "subAccounts": {
                        "totalCount": total,
                        "pageInfo": {
                            "hasNextPage": has_next,
                            "hasPreviousPage": after is not None,
                            "startCursor": edges[0]["cursor"] if edges else None,
                            "endCursor": edges[-1]["cursor"] if edges else None,
                        },
                        "edges": edges,
                    }
                }
            }
        }

    async def graphql(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        document = body.get("query")
        handlers: dict[str, Callable[..., Any]] = {
            SPA_HOME: lambda c, v, now: self.spa_home(c, v, now),
            BACK_OFFICE_PAGE: lambda c, v, now: self.page(c, v, body.get("variables") or {}, now),
        }
        handler = handlers.get(document)
        if handler is None:
            return _error(
                400, "Only the benchmark's two documents are served here.", "BAD_USER_INPUT"
            )
        now = datetime.now(UTC)
        if self.pool is None:
            raise RuntimeError("the baseline serves within its lifespan only")
        async with self.pool.acquire() as connection:
            try:
                viewer = await self.viewer(connection, request.headers.get("authorization"), now)
            except InvalidToken:
                return _error(
                    401, "The bearer token is malformed, expired or revoked.", "UNAUTHENTICATED"
                )
            data = await handler(connection, viewer, now)
        # As the gateway encodes its answers.
        return Response(orjson.dumps({"data": data}), media_type="application/json")


def _error(status: int, message: str, code: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json")


def app_from_environment() -> Starlette:
    settings = load_settings()
    configure_encryption(settings)
    services = build_services(settings, Outbox())
    url = make_url(settings.database_url).set(drivername="postgresql")
    baseline = Baseline(url.render_as_string(hide_password=False), services.tokens)

    async def healthz(request: Request) -> Response:
        return Response('{"status":"ok"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await baseline.open()
        yield
        await baseline.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/graphql", baseline.graphql, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


__all__ = ["app_from_environment", "uuid"]
