from django.urls import path

from restaurants.api import children, combinations, invitations, staff
from restaurants.api.restaurants import RestaurantDetailView, RestaurantListView

RESTAURANT = "restaurants/<int:restaurant_id>/"

urlpatterns = [
    path("restaurants/", RestaurantListView.as_view(), name="restaurant-list"),
    path(RESTAURANT, RestaurantDetailView.as_view(), name="restaurant-detail"),
    path(f"{RESTAURANT}tables/", children.TableListView.as_view(), name="table-list"),
    path(
        f"{RESTAURANT}tables/<int:table_id>/",
        children.TableDetailView.as_view(),
        name="table-detail",
    ),
    path(
        f"{RESTAURANT}opening-hours/",
        children.OpeningHoursListView.as_view(),
        name="opening-hours-list",
    ),
    path(
        f"{RESTAURANT}opening-hours/<int:opening_hours_id>/",
        children.OpeningHoursDetailView.as_view(),
        name="opening-hours-detail",
    ),
    path(f"{RESTAURANT}closures/", children.ClosureListView.as_view(), name="closure-list"),
    path(
        f"{RESTAURANT}closures/<int:closure_id>/",
        children.ClosureDetailView.as_view(),
        name="closure-detail",
    ),
    path(
        f"{RESTAURANT}duration-rules/",
        children.DurationRuleListView.as_view(),
        name="duration-rule-list",
    ),
    path(
        f"{RESTAURANT}duration-rules/<int:duration_rule_id>/",
        children.DurationRuleDetailView.as_view(),
        name="duration-rule-detail",
    ),
    path(
        f"{RESTAURANT}combinations/",
        combinations.TableCombinationListView.as_view(),
        name="table-combination-list",
    ),
    path(
        f"{RESTAURANT}combinations/<int:combination_id>/",
        combinations.TableCombinationDetailView.as_view(),
        name="table-combination-detail",
    ),
    path(f"{RESTAURANT}staff/", staff.MembershipListView.as_view(), name="membership-list"),
    path(
        f"{RESTAURANT}invitations/",
        invitations.InvitationListView.as_view(),
        name="invitation-list",
    ),
    path(
        f"{RESTAURANT}invitations/<int:invitation_id>/",
        invitations.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path(
        "invitations/<str:token>/",
        invitations.InvitationLinkApi.as_view(),
        name="invitation-link",
    ),
    path(
        "invitations/<str:token>/accept/",
        invitations.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path(
        f"{RESTAURANT}staff/<int:membership_id>/",
        staff.MembershipDetailView.as_view(),
        name="membership-detail",
    ),
]
