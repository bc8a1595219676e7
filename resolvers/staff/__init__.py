"""Platform staff, managed from the command line."""
