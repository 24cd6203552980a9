"""The stylist you can talk to: a structured wish edited turn by turn (wish, edits), the picks for it and the
reply (turn), and the check of a shopper's own outfit against an occasion (verdict). No Gradio here."""

from fashion_ai.conversation.turn import OPENERS, Pick, TurnResult, take_turn
from fashion_ai.conversation.wish import Wish

__all__ = ["OPENERS", "Pick", "TurnResult", "Wish", "take_turn"]
