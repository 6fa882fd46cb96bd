"""Django's model backend with each user's permissions cached until their roles change.

Every request would otherwise read the user's own and their groups' permissions (two queries) before
the view runs. The set is cached under the user's version and the groups' version
(``scheduling.invalidation``: group memberships, direct permissions, a group's permissions, the user
row itself bump them), so a role change applies to the next request.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from infusion_center import versioned_cache


def user_scopes(user_id: int) -> list[str]:
    from scheduling.invalidation import GROUPS_SCOPE, user_scope

    return [user_scope(user_id), GROUPS_SCOPE]


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = versioned_cache.cached(
                user_scopes(user_obj.pk),
                f"permissions:{user_obj.pk}:{int(user_obj.is_superuser)}",
                lambda: {*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj)},
            )
        return user_obj._perm_cache
