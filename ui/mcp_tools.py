"""The app as tools for AI agents: Gradio's MCP server (streamable HTTP at /gradio_api/mcp/), narrowed to the tools an
agent needs, with photo arguments held to what Gradio's MCP server can only have received (a URL it fetches, or
image data), refused otherwise with the same message as the page's photo inputs; and answers as JSON text an agent
can read and send back (Gradio writes dicts and lists as Python's repr, and a gallery as its files on the server).

Gradio makes a tool of every documented endpoint, named after its function and described by its docstring (the
`Args:` lines describe the arguments). These adjustments are made when the server starts, before it answers anyone.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from gradio.processing_utils import add_root_url

from ui.inputs import NOT_UPLOADED

logger = logging.getLogger("fashion_ai.app")

# The endpoints agents get as tools; the page's own helpers (the banner's status, the outfit beside a search, a
# garment edited field by field) stay in the API for programs, out of an agent's list.
MCP_ENDPOINTS = ("/search", "/search_photo", "/attributes", "/stylist", "/chat_turn")
PHOTO_SCHEMES = ("http://", "https://", "data:")  # what Gradio's MCP server turns into a file it received itself


def as_text(value: Any, root_url: str) -> str:
    """One output as an agent reads it: text as it is; a gallery as [{image: URL, caption}]; JSON for the rest, with the
    app's own photo links made absolute."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(entry, dict) and "image" in entry for entry in value):
        value = [{"image": (entry["image"] or {}).get("url"), "caption": entry.get("caption")} for entry in value]
    if isinstance(value, dict) and "picks" in value:  # a chat turn: its photos are the app's /catalog-photo/<id>
        for pick in value["picks"] + [fix for verdict in value.get("verdict", []) for fix in verdict["fixes"]]:
            if pick.get("image", "").startswith("/"):
                pick["image"] = root_url.rstrip("/") + pick["image"]
    return json.dumps(value, ensure_ascii=False, default=str)


def narrow_tools(server: Any) -> None:
    """Keep only MCP_ENDPOINTS as tools, refuse a photo argument that is not a URL or image data, answer in JSON."""
    server.tool_to_endpoint = {tool: endpoint for tool, endpoint in server.tool_to_endpoint.items()
                               if endpoint in MCP_ENDPOINTS}
    convert = server.convert_strings_to_filedata

    def checked(arguments: Any, positions: list[list[str | int]]) -> Any:
        for position in positions:
            value: Any = arguments
            for key in position:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and not value.startswith(PHOTO_SCHEMES):
                logger.warning("refused an MCP photo argument that is not a URL: %r", value[:300])
                raise ValueError(NOT_UPLOADED)  # the MCP server answers the call with this text, as an error
        return convert(arguments, positions)

    server.convert_strings_to_filedata = checked

    def readable(data: Any, root_url: str) -> list[Any]:
        # A tool with several outputs answers one tuple of them: each becomes its own text.
        outputs = [part for output in data for part in (output if isinstance(output, tuple) else (output,))]
        outputs = add_root_url(outputs, root_url, None)
        return [server.types.TextContent(type="text", text=as_text(part, root_url)) for part in outputs]

    server.postprocess_output_data = readable
    logger.info("MCP tools: %s", ", ".join(sorted(server.tool_to_endpoint)))


@contextlib.asynccontextmanager
async def mcp_lifespan(app: Any) -> AsyncIterator[None]:
    """At start-up (before the first request), narrow the served demo's MCP tools; nothing when MCP is off."""
    server = getattr(app.get_blocks(), "mcp_server_obj", None)
    if server is not None:
        narrow_tools(server)
    yield
