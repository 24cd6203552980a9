"""The page's inputs and error handling: photo inputs that hand the raw upload to the library's checks, the mapping
of library errors to plain messages, and the ZeroGPU wrapper for handlers that run a model."""

from __future__ import annotations

import base64
import binascii
import functools
import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import gradio as gr

from fashion_ai.errors import FashionAIError

try:  # Hugging Face Spaces' ZeroGPU: a GPU is attached only inside @spaces.GPU calls; a no-op everywhere else
    import spaces
except ImportError:  # not installed: run as is
    spaces = None

logger = logging.getLogger("fashion_ai.app")

GPU_SECONDS = 60  # what one model call may hold a ZeroGPU for (a 3B extraction takes a few seconds)
SOMETHING_WRONG = "Something went wrong while {action}. Please try again{hint}."


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
        raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from exc
    except Exception as exc:
        logger.exception("unexpected error while %s", action)
        hint = f"; if it keeps happening, try another {thing}" if thing else " in a moment"
        raise gr.Error(SOMETHING_WRONG.format(action=action, hint=hint), print_exception=False) from exc


def pass_file_through(payload, max_bytes: int = 10 * 2**20) -> str | bytes | None:
    """Preprocessing for photo inputs: the uploaded file as it is, left for load_image to check and decode.

    gr.Image decodes uploads in its own preprocessing, before any handler runs, so a text file, a truncated PNG
    or a decompression bomb would fail there with a message about components. (Set on the instance rather than
    in a gr.Image subclass: gradio writes a .pyi stub next to any module that defines a component class.)
    """
    if payload is None:
        return None
    if payload.path:
        return payload.path
    if payload.url and payload.url.startswith("data:") and "," in payload.url:
        if len(payload.url) > max_bytes * 4 // 3 + 1024:  # base64 is 4/3 of the bytes: refuse before decoding
            raise gr.Error(f"That pasted image is over {max_bytes // 2**20} MB. Please upload a smaller photo.")
        try:  # a pasted image may arrive inline; load_image checks the bytes like any file
            return base64.b64decode(payload.url.split(",", 1)[1], validate=False)
        except (binascii.Error, ValueError) as exc:
            raise gr.Error("That pasted image could not be read. Please upload the file instead.") from exc
    raise gr.Error("Please upload a photo first.")


def photo_input(label: str, elem_id: str, max_bytes: int) -> gr.Image:
    photo = gr.Image(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"], height=320,
                     elem_id=elem_id)
    photo.preprocess = functools.partial(pass_file_through, max_bytes=max_bytes)
    return photo
