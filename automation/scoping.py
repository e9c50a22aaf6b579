"""A site, a rack or a tag picked in a form ("site:3", "rack:7", "tag:2", "all"): what the manual
curtailment and the pools-for-a-group forms act on."""

from dataclasses import dataclass

from farm.models import Rack, Site, Tag


@dataclass(frozen=True)
class Scope:
    value: str
    label: str
    site_id: int | None = None
    rack_id: int | None = None
    tag_id: int | None = None


def parse(value, allow_all=False):
    """The Scope a form's value names, or None (unknown, or "all" where it is not allowed)."""
    value = str(value or "").strip()[:30]
    if value == "all":
        return Scope("all", "every rig") if allow_all else None
    kind, _, pk = value.partition(":")
    if not pk.isdigit():
        return None
    pk = int(pk)
    if kind == "site":
        site = Site.objects.filter(pk=pk).first()
        return site and Scope(value, f"site {site.name}", site_id=pk)
    if kind == "rack":
        rack = Rack.objects.select_related("site").filter(pk=pk).first()
        return rack and Scope(value, f"rack {rack.site.name} / {rack.name}", rack_id=pk)
    if kind == "tag":
        tag = Tag.objects.filter(pk=pk).first()
        return tag and Scope(value, f"tag {tag.name}", tag_id=pk)
    return None


def choices(allow_all=False):
    """[(value, label)] for a select: every site, rack and tag."""
    out = [("all", "every rig")] if allow_all else []
    out += [(f"site:{s.pk}", f"site {s.name}") for s in Site.objects.all()]
    out += [(f"rack:{r.pk}", f"rack {r.site.name} / {r.name}") for r in Rack.objects.select_related("site")]
    out += [(f"tag:{t.pk}", f"tag {t.name}") for t in Tag.objects.all()]
    return out
