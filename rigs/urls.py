from django.urls import path

from . import views

urlpatterns = [
    path("", views.summary, name="summary"),
    path("rigs/<int:pk>/", views.rig_detail, name="rig_detail"),
    path("refresh/", views.set_refresh, name="set_refresh"),
]
