"""What many tests share: IDs as the API writes them, staff members, signed-in viewers."""
