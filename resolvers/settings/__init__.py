"""Account settings: profile, password, phone, e-mail, linked identities."""
