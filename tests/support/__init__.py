"""What many tests share, in one place.

- `viewers`: signed-in accounts of every kind and staff (the `viewers` fixture), and
  `sign_in` for rows a test makes itself;
- `staff`: the one staff-member factory;
- `api`: the `api` fixture's bundle of client, session, services and clock;
- `factories`: accounts, data requests, verification and bank-card rows as the app
  stores them;
- `literals`: GraphQL literals written from the schema's input types;
- `ids`: global IDs as the API writes them;
- `assertions`: user errors, refusals at a path, errors without their locations;
- `clock`, `passwords`: the tests' clock and the cheapest Argon2id hasher;
- `apps`: clients of an app a test builds itself;
- `processes`: tools, node and this interpreter run in a process of their own;
- `loopback`: a provider served on a loopback port, and a free port.
"""
