from django.urls import path

from . import views

urlpatterns = [
    path("", views.rig_list, name="rig_list"),
]
