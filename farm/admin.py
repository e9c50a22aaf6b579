"""Sites (their racks inline), racks, tags, maintenance (read-only: set in the panel, audited), and on
the Rig admin page: the rig's placement and tags, and actions on the selected rigs.

The Rig admin is rigs/admin.py's; this module registers a subclass in its place, so the rigs app
never imports this one (the layers in docs/architecture.md)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from minerpanel.auth import client_address
from rigs.admin import RigAdmin
from rigs.control import audit
from rigs.models import Rig

from . import placing
from .models import Maintenance, Placement, Rack, Site, Tag


class RackInline(admin.TabularInline):
    model = Rack
    fields = ("name", "rows", "columns", "order")
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "timezone", "rack_count", "rig_count")
    list_editable = ("order",)
    search_fields = ("name",)
    inlines = [RackInline]

    @admin.display(description="racks")
    def rack_count(self, obj):
        return obj.racks.count()

    @admin.display(description="rigs")
    def rig_count(self, obj):
        return obj.placements.count()


@admin.register(Rack)
class RackAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "rows", "columns", "order", "rig_count")
    list_filter = ("site",)
    list_select_related = ("site",)
    search_fields = ("name", "site__name")

    @admin.display(description="rigs")
    def rig_count(self, obj):
        return obj.placements.count()


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "rig_count")
    search_fields = ("name",)
    autocomplete_fields = ("rigs",)

    @admin.display(description="rigs")
    def rig_count(self, obj):
        return obj.rigs.count()


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin):
    """Read-only: maintenance is started and ended on the panel's pages (sys, audited)."""

    list_display = ("scope_label", "reason", "starts", "ends", "by", "ended_by")
    list_select_related = ("rig", "rack__site", "site")
    search_fields = ("reason", "by", "rig__name", "rack__name", "site__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlacementInline(admin.StackedInline):
    model = Placement
    fields = (("site", "rack"), ("row", "column"))
    autocomplete_fields = ("site", "rack")
    verbose_name = verbose_name_plural = "Site, rack and slot"
    max_num = 1
    extra = 1
    can_delete = True


class TagInline(admin.TabularInline):
    model = Tag.rigs.through
    autocomplete_fields = ("tag",)
    verbose_name, verbose_name_plural = "tag", "Tags"
    extra = 1


class PlaceForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.all())
    rack = forms.ModelChoiceField(queryset=Rack.objects.select_related("site"), required=False,
                                  help_text="Empty: in the site, outside racks. A rig that changes rack leaves its "
                                            "slot.")

    def clean(self):
        data = super().clean()
        if data.get("rack") and data.get("site") and data["rack"].site_id != data["site"].pk:
            self.add_error("rack", f"Rack {data['rack'].name} is in site {data['rack'].site.name}.")
        return data


class AddTagForm(forms.Form):
    tag = forms.CharField(max_length=64, help_text="An existing tag, or a new one.")

    def clean_tag(self):
        name = self.cleaned_data["tag"].strip()
        if not name or any(c in name for c in "\r\n\t;|"):
            raise forms.ValidationError("A tag is one line, without ; or | (they separate tags in the CSV).")
        return name


class RemoveTagForm(forms.Form):
    tag = forms.ModelChoiceField(queryset=Tag.objects.all())


def with_form(form_class, title, apply):
    """An admin action that asks its values on a page of its own, then applies them to the selected rigs
    and writes one audit row."""

    def action(modeladmin, request, queryset):
        rigs = list(queryset.order_by("name"))
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            command, params, changed = apply(rigs, form.cleaned_data)
            audit(request.user, client_address(request), None, command, {**params, "rigs": len(rigs)}, "S",
                  message=", ".join(changed) or "nothing changed")
            modeladmin.message_user(request, f"{title}: {len(changed)} of {len(rigs)} rig(s) changed.",
                                    messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/farm/rig_action.html", {
            **modeladmin.admin_site.each_context(request), "title": title, "form": form, "rigs": rigs,
            "action": request.POST.get("action"), "opts": modeladmin.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": "1" if request.POST.get("select_across") == "1" else "0"})

    action.short_description = title
    action.__name__ = apply.__name__
    action.allowed_permissions = ("change",)
    return action


def place_rigs(rigs, data):
    site, rack = data["site"], data.get("rack")
    return "farm-place", {"site": site.name, "rack": rack.name if rack else ""}, placing.place(rigs, site, rack)


def tag_rigs(rigs, data):
    _, changed = placing.add_tag(rigs, data["tag"])
    return "farm-tag", {"tag": data["tag"]}, changed


def untag_rigs(rigs, data):
    return "farm-untag", {"tag": data["tag"].name}, placing.remove_tag(rigs, data["tag"])


@admin.action(description="Take the selected rigs out of their site", permissions=["change"])
def unplace_rigs(modeladmin, request, queryset):
    changed = placing.unplace(list(queryset))
    audit(request.user, client_address(request), None, "farm-unplace", {"rigs": queryset.count()}, "S",
          message=", ".join(changed) or "nothing changed")
    modeladmin.message_user(request, f"{len(changed)} rig(s) taken out of their site.", messages.SUCCESS)


class FarmRigAdmin(RigAdmin):
    """rigs/admin.py's RigAdmin, with the rig's place and tags, filters by them, and group actions."""

    inlines = [*RigAdmin.inlines, PlacementInline, TagInline]
    list_display = (*RigAdmin.list_display, "place", "tag_names")
    list_filter = (*RigAdmin.list_filter, "placement__site", "placement__rack", "tags")
    actions = [with_form(PlaceForm, "Set the site and rack of the selected rigs", place_rigs),
               with_form(AddTagForm, "Add a tag to the selected rigs", tag_rigs),
               with_form(RemoveTagForm, "Remove a tag from the selected rigs", untag_rigs),
               unplace_rigs]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("placement__site", "placement__rack") \
            .prefetch_related("tags")

    @admin.display(description="site / rack / slot")
    def place(self, obj):
        p = getattr(obj, "placement", None) if hasattr(obj, "placement") else None
        return p.where if p else ""

    @admin.display(description="tags")
    def tag_names(self, obj):
        return ", ".join(t.name for t in obj.tags.all())


admin.site.unregister(Rig)
admin.site.register(Rig, FarmRigAdmin)
