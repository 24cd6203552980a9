"""The page's inputs and error handling: photo inputs that take only what this app received (uploads, its own example
photos, pasted image data) and hand it to the library's checks; text inputs capped before any work; the mapping of
library errors to plain messages (never a server path); and the ZeroGPU wrapper for handlers that run a model."""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
import logging
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from fashion_ai.service import FashionAIError

try:  # Hugging Face Spaces' ZeroGPU: a GPU is attached only inside @spaces.GPU calls; a no-op everywhere else
    import spaces
except ImportError:  # not installed: run as is
    spaces = None

logger = logging.getLogger("fashion_ai.app")

GPU_SECONDS = 60  # what one model call may hold a ZeroGPU for (a 3B extraction takes a few seconds)
SOMETHING_WRONG = "Something went wrong while {action}. Please try again{hint}."
# One message for every path that is not an upload, whether or not a file is there: the answer tells nothing about
# the server's files.
NOT_UPLOADED = "That photo was not uploaded to this app. Please upload the photo (or paste it) and try again."
TOO_LONG = "That {what} is {length} characters long; please keep it under {cap}."
# An absolute path in a message: /srv/data/x (not the // of a URL, not "and/or" or "$60/month"), C:\x, ~/x, file://.
SERVER_PATH = re.compile(r"file://\S+|(?<![\w.:/~-])~?(?:/[\w.@+%=~-]+)+/?|\b[A-Za-z]:\\\S*")


def on_gpu(handler: Callable) -> Callable:
    """A handler that runs a model: on ZeroGPU it gets the GPU for its call; elsewhere it is returned as it is."""
    return spaces.GPU(duration=GPU_SECONDS)(handler) if spaces is not None else handler


# --------------------------------------------------------------------------------------------- errors
@contextmanager
def shopper_errors(action: str, thing: str | None = "photo") -> Iterator[None]:
    """Domain errors become their own message; anything else is logged and becomes a polite one."""
    try:
        yield
    except gr.Error:
        raise
    except FashionAIError as exc:
        raise gr.Error(html.escape(hide_server_paths(str(exc)), quote=False), print_exception=False) from exc
    except Exception as exc:
        logger.exception("unexpected error while %s", action)
        hint = f"; if it keeps happening, try another {thing}" if thing else " in a moment"
        raise gr.Error(SOMETHING_WRONG.format(action=action, hint=hint), print_exception=False) from exc


def hide_server_paths(message: str) -> str:
    """The message with any absolute filesystem path replaced by words, "a file on the server" (the log keeps the
    detail): the page's last net. The library's own fashion_ai.errors.without_paths cuts a path to its last part."""
    # A sentence's full stop after a path is the sentence's, not the path's.
    cleaned = SERVER_PATH.sub(lambda m: "a file on the server" + "." * m.group().endswith("."), message)
    if cleaned != message:
        logger.warning("a server path was kept out of a shopper's message: %s", message)
    return cleaned


# --------------------------------------------------------------------------------------------- photos
def upload_folders() -> list[Path]:
    """Where Gradio keeps what it received: uploads, pasted files, URLs it fetched, examples it copied.

    Gradio's own rule (gradio.utils.get_upload_folder: GRADIO_TEMP_DIR, else <temp>/gradio), read at each call as
    Gradio does, so a GRADIO_TEMP_DIR set before launch counts."""
    return [Path(get_upload_folder()).resolve()]


def uploaded_photo(path: str, examples: Collection[Path] = ()) -> str:
    """The photo's resolved path when this app received it (or offers it as an example); gr.Error otherwise.

    Resolved first, so `..` and symlinks out of the folder are judged by where they lead; nothing is opened, and the
    refusal is the same whether or not a file is there."""
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # a NUL byte, a symlink loop
        resolved = None
    if resolved is not None and (resolved in examples
                                 or any(resolved.is_relative_to(folder) for folder in upload_folders())):
        return str(resolved)
    logger.warning("refused a photo path this app did not receive: %r", path[:300])
    raise gr.Error(NOT_UPLOADED, print_exception=False)


def example_paths(photos: Collection[str | Path]) -> frozenset[Path]:
    """The app's own example photos, resolved, as photo inputs accept them."""
    return frozenset(Path(p).resolve() for p in photos)


def pass_file_through(payload, max_bytes: int = 10 * 2**20, examples: Collection[Path] = ()) -> str | bytes | None:
    """Preprocessing for photo inputs: the received file as it is, left for load_image to check and decode.

    gr.Image decodes uploads in its own preprocessing, before any handler runs, so a text file, a truncated PNG
    or a decompression bomb would fail there with a message about components. (Set on the instance rather than
    in a gr.Image subclass: gradio writes a .pyi stub next to any module that defines a component class.)
    Gradio checks that a file was uploaded only when the client tags it as a file (`meta`); an API call can leave
    the tag off and name any path, so the path is checked here: uploads and the app's examples only.
    """
    if payload is None:
        return None
    if payload.path:
        return uploaded_photo(payload.path, examples)
    if payload.url and payload.url.startswith("data:") and "," in payload.url:
        if len(payload.url) > max_bytes * 4 // 3 + 1024:  # base64 is 4/3 of the bytes: refuse before decoding
            raise gr.Error(f"That pasted image is over {max_bytes // 2**20} MB. Please upload a smaller photo.")
        try:  # a pasted image may arrive inline; load_image checks the bytes like any file
            return base64.b64decode(payload.url.split(",", 1)[1], validate=False)
        except (binascii.Error, ValueError) as exc:
            raise gr.Error("That pasted image could not be read. Please upload the file instead.") from exc
    raise gr.Error("Please upload a photo first.")


def photo_input(label: str, elem_id: str, max_bytes: int, examples: Collection[Path] = ()) -> gr.Image:
    """A photo input that takes uploads, pasted images and the given example photos, nothing else."""
    photo = gr.Image(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"], height=320,
                     elem_id=elem_id)
    photo.preprocess = functools.partial(pass_file_through, max_bytes=max_bytes, examples=frozenset(examples))
    return photo


# --------------------------------------------------------------------------------------------- text
def capped_text(payload: Any, cap: int, what: str) -> str | None:
    """A text input's preprocessing: its length checked before any work (the page's max_length, on the server)."""
    if payload is None:
        return None
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > cap:
        raise gr.Error(TOO_LONG.format(what=what, length=len(text), cap=cap), print_exception=False)
    return text


def text_input(cap: int, what: str, **kwargs: Any) -> gr.Textbox:
    """A gr.Textbox that holds at most `cap` characters, in the page and on the server."""
    box = gr.Textbox(max_length=cap, **kwargs)
    box.preprocess = functools.partial(capped_text, cap=cap, what=what)
    return box


def cap_message_box(box: gr.MultimodalTextbox, cap: int, examples: Collection[Path] = ()) -> gr.MultimodalTextbox:
    """A chat box whose text is capped and whose files are only what this app received, before any work."""
    preprocess = box.preprocess

    def checked(payload):
        if payload is not None:
            capped_text(payload.text, cap, "message")
            for file in payload.files:
                uploaded_photo(file.path, examples)
        return preprocess(payload)

    box.preprocess = checked
    return box


def capped_json(payload: Any, cap: int, what: str) -> Any:
    """A JSON input's preprocessing: refused when its text is over `cap` characters, whatever form it came in."""
    if payload is None or isinstance(payload, str):
        size = len(payload or "")
    else:
        try:
            size = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
        except (TypeError, ValueError, RecursionError) as exc:
            raise gr.Error(f"That {what} could not be read. Send back the one the last answer gave.",
                           print_exception=False) from exc
    if size > cap:
        raise gr.Error(f"That {what} is {size:,} characters long, more than any this app sends ({cap:,}). Send back "
                       "the one the last answer gave.", print_exception=False)
    return payload
