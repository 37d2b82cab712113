from django.urls import path

from notifications.api import NotificationListApi

urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="notification-list"),
]
