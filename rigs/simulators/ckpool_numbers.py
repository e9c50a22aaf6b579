"""Numbers as ckpool writes them in its files and replies (the fake ckpool, ckpool.py)."""


def suffix_string(hs):
    """ckpool's suffix_string(): integers below 1000, else %.3g of the scaled value and a suffix."""
    if hs < 1000:
        return str(int(hs))
    for k, s in enumerate("KMGTPE", start=1):
        scaled = hs / 1000 ** k
        if scaled < 1000 or s == "E":
            return f"{scaled:.3g}{s}"
    return str(int(hs))


def real3(x):
    """A real as jansson prints it with JSON_REAL_PRECISION(3)."""
    text = f"{float(x):.3g}"
    return text if any(c in text for c in ".e") else text + ".0"
