from django import template

register = template.Library()


@register.inclusion_tag("watch/_charts.html")
def rig_charts(rig):
    """A rig's history charts (hashrate, temperature, rejects and pools, its devices)."""
    from watch.views import chart_context

    return chart_context(rig)


@register.inclusion_tag("watch/_charts.html")
def farm_charts():
    """The farm's hashrate per algorithm and its healthy rigs over time."""
    from watch.views import chart_context

    return chart_context()
