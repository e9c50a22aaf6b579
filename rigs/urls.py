from django.urls import path

from rigs.web import client_views, views

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("rigs/<int:pk>/", views.rig_detail, name="rig_detail"),
    path("rigs/find/", views.rig_find, name="rig_find"),
    path("refresh/", views.set_refresh, name="set_refresh"),
    path("rigs/<int:pk>/command/", views.rig_command, name="rig_command"),
    path("rigs/<int:pk>/access/", views.rig_check_access, name="rig_check_access"),
    path("rigs/<int:pk>/client/config/", client_views.client_config, name="client_config"),
    path("rigs/<int:pk>/client/config/save/", client_views.client_config_save, name="client_config_save"),
    path("rigs/<int:pk>/client/log/", client_views.client_log, name="client_log"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/run/", views.bulk_run, name="bulk_run"),
    path("audit/", views.audit_log, name="audit"),
]
