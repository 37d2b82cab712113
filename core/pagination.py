from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination as _PageNumberPagination

from core.serializers import StrictIntegerField, parse_query


class PageQuerySerializer(serializers.Serializer):
    page = StrictIntegerField(required=False, min_value=1)
    page_size = StrictIntegerField(required=False, min_value=1)


class PageNumberPagination(_PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100; larger asks get 100) on every list, each
    in ASCII digits: anything else is a 400 naming the parameter (DRF's own would read
    ``?page_size=٢`` as 2 and quietly use the default for ``?page_size=abc``)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        asked = parse_query(PageQuerySerializer, request.query_params).get("page_size")
        return min(asked, self.max_page_size) if asked else self.page_size

    def get_page_number(self, request, paginator):
        return parse_query(PageQuerySerializer, request.query_params).get("page", 1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1  # 0 is a 400, as the serializer above says
        return parameters
