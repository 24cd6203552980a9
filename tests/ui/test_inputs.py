"""Photo inputs hand the raw upload to the library's checks, inline pasted images included."""

import base64
import io

import gradio as gr
import pytest
from gradio.components.image import ImageData
from PIL import Image

from ui.inputs import pass_file_through


def test_a_pasted_inline_image_is_checked_like_a_file():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    assert pass_file_through(ImageData(url=url)) == buffer.getvalue()
    with pytest.raises(gr.Error, match="over 1 MB"):
        pass_file_through(ImageData(url="data:image/png;base64," + "A" * 2**21), max_bytes=2**20)
    assert pass_file_through(None) is None
