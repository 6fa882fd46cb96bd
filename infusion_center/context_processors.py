from chairs.roles import roles_of


def navigation(request):
    """The signed-in user's roles, for the role-aware navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": set()}
    return {"user_roles": roles_of(user) | ({"superuser"} if user.is_superuser else set())}
