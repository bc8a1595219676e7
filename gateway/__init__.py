"""The wiring: settings, the Starlette app, HTTP routes, middleware, logging, the CLI."""
