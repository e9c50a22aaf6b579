"""The rig page's plain words on what Curtail and Resume do to a kind of rig (its driver's CURTAIL)."""

from django import template

from rigs import drivers

register = template.Library()


@register.inclusion_tag("rigs/_curtail_note.html")
def curtail_note(kind):
    """What Curtail does on this kind (sleep, power), what is read back, or why it cannot."""
    can = drivers.curtailment(kind)
    return {"sleep": can.sleep, "power": can.power, "reads_back": can.reads_back, "cannot": can.cannot,
            "label": drivers.driver(kind).LABEL if kind in drivers.kinds() else kind}
