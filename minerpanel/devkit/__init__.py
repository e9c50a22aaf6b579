"""What the tests and the benchmarks share, apart from the panel: private PostgreSQL and Redis
servers (engines), ports, waiting and CPU accounting (bench). Nothing the panel runs to serve
imports from here."""
