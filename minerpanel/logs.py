"""Logging filters."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (403, 404, 400...) is one line: who was refused is news, the
    stack of the code that refused it is not. Server errors keep their traceback."""

    def filter(self, record):
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
