"""Photo inputs take only what this app received; text inputs are capped before any work; library errors reach the
shopper without a server path."""

import base64
import io
import logging
import os
import re

import gradio as gr
import pytest
from gradio.components.image import ImageData
from gradio.components.multimodal_textbox import MultimodalData
from gradio.data_classes import FileData
from PIL import Image

from fashion_ai.errors import IndexLockedError
from ui.chat_tab import photo_of
from ui.inputs import (
    NOT_UPLOADED,
    cap_message_box,
    capped_json,
    capped_text,
    hide_server_paths,
    pass_file_through,
    shopper_errors,
    uploaded_photo,
)


def png_bytes(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """Gradio's upload folder (through GRADIO_TEMP_DIR, as Gradio reads it) with one upload, and a photo elsewhere."""
    uploads = tmp_path / "uploads"
    (uploads / "abc123").mkdir(parents=True)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    uploaded = uploads / "abc123" / "dress.png"
    uploaded.write_bytes(png_bytes())
    outside = tmp_path / "server" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(png_bytes("blue"))
    return uploads, uploaded, outside


def test_a_pasted_inline_image_is_checked_like_a_file():
    data = png_bytes()
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    assert pass_file_through(ImageData(url=url)) == data
    with pytest.raises(gr.Error, match="over 1 MB"):
        pass_file_through(ImageData(url="data:image/png;base64," + "A" * 2**21), max_bytes=2**20)
    assert pass_file_through(None) is None


def test_an_upload_and_an_example_photo_pass(folders):
    uploads, uploaded, outside = folders
    assert pass_file_through(ImageData(path=str(uploaded))) == str(uploaded.resolve())
    assert pass_file_through(ImageData(path=str(outside)), examples={outside.resolve()}) == str(outside.resolve())


def hostile_paths(uploads, outside):
    link = uploads / "abc123" / "link.png"
    link.symlink_to(outside)  # inside the folder, leading out of it
    return {
        "a file elsewhere": str(outside),
        "no file there": str(outside.with_name("missing.png")),
        "up and out of the upload folder": str(uploads / "abc123" / ".." / ".." / "server" / "secret.png"),
        "a symlink out of the upload folder": str(link),
        "relative": os.path.relpath(outside),
        "a NUL byte": str(outside) + "\x00.png",
        "a URL": "https://example.com/dress.png",
    }


def test_any_other_path_is_refused_with_one_message_before_it_is_opened(folders, monkeypatch):
    uploads, uploaded, outside = folders
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda file, *a, **k: opened.append(file) or real_open(file, *a, **k))
    for name, path in hostile_paths(uploads, outside).items():
        with pytest.raises(gr.Error) as info:
            pass_file_through(ImageData(path=path))
        assert info.value.message == NOT_UPLOADED, name
    assert opened == []


def test_the_chat_box_takes_only_received_photos_and_capped_text(folders):
    uploads, uploaded, outside = folders
    assert photo_of({"text": "hi", "files": [str(uploaded)]}) == str(uploaded.resolve())
    assert photo_of({"text": "hi", "files": [{"path": str(outside)}]}, {outside.resolve()}) == str(outside.resolve())
    assert photo_of({"text": "hi", "files": []}) is None
    for path in (str(outside), {"path": str(outside)}):
        with pytest.raises(gr.Error, match=re.escape(NOT_UPLOADED)):
            photo_of({"text": "hi", "files": [path]})
    box = cap_message_box(gr.MultimodalTextbox(file_types=["image"]), cap=20)
    assert box.preprocess(MultimodalData(text="a red dress", files=[FileData(path=str(uploaded))]))["text"] == "a red dress"
    with pytest.raises(gr.Error, match="That message is 21 characters long; please keep it under 20."):
        box.preprocess(MultimodalData(text="x" * 21))
    with pytest.raises(gr.Error, match=re.escape(NOT_UPLOADED)):
        box.preprocess(MultimodalData(text="this", files=[FileData(path=str(outside))]))


@pytest.mark.parametrize("payload, refused", [
    ("a red dress", False),
    ("x" * 300, False),
    ("x" * 301, True),
    (" " * 301, True),  # counted as sent: the cap holds before any cleaning walks the text
    (None, False),
])
def test_text_is_capped_as_sent(payload, refused):
    if refused:
        with pytest.raises(gr.Error, match=f"That query is {len(payload)} characters long; please keep it under 300."):
            capped_text(payload, 300, "query")
    else:
        assert capped_text(payload, 300, "query") == payload


@pytest.mark.parametrize("payload, refused", [
    ({"wanted": ["dress"]}, False),
    ('{"wanted": ["dress"]}', False),
    ({"wanted": ["x" * 200]}, True),  # an object is measured as its JSON text
    ("x" * 201, True),
    ([[[["deep"]]]], False),
])
def test_a_state_is_capped_whatever_its_form(payload, refused):
    if refused:
        with pytest.raises(gr.Error, match="That state is 2[01][0-9] characters long, more than any this app sends"):
            capped_json(payload, 200, "state")
    else:
        assert capped_json(payload, 200, "state") == payload


@pytest.mark.parametrize("message, shown", [
    ("The catalog index at /srv/data/chroma is locked by another process.",
     "The catalog index at a file on the server is locked by another process."),
    (r"Cannot open C:\shop\data\index.lock", "Cannot open a file on the server"),
    ("no catalog at ~/shop/catalog.jsonl: build one", "no catalog at a file on the server: build one"),
    ("see file:///etc/passwd", "see a file on the server"),
    # Not paths: a URL's slashes, a ratio, a price per unit, words.
    ("Read https://example.com/a/b and/or try $60/month.", "Read https://example.com/a/b and/or try $60/month."),
    ("That query is 400 characters long; please keep it under 300.",
     "That query is 400 characters long; please keep it under 300."),
])
def test_messages_reach_the_shopper_without_server_paths(message, shown):
    assert hide_server_paths(message) == shown


def test_a_domain_error_with_a_path_is_shown_without_it_and_logged_with_it(caplog):
    caplog.set_level(logging.WARNING, logger="fashion_ai.app")
    with pytest.raises(gr.Error) as info, shopper_errors("searching the catalog"):
        raise IndexLockedError("The catalog index at /srv/shop/data/chroma is being rebuilt by process 4242.")
    assert info.value.message == "The catalog index at a file on the server is being rebuilt by process 4242."
    assert "/srv/shop/data/chroma" in caplog.text


def test_uploaded_photo_names_no_file_in_its_refusal(folders):
    uploads, uploaded, outside = folders
    with pytest.raises(gr.Error) as info:
        uploaded_photo(str(outside))
    assert str(outside) not in info.value.message and "secret" not in info.value.message
