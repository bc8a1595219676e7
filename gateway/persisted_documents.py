"""Documents a client names by hash instead of sending: automatic persisted queries
(APQ) and trusted documents.

- APQ (Apollo's protocol). A request carries `extensions.persistedQuery =
  {"version": 1, "sha256Hash": <hex>}`. With the hash alone, the stored document runs,
  or the answer is `PERSISTED_QUERY_NOT_FOUND`, on which Apollo Client sends the
  request again with the document; a document sent with its hash is stored once it has
  parsed and validated. A hash that is not the document's SHA-256 is refused. The store
  keeps at most `GATEWAY_APQ_MAX_BYTES` of documents, dropping the least recently used:
  in this process, or in Redis (`GATEWAY_REDIS_URL`) for all workers.
- Trusted documents (`GATEWAY_TRUSTED_DOCUMENTS`, an Apollo persisted-query manifest).
  Only the listed operations run: named by id (`extensions.persistedQuery.sha256Hash`
  or a `documentId` body field) or sent whole with the SHA-256 of a listed body.
  Anything else answers `PERSISTED_QUERY_NOT_IN_LIST`, and nothing is registered.

Refusals never quote the hash or the document back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.errors import ErrorCode

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
OPERATION_TYPES = ("query", "mutation", "subscription")
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
DEFAULT_APQ_MAX_BYTES = 8 * 1024 * 1024
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
logger = logging.getLogger("gateway.persisted_documents")


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedDocumentRefusal(Exception):
    """A request whose persisted document cannot run: answered as a GraphQL error
    with `code` and the HTTP `status`."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _not_found() -> PersistedDocumentRefusal:
    # The message and the 200 are what Apollo Server answers and Apollo Client looks for.
    return PersistedDocumentRefusal("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, 200)


def _not_in_list() -> PersistedDocumentRefusal:
    return PersistedDocumentRefusal(
        "Only the operations of the trusted documents run here.",
        PERSISTED_QUERY_NOT_IN_LIST,
        400,
    )


def _bad_input(message: str) -> PersistedDocumentRefusal:
    return PersistedDocumentRefusal(message, ErrorCode.BAD_USER_INPUT.value, 400)


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryDocumentStore:
    """The documents of this process, least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        if sha256 in self._documents:
            self._documents.move_to_end(sha256)
            return
        self._documents[sha256] = document
        self.size += len(document.encode("utf-8", "surrogatepass"))
        while self.size > self.max_bytes and self._documents:
            _, dropped = self._documents.popitem(last=False)
            self.size -= len(dropped.encode("utf-8", "surrogatepass"))

    async def close(self) -> None:
        return None


# Every key shares one hash tag, so that the scripts touch one slot of a cluster.
_PREFIX = "xiamo-gateway:{apq}:"
_INDEX = _PREFIX + "index"  # sorted set: document key -> last use
_TOTAL = _PREFIX + "bytes"  # the stored documents' bytes in all
_CLOCK = _PREFIX + "clock"  # a counter that orders uses
_PUT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('INCRBY', KEYS[3], string.len(ARGV[1]))
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), KEYS[1])
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
while total > tonumber(ARGV[2]) do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  total = redis.call('DECRBY', KEYS[3], redis.call('STRLEN', oldest[1]))
  redis.call('DEL', oldest[1])
end
return total
"""
_GET = """
local document = redis.call('GET', KEYS[1])
if document then
  redis.call('ZADD', KEYS[2], 'XX', redis.call('INCR', KEYS[3]), KEYS[1])
end
return document
"""


class RedisDocumentStore:
    """The documents of every worker, in Redis, bounded like the memory store: each
    script reads and trims the index in one step, so concurrent workers keep the bound."""

    def __init__(self, redis: Redis, max_bytes: int) -> None:
        self.redis = redis
        self.max_bytes = max_bytes
        self._put = redis.register_script(_PUT)
        self._get = redis.register_script(_GET)

    @classmethod
    def from_url(cls, url: str, max_bytes: int) -> RedisDocumentStore:
        return cls(Redis.from_url(url), max_bytes)

    async def get(self, sha256: str) -> str | None:
        """The stored document; none while Redis does not answer (the client then
        sends the document, which runs)."""
        try:
            value = await self._get(keys=[_PREFIX + sha256, _INDEX, _CLOCK])
        except RedisError:
            logger.warning("the persisted-query store in Redis did not answer a lookup")
            return None
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    async def put(self, sha256: str, document: str) -> None:
        try:
            await self._put(
                keys=[_PREFIX + sha256, _INDEX, _TOTAL, _CLOCK], args=[document, self.max_bytes]
            )
        except RedisError:
            logger.warning("the persisted-query store in Redis did not store a document")

    async def total_bytes(self) -> int:
        return int(await self.redis.get(_TOTAL) or 0)

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass(frozen=True)
class TrustedOperation:
    id: str
    name: str
    type: str
    body: str


class ManifestError(ValueError):
    """A manifest that cannot be used; the message says what is wrong, in one line."""


@dataclass(frozen=True)
class TrustedDocuments:
    """The operations of a manifest, by id and by the SHA-256 of their body."""

    operations: tuple[TrustedOperation, ...]

    @property
    def by_id(self) -> dict[str, TrustedOperation]:
        return {operation.id: operation for operation in self.operations}

    @property
    def by_body_hash(self) -> dict[str, TrustedOperation]:
        return {sha256_hex(operation.body): operation for operation in self.operations}


def _operation(number: int, entry: object) -> TrustedOperation:
    where = f"operation {number}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} is not an object")
    for field in ("id", "name", "type", "body"):
        if not isinstance(entry.get(field), str):
            raise ManifestError(f"{where} has no string {field!r}")
    if not entry["id"] or not entry["body"].strip():
        raise ManifestError(f"{where} has an empty id or body")
    if entry["type"] not in OPERATION_TYPES:
        raise ManifestError(
            f"{where} has type {entry['type']!r}; use query, mutation or subscription"
        )
    return TrustedOperation(entry["id"], entry["name"], entry["type"], entry["body"])


def parse_manifest(text: str) -> TrustedDocuments:
    """The operations of an Apollo persisted-query manifest, or a ManifestError."""
    try:
        manifest: Any = json.loads(text)
    except ValueError as exc:
        raise ManifestError("is not JSON") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("version") != 1
    ):
        raise ManifestError(f'is not a manifest of "format": "{MANIFEST_FORMAT}", "version": 1')
    entries = manifest.get("operations")
    if not isinstance(entries, list):
        raise ManifestError('has no "operations" list')
    operations = tuple(_operation(number, entry) for number, entry in enumerate(entries, 1))
    seen: set[str] = set()
    for number, operation in enumerate(operations, 1):
        if operation.id in seen:
            raise ManifestError(f"operation {number} repeats the id of an earlier one")
        seen.add(operation.id)
    return TrustedDocuments(operations)


def load_manifest(path: Path) -> TrustedDocuments:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError("is not UTF-8 text") from exc
    except OSError as exc:
        raise ManifestError(f"cannot be read ({exc.strerror or exc})") from exc
    return parse_manifest(text)


@dataclass(frozen=True)
class Resolved:
    """The document to run, and the hash under which to store it once it validates."""

    query: str | None
    register: str | None = None


def _persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    if not extensions or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise _bad_input("extensions.persistedQuery is not an object.")
    if persisted.get("version") != 1:
        raise _bad_input("Only version 1 of persisted queries is supported.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise _bad_input("extensions.persistedQuery.sha256Hash is not a SHA-256 in hex.")
    return sha256


class PersistedDocuments:
    """Turns a request's query, extensions and documentId into the document to run."""

    def __init__(self, store: DocumentStore | None, trusted: TrustedDocuments | None) -> None:
        self.store = store
        self.trusted = trusted
        self._by_id = trusted.by_id if trusted else {}
        self._by_body_hash = trusted.by_body_hash if trusted else {}

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, document_id: object
    ) -> Resolved:
        if document_id is not None and not isinstance(document_id, str):
            raise _bad_input("documentId is not a string.")
        sha256 = _persisted_hash(extensions)
        if self.trusted is not None:
            return Resolved(self._trusted(query, sha256, document_id))
        if document_id is not None:
            # Documents by id exist only under GATEWAY_TRUSTED_DOCUMENTS.
            raise _bad_input("documentId names a trusted document; none are configured.")
        if sha256 is None:
            return Resolved(query)
        if query is not None:
            if sha256_hex(query) != sha256:
                raise _bad_input("The persisted query's hash is not the SHA-256 of its query.")
            return Resolved(query, register=sha256)
        stored = await self.store.get(sha256) if self.store is not None else None
        if stored is None:
            raise _not_found()
        return Resolved(stored)

    def _trusted(self, query: str | None, sha256: str | None, document_id: str | None) -> str:
        named = document_id if document_id is not None else sha256
        if named is not None:
            operation = self._by_id.get(named.removeprefix("sha256:"))
            if operation is None:
                raise _not_in_list()
            if query is not None and query != operation.body:
                raise _bad_input("The query sent is not the trusted document its id names.")
            return operation.body
        if query is not None and sha256_hex(query) in self._by_body_hash:
            return query
        raise _not_in_list()

    async def register(self, sha256: str, document: str) -> None:
        if self.store is not None:
            await self.store.put(sha256, document)

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
