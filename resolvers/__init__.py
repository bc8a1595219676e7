"""Use cases: what each query and mutation does, independent of GraphQL types."""
