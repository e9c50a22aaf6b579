"""Asking every rig: the poller, its batches, its shard leases, and how a batch is stored."""
