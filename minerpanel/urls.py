from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from minerpanel import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("pages/", include("custompages.urls")),
    path("", include("rigs.urls")),
]
