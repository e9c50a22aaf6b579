import json

from django.contrib import admin, messages
from django.http import HttpResponse

from .models import MAX_SECTIONS, CustomPage, PageSection, section_warnings


class PageSectionInline(admin.StackedInline):
    model = PageSection
    extra = 0
    max_num = MAX_SECTIONS
    fields = ("order", "section", "title", "fields", "totals", ("where", "having"), ("group", "calc"), ("bgen", "gen"), "sort")


@admin.register(CustomPage)
class CustomPageAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "public", "order")
    list_editable = ("public", "order")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PageSectionInline]
    actions = ["export_json"]

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
