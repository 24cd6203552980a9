"""Shoppers' language: what a clause asks the chat to do (intents, by example), and how a message splits into
clauses. No Gradio here."""
