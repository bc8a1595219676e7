"""Privacy events: the outbox written with each change, and its delivery to a webhook."""
