"""Request limits and the error policy, as Strawberry schema extensions.

Each is built per request from a factory; only the document caches (parsed and validated
documents) are kept across requests, per process.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import (
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import validate_document

from auth.errors import ErrorCode, GatewayError
from gateway.logging import request_id_var
from gateway.observe import ObserveOperation
from gateway.operation_limits import MaxAliases, MaxDepth
from gateway.page_limit import MaxPageItems
from resolvers.context import RequestContext, log_security

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000
# Documents parsed and validated once per process, by their text (and the parser's and
# validators' settings): the clients send the same few documents again and again. The
# caches are bounded, so that distinct texts cannot grow them without limit.
DOCUMENT_CACHE_SIZE = 256
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
GENERIC_VALIDATION_MESSAGE = "The request is not a valid operation for this API."
INTERNAL_MESSAGE = "Internal server error."

logger = logging.getLogger("gateway.errors")
# Scalar parsers raise these for a malformed variable value.
_REQUEST_ERRORS = (GraphQLError, ValueError, TypeError)
_VARIABLE_VALUE = re.compile(r"^(Variable '\$\w+') (?:got|has) invalid value\b.*", re.DOTALL)


class ErrorPolicy(SchemaExtension):
    """Shapes every error the client sees (docs/spec/limits.md#errors).

    - An expected refusal (`GatewayError`) keeps its message and gets its code.
    - A parse or validation error gets GRAPHQL_VALIDATION_FAILED. While the schema is
      hidden (introspection off) it carries one generic message that names no field,
      argument, type or suggestion, and identical errors are reported once.
    - A variable that fails coercion is reported without its value.
    - Anything else is unexpected: logged with its traceback and the request id, and
      answered with a generic INTERNAL_SERVER_ERROR that carries the request id.
    """

    def __init__(self, *, hide_schema: bool) -> None:
        self.hide_schema = hide_schema

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        shaped: list[GraphQLError] = []
        seen: set[tuple[str, str]] = set()
        for error in map(self._shape, result.errors):
            key = (error.message, str((error.extensions or {}).get("code")))
            if error.path is None and key in seen:
                continue
            seen.add(key)
            shaped.append(error)
        result.errors = shaped

    def _shape(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, GatewayError):
            if original.code is ErrorCode.FORBIDDEN:
                self._log_refusal(error)
            return _with(error, original.message, {"code": original.code.value})
        if error.path is None and (original is None or isinstance(original, _REQUEST_ERRORS)):
            # Parsing, validation and variable coercion: the request itself is wrong.
            return self._validation_error(error)
        if original is not None:
            logger.error(
                "unexpected error at %s",
                ".".join(str(part) for part in error.path or ()) or "operation",
                exc_info=(type(original), original, original.__traceback__),
            )
        return _with(
            error,
            INTERNAL_MESSAGE,
            {"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id_var.get()},
        )

    def _log_refusal(self, error: GraphQLError) -> None:
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            path = ".".join(str(part) for part in error.path or ())
            log_security(context, "forbidden", "refused", path=path or None)

    def _validation_error(self, error: GraphQLError) -> GraphQLError:
        if self.hide_schema:
            return GraphQLError(GENERIC_VALIDATION_MESSAGE, extensions={"code": VALIDATION_FAILED})
        message = _VARIABLE_VALUE.sub(r"\1 got an invalid value.", error.message)
        return _with(error, message, {"code": VALIDATION_FAILED})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class UnnamedOperation(CannotGetOperationTypeError):
    """The document holds several operations and the request names none of them.

    One of the errors Strawberry lets through to the view, which answers it with a 400
    and this reason."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "The document holds several operations: name one in operationName."


class DocumentCache(ParserCache):
    """Strawberry's parser cache, for documents that parse: a document that does not is
    left to Strawberry's own parse, which reports its syntax error as every request
    error is reported (through the error policy).

    A document of several operations needs the request's operationName (GraphQL's
    GetOperation): Strawberry would run the first one. Such a request is refused
    (`UnnamedOperation`, which the view answers with a 400)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError, TypeError):
            context.graphql_document = document = self.cached_parse_document(
                context.query, **context.parse_options
            )
            # Strawberry's operation_name falls back to the first operation's name.
            if context._provided_operation_name is None and (
                sum(isinstance(node, OperationDefinitionNode) for node in document.definitions) > 1
            ):
                raise UnnamedOperation
        yield


# A document's validation errors, by the document's and the schema's ids: the entry holds
# both, so that no other object takes their ids while it is kept (a key found is the same
# document on the same schema).
Validated = tuple[DocumentNode, GraphQLSchema, tuple[Any, ...], list[GraphQLError]]
_validated: OrderedDict[tuple[int, int], Validated] = OrderedDict()


class DocumentValidation(SchemaExtension):
    """Strawberry's validation cache, keyed by the document's identity.

    Strawberry's `ValidationCache` keys its LRU cache on the document itself, whose hash
    and equality walk every node of it, on every request. The parse cache (`DocumentCache`)
    hands every request of a text the same document, so the document's identity is key
    enough; the rules (the limits' and introspection's among them) must be equal too.
    The newest DOCUMENT_CACHE_SIZE documents are kept."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, schema = context.graphql_document, context.schema._schema
        rules = tuple(context.validation_rules)
        if document is not None:
            key = (id(document), id(schema))
            known = _validated.get(key)
            if known is not None and known[2] == rules:
                _validated.move_to_end(key)
                context.pre_execution_errors = known[3]
            else:
                errors = validate_document(schema, document, rules)
                _validated[key] = (document, schema, rules, errors)
                if len(_validated) > DOCUMENT_CACHE_SIZE:
                    _validated.popitem(last=False)
                context.pre_execution_errors = errors
        yield


def request_extensions(*, introspection: bool) -> list[Callable[[], SchemaExtension]]:
    factories: list[Callable[[], SchemaExtension]] = [
        # First, so that it sees the answer as the error policy shaped it.
        ObserveOperation,
        lambda: ErrorPolicy(hide_schema=not introspection),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # Inside the error policy (which shapes their errors) and after the token limit
        # (whose parser option is part of the parse cache's key).
        lambda: DocumentCache(maxsize=DOCUMENT_CACHE_SIZE),
        DocumentValidation,
        lambda: MaxDepth(MAX_DEPTH),
        lambda: MaxAliases(MAX_ALIASES),
        MaxPageItems,
    ]
    if not introspection:
        factories.append(DisableIntrospection)
    return factories
