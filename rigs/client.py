"""The client for scripts and the Django shell, at a stable address: ``from rigs.client import RigAPI``.

``RigAPI("10.0.0.5").summary()`` is the miner's reply as its JSON dict, ``.asc(0)`` passes a
parameter, ``.command("addpool", "url,user,pass")`` sends any command; a failure raises
``RigError`` with a message a user understands. (It lives with the cgminer driver.)
"""

from rigs.drivers.cgminer.client import RigAPI, RigError

__all__ = ["RigAPI", "RigError"]
