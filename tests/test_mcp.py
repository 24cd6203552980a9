"""The app as MCP tools (issue 37 point 1), through the `mcp` package's own client over streamable HTTP: the tools an
agent sees and how they are described, a search, the attributes of a photo, a two-turn chat, and hostile photo
arguments refused with the page's own message."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import need_module

mcp = need_module("mcp", "the mcp package (requirements.txt) is not installed")
from mcp import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402  (streamablehttp_client, deprecated)

from tests.conftest import free_port  # noqa: E402
from ui.inputs import NOT_UPLOADED  # noqa: E402

pytestmark = pytest.mark.slow  # serves the real demo models

TOOLS = {"search", "search_photo", "extract_attributes", "stylist", "chat_turn"}


def in_session(url: str, steps):
    """Run `steps(session)` in one MCP session with the app; its result."""

    async def go():
        async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            return await steps(session)

    return asyncio.run(go())


def call_tool(url: str, name: str, arguments: dict) -> tuple[bool, list[str]]:
    """A tool's answer: whether it is an error, and its texts."""

    async def steps(session):
        return await session.call_tool(name, arguments)

    result = in_session(url, steps)
    return result.isError, [content.text for content in result.content]


def data_url(path: str | Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


@pytest.fixture(scope="module")
def mcp_url(live_app) -> str:
    return live_app.url.rstrip("/") + "/gradio_api/mcp/"


@pytest.fixture(scope="module")
def by_id(catalog_items):
    return {item.id: item for item in catalog_items}


def test_an_agent_sees_the_five_tools_each_described_argument_by_argument(mcp_url):
    async def steps(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in in_session(mcp_url, steps)}
    assert set(tools) == TOOLS  # the page's own helpers (status, the outfit beside a search) are not tools
    for tool in tools.values():
        assert len(tool.description) > 80 and "Returns:" in tool.description, tool.name
        for name, schema in tool.inputSchema["properties"].items():
            assert schema.get("description"), (tool.name, name)
    assert tools["chat_turn"].inputSchema["required"] == ["message"]  # photo and state are optional
    assert tools["search"].inputSchema["properties"]["color"]["enum"][0] == "any"
    assert "data: URL" in tools["extract_attributes"].inputSchema["properties"]["photo"]["description"]


def test_search_answers_items_an_agent_can_read(mcp_url, catalog_items):
    error, (items, listing) = call_tool(mcp_url, "search", {"query": "a dress for a party", "color": "red",
                                                            "max_price": 150})
    assert not error
    found = json.loads(items)
    titles = {item.title: item for item in catalog_items}
    assert found and all(entry["caption"].split(" — ")[0] in titles for entry in found)
    assert all("red" in titles[entry["caption"].split(" — ")[0]].colors for entry in found)
    assert all(titles[entry["caption"].split(" — ")[0]].price <= 150 for entry in found)
    assert "Understood: dress · for party" in listing.replace("_", "")


def test_attributes_of_a_photo_sent_as_data(mcp_url, catalog_items):
    dress = next(item for item in catalog_items if item.category == "dress")
    error, (cards, garments, note, raw) = call_tool(mcp_url, "extract_attributes", {"photo": data_url(dress.image_path)})
    assert not error
    assert json.loads(garments)[0]["category"] == "dress" and "<h4>dress" in cards


def test_a_two_turn_chat_carries_its_state(mcp_url, by_id):
    error, (first,) = call_tool(mcp_url, "chat_turn", {"message": "an outfit for a summer wedding"})
    assert not error
    first = json.loads(first)
    assert first["understood"] == "wedding · summer" and first["picks"]
    error, (second,) = call_tool(mcp_url, "chat_turn", {"message": "under $60 each", "state": first["state"]})
    second = json.loads(second)
    assert not error and second["understood"] == "wedding · summer · under $60 each"
    for pick in second["picks"]:
        assert by_id[pick["id"]].price == pick["price"] <= 60
        assert pick["image"] == mcp_url.split("/gradio_api")[0] + f"/catalog-photo/{pick['id']}"
    photo = httpx.get(second["picks"][0]["image"], timeout=30)
    assert photo.status_code == 200 and photo.content == Path(by_id[second["picks"][0]["id"]].image_path).read_bytes()


@pytest.mark.parametrize("tool, arguments", [
    ("extract_attributes", {}),
    ("search_photo", {"query": ""}),
    ("stylist", {"prompt": "an outfit for the office"}),
    ("chat_turn", {"message": "what goes with this?"}),
])
def test_a_server_path_as_photo_gets_the_pages_refusal(mcp_url, catalog_items, tmp_path, tool, arguments):
    private = tmp_path / "private.png"
    shutil.copy(catalog_items[0].image_path, private)
    for photo in (str(private), str(tmp_path / "missing.png"), f"file://{private}", "../../etc/passwd"):
        error, texts = call_tool(mcp_url, tool, {**arguments, "photo": photo})
        assert error and texts == [NOT_UPLOADED], (photo, texts)


def test_image_data_that_is_no_photo_gets_the_librarys_plain_message(mcp_url):
    text = "data:image/png;base64," + base64.b64encode(b"shopping list: milk, eggs\n" * 20).decode()
    error, texts = call_tool(mcp_url, "extract_attributes", {"photo": text})
    assert error and texts == ["That file is not a photo we can read. Please upload a JPEG, PNG, WebP, GIF or BMP image."]


def test_the_mcp_server_is_switched_off_by_its_setting(live_app):
    import app as app_module

    config = live_app.config.with_overrides(port=free_port(), mcp_server=False)
    demo = app_module.build_demo(config)
    app_module.launch(demo, config, prevent_thread_lock=True, quiet=True)
    try:
        off = httpx.get(demo.local_url.rstrip("/") + "/gradio_api/mcp/", timeout=30)
    finally:
        demo.close()
    on = httpx.get(live_app.url.rstrip("/") + "/gradio_api/mcp/", timeout=30)
    assert on.status_code == 200 and off.status_code != 200
