from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, PHARMACY, SYSTEM_ADMIN, roles_of

ROLE_LABELS = {
    NURSE: "Nurse",
    FRONT_DESK: "Front desk",
    CENTER_ADMIN: "Center admin",
    PHARMACY: "Pharmacy",
    SYSTEM_ADMIN: "System admin",
    "superuser": "Superuser",
}


def navigation(request):
    """The signed-in user's roles, for the role-aware navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": set(), "user_role_labels": ""}
    roles = roles_of(user) | ({"superuser"} if user.is_superuser else set())
    labels = ", ".join(ROLE_LABELS[role] for role in ROLE_LABELS if role in roles)
    return {"user_roles": roles, "user_role_labels": labels}
