from django.urls import path

from . import import_views, views

urlpatterns = [
    path("map/", views.rack_map, name="farm_map"),
    path("maintenance/", views.maintenance_list, name="maintenance"),
    path("maintenance/start/", views.maintenance_start, name="maintenance_start"),
    path("maintenance/<int:pk>/end/", views.maintenance_end, name="maintenance_end"),
]

admin_urlpatterns = [
    path("admin/farm/import/", import_views.import_placements, name="farm_import"),
    path("admin/farm/export.csv", import_views.export_placements, name="farm_export"),
]
