"""Changing where many rigs stand at once: the admin's actions on selected rigs (set the site and
rack, add or remove a tag, take them out of their site). Each returns what it changed, in words,
for the message and the audit row."""

from django.db import transaction

from .models import Placement, Rack, Site, Tag


@transaction.atomic
def place(rigs, site: Site, rack: Rack | None = None) -> list[str]:
    """Put ``rigs`` in ``site`` (and ``rack``, which must be the site's). A rig that changes rack
    leaves its slot; one already in that rack keeps it."""
    if rack is not None and rack.site_id != site.pk:
        raise ValueError(f"rack {rack.name} is in site {rack.site.name}, not in {site.name}")
    current = {p.rig_id: p for p in Placement.objects.filter(rig__in=rigs)}
    changed = []
    for rig in rigs:
        p = current.get(rig.pk)
        if p is None:
            Placement.objects.create(rig=rig, site=site, rack=rack)
        elif p.site_id != site.pk or p.rack_id != (rack.pk if rack else None):
            if p.rack_id != (rack.pk if rack else None):
                p.row = p.column = None
            p.site, p.rack = site, rack
            p.save()
        else:
            continue
        changed.append(rig.name)
    return changed


@transaction.atomic
def unplace(rigs) -> list[str]:
    """Take ``rigs`` out of their site (and rack and slot); their tags stay."""
    placed = list(Placement.objects.filter(rig__in=rigs).select_related("rig"))
    Placement.objects.filter(pk__in=[p.pk for p in placed]).delete()
    return [p.rig.name for p in placed]


@transaction.atomic
def add_tag(rigs, name: str) -> tuple[Tag, list[str]]:
    """Tag ``rigs`` with ``name`` (the tag is made when new)."""
    tag, _ = Tag.objects.get_or_create(name=name)
    had = set(tag.rigs.values_list("id", flat=True))
    new = [r for r in rigs if r.pk not in had]
    tag.rigs.add(*new)
    return tag, [r.name for r in new]


@transaction.atomic
def remove_tag(rigs, tag: Tag) -> list[str]:
    had = set(tag.rigs.values_list("id", flat=True))
    gone = [r for r in rigs if r.pk in had]
    tag.rigs.remove(*gone)
    return [r.name for r in gone]
