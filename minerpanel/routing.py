from django.urls import path

from farm.live import MapConsumer
from rigs.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/summary/", LiveConsumer.as_asgi()),
    path("ws/live/rig/<int:pk>/", LiveConsumer.as_asgi()),
    path("ws/live/page/<slug:slug>/", LiveConsumer.as_asgi()),
    path("ws/map/", MapConsumer.as_asgi()),
]
