from django.urls import path

from . import views

urlpatterns = [
    path("", views.summary, name="summary"),
    path("rigs/<int:pk>/", views.rig_detail, name="rig_detail"),
    path("refresh/", views.set_refresh, name="set_refresh"),
    path("rigs/<int:pk>/command/", views.rig_command, name="rig_command"),
    path("rigs/<int:pk>/access/", views.rig_check_access, name="rig_check_access"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/run/", views.bulk_run, name="bulk_run"),
    path("audit/", views.audit_log, name="audit"),
]
