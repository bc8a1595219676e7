"""What many tests share, in one place.

- `viewers`: signed-in accounts of every kind and staff (the `viewers` fixture), and
  `sign_in` for rows a test makes itself;
- `staff`: the one staff-member factory;
- `api`: the `api` fixture's bundle of client, session, services and clock;
- `factories`: accounts, data requests, verification and bank-card rows as the app
  stores them; `students`: a student verification whose studies are not the point;
- `literals`: GraphQL literals written from the schema's input types;
- `ids`: global IDs as the API writes them;
- `assertions`: user errors, refusals at a path, errors without their locations;
  `refusals`: the whole answer to a caller who may not call a root field;
- `clock`, `passwords`: the tests' clock and the cheapest Argon2id hasher;
- `apps`: clients of an app a test builds itself;
- `processes`: tools, node and this interpreter run in a process of their own;
- `loopback`: a provider served on a loopback port, and a free port;
- `races`: two requests at once on PostgreSQL, each in its own transaction;
- `sealing`: the clear values sealed while a test runs, to look for where they must
  never be;
- `wechat`: the fake WeChat platform served in-process to the app.
"""
