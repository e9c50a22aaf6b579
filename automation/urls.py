from django.urls import path

from . import pool_views, views

urlpatterns = [
    path("curtailment/", views.curtailment, name="curtailment"),
    path("curtailment/curtail/", views.curtail_now, name="curtail_now"),
    path("curtailment/resume/", views.resume_now, name="resume_now"),
    path("energy/", views.energy_page, name="energy"),
    path("automation/", views.automation_page, name="automation"),
    path("pools/", pool_views.pools_form, name="pools"),
    path("pools/preview/", pool_views.pools_preview, name="pools_preview"),
    path("pools/apply/", pool_views.pools_apply, name="pools_apply"),
]
