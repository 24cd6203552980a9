"""The Gradio front end's parts that app.py assembles: inputs and error handling (inputs), rendering (render)."""
