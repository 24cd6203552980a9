"""Publishing to the Hugging Face Hub: the model card (card, snippets) and the push (push)."""

from fashion_ai.hub.card import build_model_card, write_model_card
from fashion_ai.hub.push import HubPushError, push_folder

__all__ = ["HubPushError", "build_model_card", "push_folder", "write_model_card"]
