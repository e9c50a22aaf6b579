"""Privileged commands: what each is (commands.py), its Django form, the one validation (params.py), the forms
as the pages draw them (forms.py), sending and auditing (running.py), curtailing and resuming rigs (curtail.py).

The room's public functions, for the views, the API and the other apps."""

from .curtail import Actor, curtail_rigs, resume_rigs
from .running import ANONYMOUS_LIMIT, Outcome, audit, check_access, command_bound, mark_interrupted, repoll, run

__all__ = ["ANONYMOUS_LIMIT", "Actor", "Outcome", "audit", "check_access", "command_bound", "curtail_rigs",
           "mark_interrupted", "repoll", "resume_rigs", "run"]
