"""Vendor API keys: `/vendor/api-keys`. A vendor's own systems call the vendor routes with them.

These routes need the vendor's signed-in session (`api_keys=False`): a key can never mint,
rotate or revoke keys, so a leaked key cannot entrench itself. The vendor is always the
signed-in principal; another vendor's key id answers 404.
"""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.schema import ApiModel, StrictInteger, Text, bounded

bp = Blueprint(__name__)
VENDOR = ("vendor",)


class ApiKeyIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    name: bounded(Text, 1, 60, description="What the key is for, e.g. 'Warehouse stock sync' (1 to 60 characters)")
    scope: Literal["read", "write"] = Field(
        description="`read`: GET routes only; `write`: every vendor route (except these key routes)")


class RotateIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: StrictInteger = Field(
        0, ge=0, le=86400,
        description="How long the replaced secret keeps working (0: refused at once; at most 86400, a day)")


class ApiKeyView(ApiModel):
    key_id: str
    name: str
    prefix: str = Field(description="`hk_<env>_<key id>`: how the key starts; enough to recognise it")
    scope: str
    status: str = Field(description="active | revoked")
    created_at: str
    rotated_at: str | None
    revoked_at: str | None
    last_used_at: str | None = Field(description="Recorded at most once a minute")
    previous_secret_valid_until: str | None = Field(
        description="After a rotation with a grace period: until when the replaced secret still works")


class ApiKeyWithSecret(ApiKeyView):
    secret: str = Field(description="The whole key, `hk_<env>_<key id>_<secret>`. Shown this once: store it now. "
                                    "Send it as `Authorization: Bearer <key>`.")


class ApiKeyList(ApiModel):
    items: list[ApiKeyView]


@route(bp, "/vendor/api-keys", response=ApiKeyList, roles=VENDOR, api_keys=False, tags=("vendor",),
       errors=(401, 403), summary="Your API keys, newest first (never their secrets)")
def vendor_list_api_keys(req):
    from chalicelib.services import api_keys

    return ApiKeyList.model_validate({"items": api_keys.list_keys(req.principal.user_id)})


IDEMPOTENCY_KEY = HeaderDoc(
    "Idempotency-Key", "Optional, 8 to 128 characters: a new random value per key to create, the same one when "
    "retrying. A retry creates nothing more: 409 `api_key_already_created` naming the key (its secret cannot be "
    "shown again; revoke it if the first answer was lost); another body with it is a 422.")


@route(bp, "/vendor/api-keys", "POST", body=ApiKeyIn, response=ApiKeyWithSecret, roles=VENDOR, api_keys=False,
       status=201, tags=("vendor",), errors=(400, 401, 403, 409, 422), headers=(IDEMPOTENCY_KEY,),
       summary="Create an API key; its secret is in this answer only")
def vendor_create_api_key(req):
    from chalicelib.services import api_keys

    created = api_keys.create_key(req.principal.user_id, req.body.name, req.body.scope,
                                  req.header("Idempotency-Key"))
    return json_response(ApiKeyWithSecret.model_validate(created).model_dump(mode="json"), 201, req.correlation_id,
                         {"Cache-Control": "no-store"})


@route(bp, "/vendor/api-keys/{key_id}/rotate", "POST", body=RotateIn, response=ApiKeyWithSecret, roles=VENDOR,
       api_keys=False, tags=("vendor",), errors=(400, 401, 403, 404),
       summary="Give a key a new secret (in this answer only); the old one stops now or after `grace_seconds`")
def vendor_rotate_api_key(req):
    from chalicelib.services import api_keys

    rotated = api_keys.rotate_key(req.principal.user_id, req.params["key_id"], req.body.grace_seconds)
    return json_response(ApiKeyWithSecret.model_validate(rotated).model_dump(mode="json"), 200, req.correlation_id,
                         {"Cache-Control": "no-store"})


@route(bp, "/vendor/api-keys/{key_id}", "DELETE", response=ApiKeyView, roles=VENDOR, api_keys=False,
       tags=("vendor",), errors=(401, 403, 404), summary="Revoke a key at once (safe to repeat)")
def vendor_revoke_api_key(req):
    from chalicelib.services import api_keys

    return ApiKeyView.model_validate(api_keys.revoke_key(req.principal.user_id, req.params["key_id"]))
