"""The formula language's syntax: the lark grammar (LALR) and its parser, the depth check
on a parse tree, and the substitution that lets unquoted field names contain spaces, dots and %.

Unquoted names are matched longest first against the fields the section has and become $n$
slots the grammar reads as one token; "double quotes" name a field too, 'single quotes' are
strings. No errors are raised here: formula.py turns lark's into FormulaErrors.
"""

import re

from lark import Lark, Token

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> or_
?and_expr: not_expr | and_expr "and" not_expr -> and_
?not_expr: comparison | "not" not_expr -> not_
?comparison: sum | sum COMP sum -> compare
?sum: product | sum ADDOP product -> binop
?product: unary | product MULOP unary -> binop
?unary: power | "-" unary -> neg | "+" unary
?power: atom | atom "**" unary -> pow
?atom: NUMBER -> number
     | STRING -> string
     | QFIELD -> qfield
     | SLOT -> slot
     | NAME "(" [or_expr ("," or_expr)*] ")" -> call
     | NAME -> name
     | "(" or_expr ")"
COMP: "==" | "!=" | "<=" | ">=" | "<" | ">" | "="
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
NAME: /(?!(and|or|not)\b)[A-Za-z_][A-Za-z0-9_.]*/
SLOT: /\$[0-9]+\$/
QFIELD: /"[^"\n]{1,200}"/
STRING: /'[^'\n]{0,200}'/
NUMBER: /(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/
%ignore /[ \t]+/
"""

parser = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def substitute_fields(text, fields):
    """Replace known field names (longest first, unquoted) by $n$ slots."""
    names = sorted({f for f in fields if f}, key=len, reverse=True)
    if not names:
        return text, []
    slots = []
    index = {}
    out = []
    i = 0
    n = len(text)
    boundary = re.compile(r"[A-Za-z0-9_.%]")  # not *: it multiplies names
    while i < n:
        c = text[i]
        if c in "'\"":
            j = text.find(c, i + 1)
            j = n - 1 if j < 0 else j
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if i == 0 or not boundary.match(text[i - 1]):
            for name in names:
                if text.startswith(name, i):
                    end = i + len(name)
                    if end < n and boundary.match(text[end]) and boundary.match(name[-1]):
                        continue
                    if name not in index:
                        index[name] = len(slots)
                        slots.append(name)
                    # keep the length so error positions still point into the original
                    out.append(f"${index[name]}$".ljust(len(name)))
                    i = end
                    break
            else:
                out.append(c)
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out), slots


def deeper_than(tree, limit):
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > limit:
            return True
        for child in getattr(node, "children", ()):
            if not isinstance(child, Token):
                stack.append((child, d + 1))
    return False
