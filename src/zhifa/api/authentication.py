"""Token authentication that loads the user with the rows every request reads next.

DRF's TokenAuthentication joins the user only; nearly every API view then reads the user's
county, township or department (scoping, intake), one query each.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__county", "user__township", "user__department").get(
                key=key
            )
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("令牌无效。") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("该账号已停用。")
        return (token.user, token)
