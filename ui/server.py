"""What the app adds to Gradio's web server: a cap on request bodies, checked before anything reads them, and a route
that serves a catalog item's photo by the item's id, so no answer names a file on the server.

Both go in through `launch(app_kwargs=...)`, when Gradio builds its FastAPI app and before it serves a request, so
`python app.py`, `gradio app.py` (which runs app.py) and tests that launch the demo all get them.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ui.mcp_tools import mcp_lifespan

if TYPE_CHECKING:
    from fashion_ai.service import FashionService

logger = logging.getLogger("fashion_ai.app")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PHOTO_ROUTE = "/catalog-photo"
UPLOAD_ROUTE = "/gradio_api/upload"  # multipart uploads: Gradio's parser enforces max_file_size on each file itself
PHOTO_TYPES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
MAX_ID_CHARS = 200


def photo_url(item_id: str) -> str:
    """Where the app serves an item's photo, relative to the app's root: names the item, not the file."""
    return f"{PHOTO_ROUTE}/{quote(item_id, safe='')}"


# --------------------------------------------------------------------------------------------- body cap
class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 and a plain message before the app reads a byte of it.

    A declared Content-Length is judged at once (the server never lets more than that through); a chunked body is
    counted as it arrives, held (at most `max_bytes`), then handed on. Uploads keep Gradio's own per-file limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: tuple[str, ...] = (UPLOAD_ROUTE,)):
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    def refusal(self) -> Response:
        return JSONResponse({"detail": f"That request is larger than this app accepts ({self.max_bytes / 2**20:.0f} "
                                       "MB). Send photos as uploads, not inside the request."}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/").endswith(self.exempt):
            return await self.app(scope, receive, send)
        headers = {key.lower(): value for key, value in scope["headers"]}
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await PlainTextResponse("Bad Content-Length.", status_code=400)(scope, receive, send)
            if int(declared) > self.max_bytes:
                logger.warning("refused a %s-byte request to %s", declared.decode(), scope["path"])
                return await self.refusal()(scope, receive, send)
            return await self.app(scope, receive, send)
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            return await self.app(scope, receive, send)  # no body
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                logger.warning("refused a chunked request to %s past %d bytes", scope["path"], size)
                return await self.refusal()(scope, receive, send)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        return await self.app(scope, replay, send)


# --------------------------------------------------------------------------------------------- catalog photos
class CatalogPhotos:
    """Item id -> its photo file, from the serving catalog (FashionService.catalog_items: read again when its catalog
    file changes)."""

    def __init__(self, service: FashionService):
        self.service = service

    def path_of(self, item_id: str) -> Path | None:
        """The photo of a catalog item, or None (unknown item, no photo, a file outside the catalog's folders)."""
        if not item_id or len(item_id) > MAX_ID_CHARS:
            return None
        item = self.service.catalog_items().get(item_id)
        path = self.service.photo_of(item) if item is not None else None
        if path is None:
            return None
        path = path.resolve()
        roots = [root.resolve() for root in self.service.catalog_roots()]
        if path.suffix.lower() not in PHOTO_TYPES or not any(path.is_relative_to(root) for root in roots):
            logger.warning("catalog item %r names a photo outside the catalog's folders: %s", item_id, path)
            return None
        return path


def serve_photo(request: Request) -> Response:
    """GET /catalog-photo/<item id>: the photo, or 404. The demo served is the one Gradio serves now (a reload swaps
    it), so its catalog is the one answering."""
    photos: CatalogPhotos | None = getattr(request.app.get_blocks(), "catalog_photos", None)
    try:
        path = photos.path_of(request.path_params["item_id"]) if photos is not None else None
    except (OSError, ValueError) as exc:  # an unreadable catalog file: the operator's to fix, a 404 to the client
        logger.warning("could not look up a catalog photo: %s", exc)
        path = None
    if path is None:
        return PlainTextResponse("No such catalog photo.", status_code=404)
    return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                        headers={"Cache-Control": "public, max-age=3600"})


def app_kwargs(max_request_bytes: int) -> dict[str, Any]:
    """What launch passes to Gradio's FastAPI app: the body cap, the photo route and the MCP tools' narrowing (at
    start-up), in place before serving."""
    return {"middleware": [Middleware(BodyLimit, max_bytes=max_request_bytes)],
            "routes": [Route(PHOTO_ROUTE + "/{item_id:path}", serve_photo, methods=["GET", "HEAD"])],
            "lifespan": mcp_lifespan}
