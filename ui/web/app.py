"""The Ruiyi web app: one Gradio Blocks page with a tab per job, and its launcher.

``build_app(ctx)`` lays out the tabs (Consult, Triage, Knowledge, Review, Audit) around one
shared ``WebContext``; at page load the signed-in user's role decides which tabs are shown
(each handler checks the role again). ``launch_app`` refuses to listen beyond loopback
without sign-in and never opens a public share link.

No clinical logic here: the tabs call the assistant, triage, ddx and ingestion packages.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from ui.web import audit_tab, consult, knowledge_tab, rendering, review, triage_tab
from ui.web.auth import LOCAL_ROLE, TABS
from ui.web.context import DISCLAIMER, PermissionDenied, WebContext

logger = logging.getLogger(__name__)

TITLE = "Ruiyi 睿医 — clinical decision support"
MAX_UPLOAD_SIZE = "25mb"
CSS = """
.ry-cite { color: #1565c0; font-weight: 600; }
.ry-card summary { cursor: pointer; }
.ry-table { border-collapse: collapse; width: 100%; }
.ry-table td, .ry-table th { border-bottom: 1px solid #ddd; vertical-align: top; }
#ry-header h1 { margin-bottom: 0; }
"""

_TAB_MODULES = {"consult": consult, "triage": triage_tab, "knowledge": knowledge_tab,
                "review": review, "audit": audit_tab}


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_bind(host: str, sign_in: bool) -> None:
    """Refuse to serve beyond this computer without sign-in."""
    if not sign_in and not is_loopback(host):
        raise ValueError(
            f"refusing to listen on {host} without sign-in: anyone on the network could use "
            "Ruiyi and read its audit log. Add users with `ruiyi users add NAME --role gp` "
            "and start without --no-auth, or bind to 127.0.0.1.")


def header_html(ctx: WebContext, request: Any) -> str:
    try:
        identity = ctx.identity(request)
    except PermissionDenied as e:
        return rendering.notice(str(e), "error")
    if not ctx.sign_in_required:
        who = (f"No sign-in: running on this computer only, as the local user "
               f"({LOCAL_ROLE}). Add users with `ruiyi users add` to require sign-in.")
        return rendering.notice(who, "info")
    return (f"<div class='ry-who'>Signed in as <strong>{rendering.escape_text(identity.username)}"
            f"</strong> ({rendering.escape_text(identity.role)}) · "
            "<a href='/logout'>Sign out</a></div>")


def visible_tabs(ctx: WebContext, request: Any) -> tuple[str, ...]:
    try:
        return ctx.identity(request).tabs
    except PermissionDenied:
        return ()


def build_app(ctx: WebContext):
    with gr.Blocks(title=TITLE, analytics_enabled=False,
                   delete_cache=(900, 3600)) as demo:  # exported notes leave the cache in 1 h
        with gr.Row(elem_id="ry-header"):
            gr.Markdown("# Ruiyi 睿医\nClinical decision support for general practice, "
                        "grounded in cited guideline passages.")
        who = gr.HTML(elem_id="ry-who")
        # Hidden until the page load has checked the user's role.
        with gr.Tabs(elem_id="ry-tabs") as tabs:
            built = {name: _TAB_MODULES[name].build(ctx) for name in TABS}
        for tab in built.values():
            tab.visible = False
        gr.HTML(f"<div style='text-align:center;opacity:0.8'><small>"
                f"{rendering.escape_text(DISCLAIMER)}</small></div>")

        def on_load(request: gr.Request):
            allowed = visible_tabs(ctx, request)
            updates = [gr.Tab(visible=name in allowed) for name in TABS]
            first = allowed[0] if allowed else None
            return [header_html(ctx, request), gr.Tabs(selected=first), *updates]

        demo.load(on_load, None, [who, tabs, *built.values()], api_name=False)
    return demo


def launch_app(ctx: WebContext, host: str = "127.0.0.1", port: int = 7860,
               prevent_thread_lock: bool = False, quiet: bool = False):
    """Start the server and return the Blocks (``.local_url``, ``.close()``); blocks until
    stopped unless ``prevent_thread_lock``."""
    check_bind(host, ctx.sign_in_required)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build_app(ctx)
    demo.queue(default_concurrency_limit=8)
    auth = ctx.users.authenticate if ctx.users is not None else None
    logger.info("serving on %s:%d (sign-in %s)", host, port, "on" if auth else "off")
    demo.launch(
        server_name=host, server_port=port, share=False, auth=auth,
        auth_message="Sign in with the name and password your practice admin gave you.",
        prevent_thread_lock=prevent_thread_lock, quiet=quiet, show_error=True,
        max_file_size=MAX_UPLOAD_SIZE, theme=gr.themes.Soft(), css=CSS,
        footer_links=["api"], ssr_mode=False)
    return demo
