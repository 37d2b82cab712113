"""Django's admin with ReservaFlow's site (restaurants.admin_access): superusers and the
managers of restaurants, each seeing their own scope. Listed in INSTALLED_APPS instead of
``django.contrib.admin``; this module imports no model, as an app config must not."""

from django.contrib.admin.apps import AdminConfig


class ReservaFlowAdminConfig(AdminConfig):
    default_site = "restaurants.admin_access.ReservaFlowAdminSite"
