"""Rigs that change site, rack or tag: the ready rows' writer is told (rigs/web/ready.moved), so their rows
and their shares of each site's, rack's and tag's totals (rigs/web/scope_sums.py) are written again at the
next read or batch; a site, rack or tag deleted takes its totals with it at once. Connected by
FarmConfig.ready(); writes that send no signal (the CSV import's bulk ones) call moved() themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from rigs.web import ready, scope_sums, scopes

from .models import Placement, Rack, Site, Tag


def _placement_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        ready.moved([instance.rig_id])


def _tagged(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove"):
        ready.moved([instance.pk] if reverse else pk_set or [])
    elif action == "pre_clear":
        ready.moved([instance.pk] if reverse else instance.rigs.values_list("id", flat=True))


def rigs_of(instance):
    """The ids of the rigs of a site, a rack or a tag."""
    if isinstance(instance, Tag):
        return list(instance.rigs.values_list("id", flat=True))
    field = "site" if isinstance(instance, Site) else "rack"
    return list(Placement.objects.filter(**{field: instance}).values_list("rig_id", flat=True))


def _group_saving(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if sender.objects.filter(pk=instance.pk).exclude(name=instance.name).exists():  # renamed
        ready.moved(rigs_of(instance))  # (their rows and shares are written under the new name)


def _group_deleting(sender, instance, **kwargs):
    ready.moved(rigs_of(instance))


def _group_deleted(sender, instance, **kwargs):
    kind = {Site: "site", Rack: "rack", Tag: "tag"}[sender]
    if kind == "rack" and Rack.objects.filter(name=instance.name).exists():
        return  # a rack's name is that name in every site: the others' rigs still count
    scope_sums.drop(scopes.key(kind, instance.name))


def connect():
    for model in (Site, Rack, Tag):
        pre_save.connect(_group_saving, sender=model, dispatch_uid=f"moves-{model.__name__}-saving")
        pre_delete.connect(_group_deleting, sender=model, dispatch_uid=f"moves-{model.__name__}-deleting")
        post_delete.connect(_group_deleted, sender=model, dispatch_uid=f"moves-{model.__name__}-deleted")
    post_save.connect(_placement_changed, sender=Placement, dispatch_uid="moves-placement-saved")
    post_delete.connect(_placement_changed, sender=Placement, dispatch_uid="moves-placement-deleted")
    m2m_changed.connect(_tagged, sender=Tag.rigs.through, dispatch_uid="moves-tagged")
