"""What every REST endpoint shares: errors, permissions, center scoping, strict datetimes, idempotency.

* Errors: :func:`exception_handler` maps domain errors (``scheduling.errors.SchedulingError``) to their HTTP
  status with ``as_dict()`` as the body, model validation errors to 400 naming the field, and database errors
  that bad input could still reach (out-of-range values, a row another request just took, a protected delete)
  to a 4xx, so that no input produces a 500.
* Permissions: :class:`ModelPermissions` asks the same model permissions as the pages (the role groups of
  ``chairs/roles.py``); viewsets scope their querysets to the user's centers, so another center's object is
  a 404.
* :class:`StrictDateTimeField` refuses datetimes without a UTC offset.
* :func:`idempotent` replays the first response of a POST sent again with the same ``Idempotency-Key``.

Over 400 lines because these are the API's shared pieces, each short; the error handler is the one
place a domain or database error becomes an HTTP answer, which is why it stays in one module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError, connection, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.services import issue_token
from scheduling.errors import SchedulingError
from scheduling.locking import is_race

logger = logging.getLogger(__name__)

# Datetimes outside these years are refused: nothing in a clinic happens then, and arithmetic near
# datetime.min / datetime.max would overflow.
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_TEXT_LENGTH = 5000


# --- Errors --------------------------------------------------------------------------------------


def _validation_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in error.messages]}


def _error_codes(detail) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*(_error_codes(v) for v in detail.values())) if detail else set()
    if isinstance(detail, list):
        return set().union(*(_error_codes(v) for v in detail)) if detail else set()
    return {getattr(detail, "code", "invalid")}


def exception_handler(exc, context):
    """DRF's handler, plus the domain and database errors a client can cause.

    A request whose only problem is a reference to an object the user cannot see (another center's
    chair, an unknown id) is a 404, like the object's own URL would be; the body still names the field.
    """
    if isinstance(exc, exceptions.ValidationError) and _error_codes(exc.detail) == {"does_not_exist"}:
        fields = exc.detail if isinstance(exc.detail, dict) else {}
        return Response(
            {"code": "not_found", "detail": _first_message(exc.detail), **fields}, status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A bare list (e.g. from a filter backend): still an object, as the schema documents 400 bodies.
        return Response({api_settings.NON_FIELD_ERRORS_KEY: exc.detail}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SchedulingError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "too_large", "detail": "The request body is too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {"code": "protected", "detail": "Other records still refer to this one (for example appointments)."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        logger.info("Integrity error answered with 409: %s", exc)
        return Response(
            {"code": "conflict", "detail": "This change conflicts with existing data: " + _first_line(exc)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        return Response(
            {"code": "invalid", "detail": "A value is out of range or malformed: " + _first_line(exc)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OperationalError) and is_race(exc):
        logger.info("Deadlock or serialization failure answered with 409: %s", exc)
        return Response(
            {"code": "busy", "detail": "Another change got there first; please try again."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OperationalError) and "lock timeout" in str(exc):
        return Response(
            {"code": "busy", "detail": "The record is busy with another change; please try again."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


def _first_message(detail) -> str:
    """The first human message of a (possibly nested) DRF error detail."""
    if isinstance(detail, dict):
        return next((f"{key}: {_first_message(value)}" for key, value in detail.items()), "Not found.")
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Not found."
    return str(detail)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def django_validation_to_drf(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(_validation_body(error))


# --- Permissions and scoping ---------------------------------------------------------------------


class ModelPermissions(permissions.DjangoModelPermissions):
    """The model permissions of the role groups, reading included.

    A viewset may name the permission an extra action needs with ``action_permissions``,
    e.g. ``{"check_in": "change"}``; unlisted extra actions need ``view`` for GET and
    ``change`` otherwise.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        extra = getattr(view, "action_permissions", {})
        if action in extra:
            model = self._queryset(view).model
            codename = f"{model._meta.app_label}.{extra[action]}_{model._meta.model_name}"
            return request.user.has_perm(codename)
        return super().has_permission(request, view)


class WholeListView(GenericAPIView):
    """An endpoint about one record (a workflow, a list that stays short): answered whole, unpaginated and
    unfiltered, under the role groups' model permissions of ``queryset``'s model (``.none()`` of the model
    whose permissions apply)."""

    permission_classes = [ModelPermissions]
    pagination_class = None
    filter_backends: list = []


def user_center_ids(user) -> list[int]:
    """Ids of the centers the user works at (cached on the user for the request)."""
    cached = getattr(user, "_api_center_ids", None)
    if cached is None:
        from chairs.selectors import centers_for

        def load() -> list[int]:
            return list(centers_for(user=user).values_list("pk", flat=True))

        if user.is_superuser or not user.is_authenticated:
            cached = load()  # every center: not cached (a new center would be missed)
        else:
            # Cached until the user's memberships change (Center.staff bumps the user's version).
            from infusion_center.auth_backend import user_scopes
            from infusion_center.versioned_cache import cached as cached_read

            cached = cached_read(user_scopes(user.pk), f"centers:{user.pk}", load)
        user._api_center_ids = cached
    return cached


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to what the requesting user may see: another center's id is 'does not exist'.

    ``scope`` receives the user and the model's default queryset and returns the visible queryset.
    """

    def __init__(self, *, scope: Callable, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        assert queryset is not None  # these fields are always given a queryset
        if request is None or not request.user.is_authenticated:
            return queryset.none()
        return self.scope(request.user, queryset)

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, int) and not -(2**63) <= data < 2**63):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.strip().isdigit():
            self.fail("incorrect_type", data_type="str")
        if isinstance(data, str) and len(data.strip()) > 18:
            self.fail("does_not_exist", pk_value=data[:40])
        return super().to_internal_value(data)


def in_user_centers(field: str = "center_id") -> Callable:
    def scope(user, queryset):
        return queryset.filter(**{f"{field}__in": user_center_ids(user)})

    return scope


class Pagination(LimitOffsetPagination):
    """``limit`` (1–500, default 50) and ``offset`` (0–10⁹); anything else is a 400 naming the parameter."""

    default_limit = 50
    max_limit = 500
    max_offset = 10**9

    def _bounded(self, request, name: str, *, default: int, low: int, high: int) -> int:
        values = request.query_params.getlist(name)
        if not values:
            return default
        text = values[-1].strip()
        if len(values) > 1 or not text.isdigit() or not low <= int(text) <= high:
            raise serializers.ValidationError({name: [f"Give one whole number from {low} to {high}."]})
        return int(text)

    def get_limit(self, request) -> int:
        return self._bounded(request, self.limit_query_param, default=self.default_limit, low=1, high=self.max_limit)

    def get_offset(self, request) -> int:
        return self._bounded(request, self.offset_query_param, default=0, low=0, high=self.max_offset)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


# --- Bounded dates --------------------------------------------------------------------------------

DATE_RANGE_MESSAGE = f"Use a date between the years {MIN_YEAR} and {MAX_YEAR}."


def _refuse_out_of_range_date(value: dt.date | None) -> None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DjangoValidationError(DATE_RANGE_MESSAGE, code="date_range")


class BoundedDateFormField(forms.DateField):
    """A query-string date (for django-filter) that must fall between MIN_YEAR and MAX_YEAR."""

    default_validators = [_refuse_out_of_range_date]


class BoundedDateFilter(django_filters.DateFilter):
    """A date filter refusing years outside MIN_YEAR–MAX_YEAR with a 400 naming the parameter
    (a date near 9999-12-31 would overflow the day arithmetic that follows)."""

    field_class = BoundedDateFormField


class BoundedDateField(serializers.DateField):
    """A date between MIN_YEAR and MAX_YEAR."""

    default_error_messages = {"range": DATE_RANGE_MESSAGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("range")
        return parsed


# --- Strict datetimes ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-12-07T09:00:00-05:00"})
class StrictDateTimeField(serializers.DateTimeField):
    """ISO 8601 datetimes that must carry a UTC offset (``Z`` or ``±hh:mm``); naive ones are refused."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-12-07T09:00:00-05:00 (a time without an offset is ambiguous).",
        "invalid": "Use an ISO 8601 date and time with a UTC offset, e.g. 2026-12-07T09:00:00-05:00.",
        "range": f"Use a date between the years {MIN_YEAR} and {MAX_YEAR}.",
    }

    def to_internal_value(self, value):
        parsed: dt.datetime | None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, str) and len(value) <= 64:
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid")
        else:
            self.fail("invalid")
        assert parsed is not None  # fail() raised otherwise
        if timezone.is_naive(parsed):
            self.fail("naive")
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("range")
        return self.enforce_timezone(parsed)


def parse_aware(value: str, *, field: str) -> dt.datetime:
    """A query parameter as an aware datetime, or a 400 naming the parameter."""
    try:
        return StrictDateTimeField().to_internal_value(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({field: error.detail}) from error


def parse_date(value: str, *, field: str) -> dt.date:
    """A query parameter as a date between MIN_YEAR and MAX_YEAR, or a 400 naming the parameter."""
    try:
        return BoundedDateField().to_internal_value(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({field: error.detail}) from error


def query_int(request, name: str, *, message: str = "Give a whole number.") -> int | None:
    """A query parameter as an id-sized whole number (None when absent or blank), or a 400 naming it."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 18:
        raise serializers.ValidationError({name: [message]})
    return int(value)


class StrictModelSerializer(serializers.ModelSerializer):
    """Model serializer with strict datetimes, bounded text, E.164 phones and the model's clean() rules."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: StrictDateTimeField,
    }

    def build_standard_field(self, field_name, model_field):
        from phonenumber_field.modelfields import PhoneNumberField as PhoneModelField

        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, PhoneModelField):
            from phonenumber_field.serializerfields import PhoneNumberField

            field_class = PhoneNumberField
            kwargs.pop("max_length", None)
            kwargs.setdefault("help_text", "A phone number, stored in E.164, e.g. +16175550142.")
        elif isinstance(model_field, models.TextField):
            kwargs.setdefault("max_length", MAX_TEXT_LENGTH)
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # DRF drops allow_blank from read-only fields, so the schema would say a blank choice (e.g. an
        # appointment nobody cancelled: cancelled_by "") is impossible although the API answers it.
        blank_choice = kwargs.get("allow_blank") and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs

    def run_model_clean(self, attrs: dict) -> None:
        """Run the model's clean() on the would-be instance, reporting its errors by field."""
        model: Any = self.Meta.model
        concrete = {f.name for f in model._meta.concrete_fields}
        if self.instance is not None:
            candidate = model(**{f.attname: getattr(self.instance, f.attname) for f in model._meta.concrete_fields})
        else:
            candidate = model()
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise django_validation_to_drf(error) from error

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.run_model_clean(attrs)
        return attrs

    def local_timezone(self, instance):
        """The time zone datetimes of this instance are shown in (its center's); None for UTC."""
        return None

    def to_representation(self, instance):
        tz = self.local_timezone(instance)
        if tz is None:
            return super().to_representation(instance)
        with timezone.override(tz):
            return super().to_representation(instance)


# --- Idempotency ---------------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers a retry should not replay: the client should try again and get a fresh answer.
_TRANSIENT_CODES = {"center_busy", "busy"}


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(handler: Callable) -> Callable:
    """Wrap a viewset method: a POST with an Idempotency-Key header is answered once and then replayed.

    The key belongs to the user. A replay with the same method, path and body returns the first
    response (with ``Idempotent-Replayed: true``); the same key with another body is refused with 422.
    Requests with the same key are serialized with a transaction-level advisory lock.
    """

    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _KEY_PATTERN.match(key):
            raise serializers.ValidationError(
                {IDEMPOTENCY_HEADER: ["Use 1 to 255 printable ASCII characters without spaces."]}
            )
        from scheduling.models import IdempotencyKey

        fingerprint = _fingerprint(request)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{request.user.pk}:{key}"])
            stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if stored is not None:
                if stored.request_fingerprint != fingerprint:
                    return Response(
                        {
                            "code": "idempotency_key_reused",
                            "detail": "This Idempotency-Key was already used for a different request.",
                        },
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                response = Response(stored.response_body, status=stored.response_status)
                response["Idempotent-Replayed"] = "true"
                return response
            try:
                response = handler(view, request, *args, **kwargs)
            except exceptions.APIException as exc:
                response = view.handle_exception(exc)
            except (SchedulingError, DjangoValidationError) as exc:
                response = exception_handler(exc, {"view": view, "request": request})
            body = response.data
            transient = isinstance(body, dict) and body.get("code") in _TRANSIENT_CODES
            if response.status_code < 500 and not transient:
                IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    request_fingerprint=fingerprint,
                    response_status=response.status_code,
                    response_body=json.loads(json.dumps(body, default=str)),
                )
            return response

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    wrapper.__wrapped__ = handler  # type: ignore[attr-defined]
    return wrapper


IDEMPOTENCY_PARAMETER_DOC = (
    "Optional. A unique key (1–255 printable characters) for this request; sending the same request again with "
    "the same key returns the first response instead of acting twice. The same key with a different body is "
    "refused with 422."
)


class ObtainTokenView(ObtainAuthToken):
    """POST a user name and password, get the token to send as ``Authorization: Token <token>``."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Get an API token",
        description=(
            "Exchange a user name and password for a token; send it on every request as "
            "`Authorization: Token <token>`. Wrong credentials are a 400; repeated failures lock the account "
            "for a while."
        ),
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(max_length=150), "password": serializers.CharField(max_length=128)},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong or missing credentials."),
            429: OpenApiResponse(description="Locked after repeated failures; try again later."),
        },
        examples=[
            OpenApiExample("Credentials", value={"username": "nina.nurse", "password": "…"}, request_only=True),
            OpenApiExample("Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
        ],
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                return Response(
                    {
                        "code": "locked_out",
                        "detail": "Too many failed logins for this account; try again later.",
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise serializers.ValidationError(serializer.errors)
        token = issue_token(user=serializer.validated_data["user"])
        return Response({"token": token.key})


# --- Schema documentation ----------------------------------------------------------------------------

ERROR_EXAMPLES = {
    "400": OpenApiExample(
        "Invalid field",
        value={
            "start": ["Include a UTC offset, e.g. 2026-12-07T09:00:00-05:00 (a time without an offset is ambiguous)."]
        },
        response_only=True,
        status_codes=["400"],
    ),
    "404": OpenApiExample(
        "Not yours", value={"detail": "No Chair matches the given query."}, response_only=True, status_codes=["404"]
    ),
    "409": OpenApiExample(
        "In use",
        value={"code": "protected", "detail": "Other records still refer to this one (for example appointments)."},
        response_only=True,
        status_codes=["409"],
    ),
}


class ErrorSerializer(serializers.Serializer):
    """A refusal: a stable ``code`` and a human ``detail`` (booking refusals add ``reasons``)."""

    code = serializers.CharField(required=False)
    detail = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class RefusedSerializer(ErrorSerializer):
    """A 409 from scheduling: ``reasons`` lists every constraint that refused a booking or a move."""

    reasons = ReasonSerializer(many=True, required=False)


def crud_schema(
    *,
    noun: str,
    plural: str,
    example: dict,
    list_description: str,
    write_description: str,
    create_example: dict,
    patch_example: dict,
    delete_description: str,
) -> dict:
    """``extend_schema_view`` arguments giving every CRUD operation a summary, a description and examples."""
    shown = OpenApiExample(f"A {noun}", value=example, response_only=True)
    created = OpenApiExample(f"Created {noun}", value=example, response_only=True, status_codes=["201"])
    new = OpenApiExample(f"New {noun}", value=create_example, request_only=True)
    patch = OpenApiExample(f"Change a {noun}", value=patch_example, request_only=True)
    return {
        "list": extend_schema(summary=f"List {plural}", description=list_description, examples=[shown]),
        "retrieve": extend_schema(
            summary=f"One {noun}",
            description=f"One {noun} of your centers; another center's is a 404.",
            examples=[shown],
        ),
        "create": extend_schema(
            summary=f"Add a {noun}",
            description=write_description,
            examples=[new, created, ERROR_EXAMPLES["400"]],
        ),
        "update": extend_schema(
            summary=f"Replace a {noun}",
            description=write_description + " Send every field.",
            examples=[new, shown, ERROR_EXAMPLES["400"]],
        ),
        "partial_update": extend_schema(
            summary=f"Change a {noun}",
            description=write_description + " Send only the fields to change.",
            examples=[patch, shown, ERROR_EXAMPLES["400"]],
        ),
        "destroy": extend_schema(
            summary=f"Delete a {noun}",
            description=delete_description,
            responses={
                204: None,
                404: OpenApiResponse(ErrorSerializer, description="Not among yours."),
                409: OpenApiResponse(ErrorSerializer, description="Still in use."),
            },
            examples=[ERROR_EXAMPLES["409"], ERROR_EXAMPLES["404"]],
        ),
    }


__all__ = [
    "IDEMPOTENCY_PARAMETER_DOC",
    "ModelPermissions",
    "crud_schema",
    "ErrorSerializer",
    "RefusedSerializer",
    "ObtainTokenView",
    "Pagination",
    "ScopedPrimaryKeyRelatedField",
    "StrictDateTimeField",
    "StrictModelSerializer",
    "exception_handler",
    "idempotent",
    "in_user_centers",
    "parse_aware",
    "user_center_ids",
]
