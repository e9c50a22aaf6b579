import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minerpanel.settings")
django.setup(set_prefix=False)

from minerpanel.http_handler import OneHopHandler  # noqa: E402

django_asgi_app = OneHopHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from minerpanel.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
