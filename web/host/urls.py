"""The host stand's addresses, under /host/ (docs/host-stand.md)."""

from django.urls import path  # noqa: F401 - the pages add their paths here

app_name = "host"

urlpatterns: list = []
