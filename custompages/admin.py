import json
from dataclasses import replace

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.loader import render_to_string

from .definition import FIXED, JOINS, STANDARD
from .models import MAX_SECTIONS, CustomPage, PageSection, lines, section_warnings

PREVIEW_ROWS = 20


def section_choices():
    plain = sorted(STANDARD)
    joins = [f"{a}+{b}" for a, b in JOINS]
    return [("Fixed", [(n, n) for n in sorted(FIXED)]), ("Sections", [(n, n) for n in plain]),
            ("Joins", [(n, n) for n in joins])]


class PageSectionForm(forms.ModelForm):
    section = forms.ChoiceField(choices=section_choices, help_text="DATE and RIGS take no other box.")

    class Meta:
        model = PageSection
        fields = "__all__"

    def outline(self):
        """The folded section's one line: how many fields, which other boxes hold something, its errors."""
        value = {name: self[name].value() or "" for name in PageSection.TEXT_FIELDS}
        n = len(lines(value["fields"]))
        parts = [f"{n} field{'s' if n != 1 else ''}"] if n else []
        held = [name for name in PageSection.TEXT_FIELDS if name != "fields" and lines(value[name])]
        parts.append(", ".join(held))
        errors = sum(len(e) for e in self.errors.values()) if self.is_bound else 0
        if errors:
            parts.append(f"✖ {errors} error{'s' if errors != 1 else ''}")
        return " · ".join(p for p in parts if p)


class SectionFormSet(forms.BaseInlineFormSet):
    def open_index(self):
        """The section shown unfolded: the first with an error, else the first with boxes (not DATE or RIGS)."""
        return next((i for i, f in enumerate(self.forms) if f.is_bound and f.errors),
                    next((i for i, f in enumerate(self.forms) if f.instance.section not in FIXED), 0))


class PageSectionInline(admin.StackedInline):
    """One section unfolded at a time (templates/admin/custompages/sections.html), and in it only the
    boxes that hold something, with an "add" for the others (static/custompage_admin.js)."""
    model = PageSection
    form = PageSectionForm
    formset = SectionFormSet
    template = "admin/custompages/sections.html"
    extra = 0

    class Media:
        js = ("custompage_admin.js",)
        css = {"all": ("custompage_admin.css",)}
    max_num = MAX_SECTIONS
    fields = ("order", "section", "title", "fields", "totals", ("where", "having"), ("group", "calc"), ("bgen", "gen"),
              "sort",
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

        ctx = page_context(None, obj, shared=False)
        ctx["blocks"] = [{**b, "table": replace(b["table"], rows=b["table"].rows[:PREVIEW_ROWS], _html=None,
                                                drawn=None)}
                         if "table" in b else b for b in ctx["blocks"]]  # the shared build is left as it is
        return render_to_string("custompages/_live.html", ctx)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for section in form.instance.sections.all():
            for warning in section_warnings(section):
                messages.warning(request, warning)

    @admin.action(description="Export the selected pages as JSON")
    def export_json(self, request, queryset):
        data = [p.as_json() for p in queryset.prefetch_related("sections")]
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="minerpanel-pages.json"'
        return response
