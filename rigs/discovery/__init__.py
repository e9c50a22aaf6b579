"""Finding rigs on the network (multicast, bounded scans), adding them, and the admin's page for it."""
