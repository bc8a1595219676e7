"""Stand-ins for third-party services the gateway talks to, speaking their real protocols."""
