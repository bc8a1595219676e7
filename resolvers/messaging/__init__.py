"""SMS and e-mail messages queued with the change they announce, and their delivery."""
