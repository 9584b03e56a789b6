"""The Ruiyi web app (Gradio): ``app.build_app`` / ``app.launch_app`` and one module per tab.

Import ``ui.web.auth`` alone for the users file (it does not import Gradio)."""
