from django import template

register = template.Library()


@register.inclusion_tag("automation/_rig_block.html")
def rig_automation(rig):
    """The rig page's "Automation" block: its curtailment now (why, since, until) and the rules' last
    actions on it; the rigs app renders the page without importing this one."""
    from rigs.models import Curtailment

    from ..curtailing import detail, why
    from ..watchdog import recent

    open_row = Curtailment.objects.filter(rig=rig, ended_at__isnull=True).order_by("-started_at").first()
    if open_row is not None:
        open_row.why, open_row.detail = why(open_row.reason), detail(open_row.reason)
    return {"rig": rig, "curtailment": open_row, "actions": recent(rig.pk)}


@register.simple_tag
def actions_by_alert(alerts):
    """{alert id: [Action]} of the alerts shown, in one query (the alerts page's Automation column)."""
    from ..models import Action

    ids = [a.pk for a in alerts]
    out: dict[int, list[Action]] = {}
    for action in Action.objects.filter(alert_id__in=ids).order_by("step"):
        out.setdefault(action.alert_id, []).append(action)
    return out


@register.filter
def of(mapping, key):
    return mapping.get(key, []) if isinstance(mapping, dict) else []
