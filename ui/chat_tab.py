"""The stylist chat tab: Gradio's chat components over the library's conversation (fashion_ai.conversation). The
wish lives in the library as plain data; the page keeps it per session in a gr.State and shows it as chips the
shopper can untick. `/chat_turn` is the same turn for API clients: message, photo and the last state in, the picks
as JSON and the new state out.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from pathlib import Path
from typing import Any

import gradio as gr

from fashion_ai.service import MAX_STATE_CHARS, OPENERS, FashionService, TurnResult
from ui.inputs import cap_message_box, capped_json, on_gpu, photo_input, shopper_errors, text_input, uploaded_photo
from ui.render import link_target, md, price_text
from ui.server import photo_url

PHOTO_OPENER = "what goes with this for a summer wedding?"
STATE_SCHEMA = {"anyOf": [{"type": "object"}, {"type": "string"}, {"type": "null"}],
                "description": "the previous turn's state, as it came (or as JSON text); none to start"}
PLACEHOLDER = "Tell the stylist what you need, or add a photo of a garment with the clip"


def reply_markdown(result: TurnResult) -> str:
    """The assistant's words, each pick with its link, price and reason, and what it understood."""
    lines = [md(line) for line in result.reply.splitlines()]
    for pick in result.picks:
        url = link_target(pick.url)
        title = f"[{md(pick.title)}]({url})" if url else md(pick.title)
        lines.append(f"{pick.number}. **{title}** — {md(price_text(pick.price))} — {md(pick.reason)}")
    lines.append(f"\n_Understood: {md(result.understood)}_")
    return "  \n".join(lines)


def reply_messages(result: TurnResult) -> list[Any]:
    """The turn as chat messages: the words, then the picks as pictures."""
    photos = [(p.image, f"{p.number}. {p.title} — {price_text(p.price)}") for p in result.picks if p.image]
    messages: list[Any] = [reply_markdown(result)]
    if photos:
        messages.append(gr.Gallery(value=photos, columns=min(len(photos), 3), height="auto", object_fit="contain",
                                   show_label=False, allow_preview=True))
    return messages


def chips_update(chips: list[tuple[str, str]]) -> gr.CheckboxGroup:
    """The wish's chips (key, label) as the box of ticked checkboxes; hidden when there are none."""
    return gr.CheckboxGroup(choices=[(label, key) for key, label in chips], value=[key for key, _ in chips],
                            visible=bool(chips))


def photo_of(message: dict | str | None, examples: Collection[Path] = ()) -> str | None:
    """The chat box's photo, when this app received it (or offers it as an example); gr.Error for any other path."""
    files = message.get("files") if isinstance(message, dict) else None
    if not files:
        return None
    last = files[-1]
    path = last.get("path") if isinstance(last, dict) else last
    return uploaded_photo(str(path), examples) if path else None


def api_turn(result: TurnResult) -> dict:
    """The turn as JSON for an API client: photos as the app's own URLs (by item id), never a file on the server."""
    out = result.to_dict()
    for pick in out["picks"] + [fix for v in out["verdict"] for fix in v["fixes"]]:
        pick["image"] = photo_url(pick["id"]) if pick["image"] else ""
    return out


def build(service: FashionService, examples: list[str], caps: dict[str, Any], queue: dict[str, Any]) -> None:
    """The tab's layout and events (inside a gr.Blocks); the first example photo opens the third example; `caps`: the
    upload's bytes, a text's characters and the example photos a photo input takes (app.build_demo)."""

    @on_gpu
    def respond(message, history, state, earlier):
        """A chat turn from the page: the message box's text and photo, the session's wish (and the wishes before
        it, for undo)."""
        text = message.get("text", "") if isinstance(message, dict) else str(message or "")
        with shopper_errors("answering you"):
            result = service.chat(text, photo_of(message, caps["examples"]), state or None)
        return reply_messages(result), result.wish.to_json(), chips_update(result.chips), list(earlier or []) + [state]

    @on_gpu
    def keep_chips(kept, state, earlier, history):
        """The shopper unticked a chip: that part of the wish goes, and the picks follow."""
        with shopper_errors("updating your wish"):
            result = service.chat_keep(list(kept or []), state or None)
        history = list(history or []) + [{"role": "assistant", "content": m} for m in reply_messages(result)]
        return history, history, result.wish.to_json(), chips_update(result.chips), list(earlier or []) + [state]

    def undo(earlier):
        """The chat's undo takes the last message back: the wish goes back to what it was before it."""
        earlier = list(earlier or [])
        state, chips = service.saved_chips(earlier.pop() if earlier else "")
        return state, chips_update(chips), earlier

    @on_gpu
    def chat_turn(message: str, photo: str | bytes | None = None, state: dict | str | None = None) -> dict:
        """One turn of a conversation with the stylist: each message refines what the shopper wants ("an outfit for a
        summer wedding", then "under $60 each", "no sneakers", "swap the bag", "start over") and the answer brings picks.

        Args:
            message: what the shopper says this turn.
            photo: optional photo of a garment to style or judge, as an https URL or a data: URL.
            state: the `state` of the previous turn's answer, sent back as it came; leave it out to start anew.

        Returns:
            JSON with: reply (the stylist's words), understood (the wish so far, in one line)
            picks (each with number, id, title, price, url, image, reason, category, colors)
            chips (the parts of the wish), verdict (for a photo: whether the garment fits, and fixes)
            state (send it back with the next message)
        """
        if isinstance(state, str):
            state = state.strip()
        with shopper_errors("answering you"):
            result = service.chat(message, photo, state or None)
        return api_turn(result)

    with gr.Tab("Stylist chat", id="chat"):
        state = gr.State("")  # the wish as JSON: the library's plain data
        earlier = gr.State([])  # the wishes before each turn, for the chat's undo
        chips = gr.CheckboxGroup(label="Your wish so far (untick to remove)", choices=[], value=[], visible=False,
                                 elem_id="chat-chips")
        box = cap_message_box(gr.MultimodalTextbox(file_types=["image"], file_count="single", placeholder=PLACEHOLDER,
                                                   sources=["upload"], elem_id="chat-box", max_plain_text_length=20000),
                              caps["max_chars"], caps["examples"])
        chat = gr.ChatInterface(
            respond, multimodal=True, save_history=False, fill_height=False,
            chatbot=gr.Chatbot(height=560, elem_id="chat-bot", label="Stylist", buttons=["copy"],
                               placeholder="Ask for an outfit, refine it turn by turn, or send a photo."),
            textbox=box,
            additional_inputs=[state, earlier], additional_outputs=[state, chips, earlier],
            # [message, None, None]: the examples leave the session's wish as it is (None: not an input of theirs).
            examples=[[{"text": opener}, None, None] for opener in OPENERS[:2]] + (
                [[{"text": PHOTO_OPENER, "files": [examples[0]]}, None, None]] if examples
                else [[{"text": OPENERS[2]}, None, None]]),
            api_name="chat", api_visibility="private", concurrency_limit=queue.get("concurrency_limit"),
        )
        chips.input(keep_chips, [chips, state, earlier, chat.chatbot],
                    [chat.chatbot, chat.chatbot_state, state, chips, earlier], api_name="chat_keep",
                    api_visibility="private", **queue)
        chat.chatbot.undo(undo, [earlier], [state, chips, earlier], api_name="chat_undo", api_visibility="private")
        chat.chatbot.clear(lambda: ("", gr.CheckboxGroup(choices=[], value=[], visible=False), []), None,
                           [state, chips, earlier], api_name="chat_clear", api_visibility="private")
        # The API's own entrance: JSON in and out (a chat component's rich replies do not survive an API).
        with gr.Group(visible=False):
            api_message = text_input(caps["max_chars"], "message", label="message")
            api_photo = photo_input("photo", "chat-api-photo", caps["max_bytes"])
            # JSON, so a client sends back the `state` it got, as it came (a JSON string works too); no bigger than
            # any state the library writes, whatever its form.
            api_state = gr.JSON(label="state (the last turn's `state`)")
            api_state.preprocess = functools.partial(capped_json, cap=MAX_STATE_CHARS, what="state")
            # Described as what it takes (Gradio's own "any JSON" is no valid JSON Schema: MCP clients refuse it).
            api_state.api_info = lambda: STATE_SCHEMA
            api_result = gr.JSON(label="turn")
            api_button = gr.Button("turn")
        api_button.click(chat_turn, [api_message, api_photo, api_state], [api_result], api_name="chat_turn", **queue)
