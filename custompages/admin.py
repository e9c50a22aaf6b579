import json

from django.contrib import admin
from django.http import HttpResponse

from .models import MAX_SECTIONS, CustomPage, PageSection


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

    @admin.action(description="Export the selected pages as JSON")
    def export_json(self, request, queryset):
        data = [p.as_json() for p in queryset.prefetch_related("sections")]
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="minerpanel-pages.json"'
        return response
