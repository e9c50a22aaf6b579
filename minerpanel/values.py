"""Reading ids and numbers that come in as text (URLs, query strings, form fields)."""

MAX_ID = 2**63 - 1  # what a database integer column holds


def parse_id(text):
    """A positive database id from text, or None: '²', '１', '-1', '1_0' and 2**64 are not ids."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
