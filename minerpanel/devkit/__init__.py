"""What the tests and the benchmarks share, apart from the panel: private PostgreSQL and Redis
servers (engines), ports, waiting and CPU accounting (bench), the fuzzing strategies (fuzzing, for
the fuzz tests and `manage.py fuzz`) and the writer of the field catalogue (fields). Nothing the
panel runs to serve imports from here."""
