"""What the tests and the benchmarks share, apart from the panel: private PostgreSQL and Redis
servers (engines). Nothing the panel runs to serve imports from here."""
