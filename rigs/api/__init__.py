"""The HTTP JSON API (cgminer's commands over HTTP, and custom pages as data)."""
