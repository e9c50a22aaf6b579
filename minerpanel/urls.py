from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from custompages import views as custom_pages
from farm.urls import admin_urlpatterns as farm_admin
from minerpanel import views
from minerpanel.auth import throttled
from minerpanel.minerphp import views as minerphp_views
from rigs.api import views as rig_api
from rigs.discovery import views as discovery_views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/login/", throttled(admin.site.login)),  # the same throttle as /login/
    path("admin/import-minerphp/", minerphp_views.import_minerphp, name="import_minerphp"),
    path("admin/discover/", discovery_views.discover, name="discover_rigs"),
    *farm_admin,  # before the admin's own: /admin/farm/import/
    path("admin/", admin.site.urls),
    path("pages/", include("custompages.urls")),
    path("api/rigs/", rig_api.rigs, name="api_rigs"),
    path("api/rigs/<str:rig>/", rig_api.rig_command, name="api_rig"),
    path("api/rigs/<str:rig>/<str:command>/", rig_api.rig_command, name="api_command"),
    path("api/rigs/<str:rig>/<str:command>/<str:parameter>", rig_api.rig_command, name="api_command_param"),
    path("api/pages/<slug:slug>/", rig_api.page, name="api_page"),
    path("tokens/", views.tokens, name="tokens"),
    path("favicon.ico", views.favicon),
    path("", include("watch.urls")),
    path("", include("farm.urls")),
    path("", include("automation.urls")),
    path("", custom_pages.summary, name="summary"),
    path("", include("rigs.urls")),
]
