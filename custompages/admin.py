import json

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.template.loader import render_to_string

from . import engine
from .models import CustomPage, PageSection

PREVIEW_ROWS = 20


def section_choices():
    plain = sorted(engine.STANDARD)
    joins = [f"{a}+{b}" for a, b in engine.JOINS]
    return [("Fixed", [(n, n) for n in sorted(engine.FIXED)]), ("Sections", [(n, n) for n in plain]),
            ("Joins", [(n, n) for n in joins])]


class PageSectionForm(forms.ModelForm):
    section = forms.ChoiceField(choices=section_choices, help_text="DATE and RIGS take no other box.")

    class Meta:
        model = PageSection
        fields = "__all__"


class PageSectionInline(admin.StackedInline):
    model = PageSection
    form = PageSectionForm
    extra = 0

    class Media:
        js = ("custompage_admin.js",)
    fields = ("order", "section", "title", "fields", "totals", ("where", "having"), ("group", "calc"), ("bgen", "gen"), "sort",
              "formats")


@admin.register(CustomPage)
class CustomPageAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "public", "order")
    list_editable = ("public", "order")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PageSectionInline]
    actions = ["export_json"]
    readonly_fields = ("preview",)

    @admin.display(description="Preview (saved version, first rows of each table)")
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the page to see it here."
        from .render import page_context

        ctx = page_context(None, obj)
        for block in ctx["blocks"]:
            if "table" in block:
                block["table"].rows = block["table"].rows[:PREVIEW_ROWS]
        return render_to_string("custompages/_live.html", ctx)

    @admin.action(description="Export the selected pages as JSON")
    def export_json(self, request, queryset):
        data = [p.as_json() for p in queryset.prefetch_related("sections")]
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="minerpanel-pages.json"'
        return response
