from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from core import api as core_api
from core.views import json_bad_request, json_not_found, json_server_error, metrics
from customers.api import TokenObtainApi, TokenRefreshApi
from reservations import views as reservation_views
from restaurants import views as restaurant_views

# The API docs are the only pages that widen the Content-Security-Policy: Swagger UI and Redoc
# style their elements inline, and Redoc runs its search in a worker made from a blob. Their
# scripts still come from this origin only (drf-spectacular-sidecar; Swagger UI's start-up
# script is a separate request, not inline).
swagger_ui = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)
redoc = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html")
)

api_patterns = [
    path("", core_api.api_root, name="api-root"),
    path("health/", core_api.health, name="health"),
    path("health/live/", core_api.health_live, name="health-live"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", swagger_ui, name="swagger-ui"),
    path("redoc/", redoc, name="redoc"),
    path("auth/token/", TokenObtainApi.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token_refresh"),
    path("", include("customers.urls")),
    path("", include("restaurants.urls")),
    path("", include("reservations.urls")),
    path("", include("notifications.urls")),
]

# The guest's manage page (the link in every email): no login, the token stands for the guest.
guest_page_patterns = [
    path("", reservation_views.manage_page, name="reservation-manage-page"),
    path("confirm/", reservation_views.manage_confirm, name="reservation-manage-confirm"),
    path("cancel/", reservation_views.manage_cancel, name="reservation-manage-cancel"),
    path("reservation.ics", reservation_views.manage_calendar, name="reservation-manage-calendar"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),
    path("r/<manage_token:token>/", include(guest_page_patterns)),
    # A staff invitation's link (the email's); the token is signed, so any string may come.
    path("invitations/<str:token>/", restaurant_views.invitation_page, name="invitation-page"),
    path("api/", include(api_patterns)),
    path("host/", include("web.host.urls")),
    path("", include("web.urls")),
]

handler400 = json_bad_request
handler404 = json_not_found
handler500 = json_server_error
