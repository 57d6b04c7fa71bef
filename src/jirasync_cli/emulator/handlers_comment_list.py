"""``POST /comment/list``: comments by id, with their properties on ``expand=properties``.

Cloud's documented way to read comment properties in bulk (the comment list of an issue
does not document ``expand=properties`` there). Not served in Data Center mode: clients
read a comment's property through ``/comment/{id}/properties/{key}`` there.
"""

from __future__ import annotations

from .errors import ApiError
from .router import Ctx, Response, router

IDS_LIMIT = 1000  # "A maximum of 1000 IDs can be specified."


@router.add("POST", "/comment/list", write=False, cloud_only=True)
def comments_by_id(ctx: Ctx) -> Response:
    body = ctx.json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) or (isinstance(i, str) and i.isdigit()) for i in ids):
        raise ApiError(400, ["The 'ids' field must be a list of comment ids."])
    if len(ids) > IDS_LIMIT:
        raise ApiError(400, [f"The number of comment ids can't be greater than {IDS_LIMIT}."])
    wanted = sorted({int(i) for i in ids})
    with_properties = "properties" in ctx.q_list("expand")
    r = ctx.renderer()
    found = [ctx.state.comments[i] for i in wanted if i in ctx.state.comments]
    values = [r.comment(c, with_properties) for c in found]
    return Response(
        200, {"isLast": True, "maxResults": IDS_LIMIT, "startAt": 0, "total": len(values), "values": values}
    )
