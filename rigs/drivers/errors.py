"""What can go wrong talking to a rig, for every kind: each error carries a message for the user
and a short kind (refused, timeout, ...) the pages and the API show."""


class RigError(Exception):
    """Anything that went wrong talking to a rig, with a message for the user."""

    kind = "error"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConnectError(RigError):
    kind = "refused"


class TimeoutError_(RigError):
    kind = "timeout"


class NoReplyError(RigError):
    kind = "noreply"


class BadReplyError(RigError):
    kind = "badreply"


class TooLargeError(RigError):
    kind = "toolarge"
