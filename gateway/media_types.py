"""The media type of a GraphQL answer, chosen from the request's `Accept` header.

The GraphQL-over-HTTP specification defines `application/graphql-response+json`, whose
status codes say whether the request itself was wrong (400 with no `data` entry) or its
execution produced errors (200). `application/json` stays the answer for clients that do
not ask for the new type, with no `Accept` header or with `*/*`.

Each candidate gets the quality of the most specific range that matches it (RFC 9110,
section 12.5.1). The higher quality wins; between equals, a type the client named
outright beats one matched by a wildcard, and then the one it listed first; a tie that
is still open goes to `application/json`, which every client reads.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
CANDIDATES = (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON)
# An Accept header longer than this is read no further: no client needs more.
MAX_ACCEPT_RANGES = 32


@dataclass(frozen=True)
class _Match:
    quality: float
    specificity: int  # 2: the type itself, 1: type/*, 0: */*
    position: int


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(",")[:MAX_ACCEPT_RANGES]:
        media_range, *parameters = (piece.strip().lower() for piece in part.split(";"))
        if not media_range:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range, quality))
    return ranges


def _match(candidate: str, ranges: list[tuple[str, float]]) -> _Match | None:
    kind = candidate.split("/", 1)[0]
    best: _Match | None = None
    for position, (media_range, quality) in enumerate(ranges):
        if media_range == candidate:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best.specificity:
            best = _Match(quality, specificity, position)
    return best


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when the client prefers it, else
    `application/json` (also when it accepts neither: the answer stays readable)."""
    if not accept or not accept.strip():
        return APPLICATION_JSON
    ranges = _ranges(accept)
    scored = [
        (match.quality, match.specificity, -match.position, candidate == APPLICATION_JSON)
        for candidate in CANDIDATES
        for match in [_match(candidate, ranges)]
        if match is not None and match.quality > 0
    ]
    if not scored:
        return APPLICATION_JSON
    best = max(scored)
    return APPLICATION_JSON if best[3] else GRAPHQL_RESPONSE_JSON
