from django import template

register = template.Library()


@register.inclusion_tag("farm/_rig_box.html", takes_context=True)
def rig_place(context, rig):
    """A rig's site, rack, slot and tags, and its maintenance (who, why, until when; sys users start or end
    it): shown on the rig page, which the rigs app renders without importing this one."""
    from farm.views import rig_box

    return {**rig_box(context["request"].user, rig), "request": context["request"],
            "csrf_token": context.get("csrf_token")}
