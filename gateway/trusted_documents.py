"""`xiamo-gateway trusted-documents check FILE`: every operation of a manifest, checked
against the schema and the request limits before the manifest is deployed.

An operation fails when its body does not parse (or has more tokens than allowed), does
not validate against the schema, nests or aliases past the limits, asks with its
default variable values for more list items than one request serves, holds other than
one operation, or is not the type and name the manifest gives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer
from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)

from gateway.extensions import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from gateway.operation_limits import max_aliases_rule, max_depth_rule
from gateway.page_limit import MAX_PAGE_ITEMS, requested_items
from gateway.persisted_documents import ManifestError, TrustedOperation, load_manifest

trusted_documents_app = typer.Typer(
    help="Trusted documents (GATEWAY_TRUSTED_DOCUMENTS).", no_args_is_help=True
)


def operation_problems(schema: GraphQLSchema, operation: TrustedOperation) -> Iterator[str]:
    """What is wrong with one operation of a manifest; nothing when it may be trusted."""
    try:
        document = parse(operation.body, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        yield error.message
        return
    rules = [*specified_rules, max_depth_rule(MAX_DEPTH), max_aliases_rule(MAX_ALIASES)]
    errors = validate(schema, document, rules)
    if errors:
        yield from (error.message for error in errors)
        return
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        yield f"the body holds {len(operations)} operations; a manifest entry holds one"
        return
    (definition,) = operations
    kind = definition.operation.value
    if kind != operation.type:
        yield f"the body is a {kind}, the manifest says {operation.type}"
    name = definition.name.value if definition.name else ""
    if name != operation.name:
        yield f"the body's operation is named {name!r}, the manifest says {operation.name!r}"
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if requested_items(schema, definition, fragments, {}) > MAX_PAGE_ITEMS:
        yield (
            "with its default variable values it asks for more list items than the "
            f"{MAX_PAGE_ITEMS} served per request"
        )


@trusted_documents_app.command("check")
def check(manifest: Path = typer.Argument(..., help="An Apollo persisted-query manifest.")) -> None:
    """Check every operation of a manifest against the schema and the limits; print each
    one that fails (exit status 1 when any does)."""
    from schema import schema

    try:
        trusted = load_manifest(manifest)
    except ManifestError as exc:
        typer.echo(f"error: {manifest} {exc}", err=True)
        raise typer.Exit(code=1) from exc
    failed = 0
    for number, operation in enumerate(trusted.operations, 1):
        problems = list(operation_problems(schema._schema, operation))
        if problems:
            failed += 1
            label = f"operation {number} ({operation.name or 'anonymous'}, id {operation.id})"
            for problem in problems:
                typer.echo(f"{label}: {problem}")
    total = len(trusted.operations)
    if failed:
        typer.echo(f"{failed} of {total} operations fail", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"all {total} operations pass")
