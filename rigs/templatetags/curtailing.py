"""The rig page's plain words on what Curtail and Resume do to a kind of rig (its driver's CURTAIL)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from rigs import drivers

register = template.Library()


def code_spans(text):
    """The driver's words, escaped, with its `backticked` names as <code>."""
    parts = str(text or "").split("`")
    return mark_safe("".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p) for i, p in enumerate(parts)))


@register.inclusion_tag("rigs/_curtail_note.html")
def curtail_note(kind):
    """What Curtail does on this kind (sleep, power), what is read back, or why it cannot."""
    can = drivers.curtailment(kind)
    return {"sleep": code_spans(can.sleep), "power": code_spans(can.power), "reads_back": code_spans(can.reads_back),
            "cannot": code_spans(can.cannot), "label": drivers.driver(kind).LABEL if kind in drivers.kinds() else kind}
