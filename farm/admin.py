"""Sites (their racks inline), racks, tags, maintenance (read-only: set in the panel, audited), and on
the Rig admin page: the rig's placement and tags, and actions on the selected rigs.

The Rig admin is rigs/admin.py's; this module registers a subclass in its place, so the rigs app
never imports this one (the layers in docs/architecture.md)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from minerpanel.auth import client_address
from rigs.admin import RigAdmin, RigForm
from rigs.control import audit
from rigs.models import Rig

from . import placing
from .models import MAX_COLUMNS, MAX_ROWS, Maintenance, Placement, Rack, Site, Tag


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


class FarmRigForm(RigForm):
    """rigs/admin.py's Rig form with the rig's site, rack, slot and tags. A submission without them (a
    script posting the fields it knows) leaves the rig's place and tags as they are."""

    place_site = forms.ModelChoiceField(Site.objects.all(), required=False, label="Site")
    place_rack = forms.ModelChoiceField(Rack.objects.select_related("site"), required=False, label="Rack",
                                        help_text="Empty: in the site, outside racks.")
    place_row = forms.IntegerField(required=False, min_value=1, max_value=MAX_ROWS, label="Row",
                                   help_text="From the top; with the column, the rig's slot in the rack.")
    place_column = forms.IntegerField(required=False, min_value=1, max_value=MAX_COLUMNS, label="Column",
                                      help_text="From the left.")
    place_tags = forms.CharField(required=False, max_length=1000, label="Tags",
                                 help_text="Separated by ; or | (new ones are made).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            p = Placement.objects.filter(rig=self.instance).first()
            if p is not None:
                self.initial.update(place_site=p.site_id, place_rack=p.rack_id, place_row=p.row, place_column=p.column)
            self.initial["place_tags"] = "; ".join(self.instance.tags.values_list("name", flat=True))

    def placing(self):
        """Whether the submission says where the rig stands (the form showed the fields)."""
        return "place_site" in self.data

    def clean(self):
        data = super().clean()
        if not self.placing():
            return data
        site, rack, row, col = (data.get(k) for k in ("place_site", "place_rack", "place_row", "place_column"))
        if site is None:
            if rack or row or col:
                self.add_error("place_site", "Choose the site of the rack, or leave rack and slot empty.")
        else:
            try:
                Placement(rig_id=self.instance.pk, site=site, rack=rack, row=row, column=col).clean()
            except forms.ValidationError as exc:
                for field, messages_ in exc.message_dict.items():
                    self.add_error(f"place_{field}" if field in ("site", "rack", "row", "column") else None,
                                   messages_)
        names = [t.strip() for t in (data.get("place_tags") or "").replace("|", ";").split(";") if t.strip()]
        if any(len(n) > 64 or any(c in n for c in "\r\n\t") for n in names):
            self.add_error("place_tags", "A tag has at most 64 characters, on one line.")
        data["place_tags"] = list(dict.fromkeys(names))
        return data

    def save_place(self, rig):
        """Write the rig's place and tags (after the rig itself is saved)."""
        if not self.placing():
            return
        data = self.cleaned_data
        if data.get("place_site") is None:
            placing.unplace([rig])
        else:
            Placement.objects.update_or_create(rig=rig, defaults={
                "site": data["place_site"], "rack": data.get("place_rack"), "row": data.get("place_row"),
                "column": data.get("place_column")})
        wanted = {Tag.objects.get_or_create(name=name)[0] for name in data["place_tags"]}
        rig.tags.set(wanted)


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

    form = FarmRigForm
    fieldsets = [*RigAdmin.fieldsets, ("Site, rack and slot", {
        "fields": (("place_site", "place_rack"), ("place_row", "place_column"), "place_tags"),
        "description": "Where the rig stands (the rack map, filters, maintenance of a rack or site) and its tags."})]
    list_display = (*RigAdmin.list_display, "place", "tag_names")
    list_filter = (*RigAdmin.list_filter, "placement__site", "placement__rack", "tags")
    actions = [with_form(PlaceForm, "Set the site and rack of the selected rigs", place_rigs),
               with_form(AddTagForm, "Add a tag to the selected rigs", tag_rigs),
               with_form(RemoveTagForm, "Remove a tag from the selected rigs", untag_rigs),
               unplace_rigs]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.save_place(form.instance)

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
