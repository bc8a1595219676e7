"""The person's rights: export, rights requests, erasure and cancellation."""
