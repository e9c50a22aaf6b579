from django.urls import path

from . import metrics, views

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/ack/", views.alert_ack, name="alert_ack"),
    path("alerts/silence/", views.silence, name="alert_silence"),
    path("alerts/silence/<int:pk>/delete/", views.unsilence, name="alert_unsilence"),
    path("history/rigs/<int:pk>.json", views.rig_history, name="rig_history"),
    path("history/farm.json", views.farm_history, name="farm_history"),
    path("history/sites/<int:site>.json", views.farm_history, name="site_history"),
    path("history/sparklines.json", views.sparklines, name="sparklines"),
    path("charts/", views.charts, name="farm_charts"),
    path("charts/<int:pk>/", views.charts, name="rig_charts"),
    path("metrics", metrics.metrics, name="metrics"),
]
