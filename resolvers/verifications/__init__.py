"""Real-name, student and bank-card verification: the format checks the gateway applies."""
