"""Privileged commands: what each is (commands.py), its Django form, the one validation (params.py), the forms
as the pages draw them (forms.py), sending and auditing (running.py).

The room's public functions, for the views, the API and the other apps."""

from .running import ANONYMOUS_LIMIT, Outcome, audit, check_access, command_bound, mark_interrupted, repoll, run

__all__ = ["ANONYMOUS_LIMIT", "Outcome", "audit", "check_access", "command_bound", "mark_interrupted", "repoll", "run"]
