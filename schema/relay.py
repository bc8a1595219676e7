"""Node, PageInfo and the connection pattern shared by every list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.interface(description="An object with a global ID that `node(id:)` resolves.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    cursor: str


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.edges[0].cursor if page.edges else None,
        end_cursor=page.edges[-1].cursor if page.edges else None,
    )


def to_connection(
    page: Page[Any],
    convert: Callable[[Any], NodeT],
    connection: type[Any] = Connection,
    edge: type[Any] = Edge,
) -> Any:
    """A connection of `page`, its nodes converted to GraphQL objects.

    `connection` and `edge` name the classes where the contract names them other than
    `<Node>Connection` and `<Node>Edge`.
    """
    return connection(
        edges=[edge(node=convert(item.node), cursor=item.cursor) for item in page.edges],
        page_info=page_info(page),
    )
