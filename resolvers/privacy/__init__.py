"""The personal-information inventory: what the platform collects, why, and who receives it."""
