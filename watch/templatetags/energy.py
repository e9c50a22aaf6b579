"""The rig page's power line: the power (reported, or estimated and said so), the efficiency, the energy
of the last 24 hours from the history, and whether the rig reads back curtailed."""

from django import template

from watch import energy

register = template.Library()


@register.inclusion_tag("watch/_power.html")
def rig_power(rig, snap):
    figs = ((getattr(snap, "brief", None) or {}).get("figures") or {}) if snap else {}
    watts, day = figs.get("power_w"), energy.last_day(rig.pk) if rig and rig.pk else None
    if watts is None and day is None and figs.get("curtailed") is None:
        return {"show": False}
    return {"show": True, "watts": None if watts is None else f"{watts:,.0f}", "estimated": figs.get("power_estimated"),
            "efficiency": None if figs.get("efficiency_jth") is None else f"{figs['efficiency_jth']:,.1f}",
            "kwh": None if day is None else f"{day:,.1f}", "curtailed": figs.get("curtailed")}
