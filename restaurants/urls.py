from django.urls import path

from restaurants.api import children, combinations, invitations, staff
from restaurants.api.restaurants import RestaurantDetailView, RestaurantListView

RESTAURANT = "restaurants/<int:restaurant_id>/"


def _collection(segment: str, name: str, list_view, detail_view, id_name: str) -> list:
    """A restaurant's collection: ``{segment}/`` (``{name}-list``) and
    ``{segment}/<id_name>/`` (``{name}-detail``)."""
    return [
        path(f"{RESTAURANT}{segment}/", list_view.as_view(), name=f"{name}-list"),
        path(
            f"{RESTAURANT}{segment}/<int:{id_name}>/",
            detail_view.as_view(),
            name=f"{name}-detail",
        ),
    ]


urlpatterns = [
    path("restaurants/", RestaurantListView.as_view(), name="restaurant-list"),
    path(RESTAURANT, RestaurantDetailView.as_view(), name="restaurant-detail"),
    *_collection("tables", "table", children.TableListView, children.TableDetailView, "table_id"),
    *_collection(
        "opening-hours",
        "opening-hours",
        children.OpeningHoursListView,
        children.OpeningHoursDetailView,
        "opening_hours_id",
    ),
    *_collection(
        "closures", "closure", children.ClosureListView, children.ClosureDetailView, "closure_id"
    ),
    *_collection(
        "duration-rules",
        "duration-rule",
        children.DurationRuleListView,
        children.DurationRuleDetailView,
        "duration_rule_id",
    ),
    *_collection(
        "combinations",
        "table-combination",
        combinations.TableCombinationListView,
        combinations.TableCombinationDetailView,
        "combination_id",
    ),
    *_collection(
        "staff", "membership", staff.MembershipListView, staff.MembershipDetailView, "membership_id"
    ),
    *_collection(
        "invitations",
        "invitation",
        invitations.InvitationListView,
        invitations.InvitationDetailView,
        "invitation_id",
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
]
