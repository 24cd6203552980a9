"""The app's additions to Gradio's server: request bodies capped before they are read, and catalog photos served by
item id only (unknown ids, traversal and files outside the catalog are 404)."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from fashion_ai.catalog import CatalogItem, load_catalog, save_catalog
from ui.server import BodyLimit, CatalogPhotos, photo_url

LIMIT = 1000


def echo_app(seen: list[int]) -> Starlette:
    """An app that reads the whole body and says how long it was (and records that it did)."""

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        seen.append(len(body))
        return JSONResponse({"length": len(body), "head": body[:8].decode(errors="replace")})

    app = Starlette(middleware=[Middleware(BodyLimit, max_bytes=LIMIT)])
    app.add_route("/gradio_api/call/search", echo, methods=["POST"])
    app.add_route("/gradio_api/upload", echo, methods=["POST"])
    return app


def post(app, path: str, **kwargs) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            return await client.post(path, **kwargs)

    return asyncio.run(go())


async def chunks(total: int, size: int = 100):
    """A body without a Content-Length: httpx sends it chunked."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


async def parts(*pieces: bytes):
    for piece in pieces:
        yield piece


@pytest.mark.parametrize("how", ["content-length", "chunked"])
@pytest.mark.parametrize("size, refused", [(LIMIT, False), (LIMIT + 1, True), (50 * LIMIT, True)])
def test_a_body_over_the_limit_is_refused_before_the_app_reads_it(how, size, refused):
    seen: list[int] = []
    content = b"x" * size if how == "content-length" else chunks(size)
    response = post(echo_app(seen), "/gradio_api/call/search", content=content)
    if refused:
        assert response.status_code == 413 and seen == []
        assert "larger than this app accepts" in response.json()["detail"]
    else:
        assert response.status_code == 200 and response.json()["length"] == size and seen == [size]


def test_a_chunked_body_under_the_limit_reaches_the_app_whole():
    seen: list[int] = []
    body = json.dumps({"data": ["a red dress"]}).encode()
    response = post(echo_app(seen), "/gradio_api/call/search", content=parts(body[:5], body[5:]))
    assert response.json() == {"length": len(body), "head": body[:8].decode()}


def test_uploads_keep_gradios_own_limit_not_the_body_cap():
    seen: list[int] = []
    response = post(echo_app(seen), "/gradio_api/upload", files={"files": ("big.png", b"x" * (5 * LIMIT))})
    assert response.status_code == 200 and seen and seen[0] > 5 * LIMIT


def test_a_malformed_content_length_is_refused():
    seen: list[int] = []
    response = post(echo_app(seen), "/gradio_api/call/search", content=b"{}", headers={"Content-Length": "-1"})
    assert response.status_code == 400 and seen == []


class StubService:
    """What CatalogPhotos asks a service: the catalog's items, its folders, and an item's photo."""

    def __init__(self, folder: Path):
        self.folder = folder

    def catalog_items(self) -> dict[str, CatalogItem]:
        return {item.id: item for item in load_catalog(self.folder)}

    def catalog_roots(self) -> list[Path]:
        return [self.folder]

    def photo_of(self, item: CatalogItem) -> Path | None:
        path = Path(item.image_path)
        return path if path.is_file() else None


def item(item_id: str, image_path: str) -> CatalogItem:
    return CatalogItem(id=item_id, title="t", caption="c", category="dress", gender="women", colors=["red"],
                       pattern="solid", season="summer", price=10.0, url="https://shop.example.com/p", image_path=image_path)


def test_catalog_photos_are_found_by_id_and_nothing_else(tmp_path):
    folder = tmp_path / "catalog"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (20, 20), "red").save(folder / "images" / "d-1.png")
    outside = tmp_path / "secret.png"
    Image.new("RGB", (20, 20), "blue").save(outside)
    save_catalog(folder, [item("d-1", str(folder / "images" / "d-1.png")), item("odd/one", str(outside)),
                          item("notes", str(folder / "catalog.jsonl"))])
    photos = CatalogPhotos(StubService(folder))
    assert photos.path_of("d-1") == (folder / "images" / "d-1.png").resolve()
    for unknown in ("d-2", "", "../catalog/images/d-1.png", str(folder / "images" / "d-1.png"), "x" * 500):
        assert photos.path_of(unknown) is None, unknown
    assert photos.path_of("odd/one") is None  # a catalog line naming a file outside the catalog's folders
    assert photos.path_of("notes") is None  # not a photo
    assert photo_url("odd/one") == "/catalog-photo/odd%2Fone" and photo_url("d-1") == "/catalog-photo/d-1"
