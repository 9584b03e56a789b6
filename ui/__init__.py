"""User interfaces: the ``ruiyi`` command line and the Gradio web app. No clinical logic here."""
