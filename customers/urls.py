from django.urls import path

from customers import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("customers/", api.CustomerListApi.as_view(), name="customer-list"),
    path("customers/me/", api.CustomerMeApi.as_view(), name="customer-me"),
    path("customers/<int:pk>/", api.CustomerDetailApi.as_view(), name="customer-detail"),
    path(
        "restaurants/<int:restaurant_id>/guests/<int:customer_id>/record/",
        api.GuestRecordApi.as_view(),
        name="guest-record",
    ),
]
