"""``slimc lsp``: the language server, on pygls over standard input and output.

The handlers are thin: each reads the document's :class:`~.workspace.Analysis` (brought up to
date first) and calls the feature module. Nothing a client sends can stop the server: a
handler that fails logs the traceback to the client's log and answers with nothing, and a
check that fails publishes an ``internal`` diagnostic instead of the document's diagnostics.

Diagnostics are published after each open, change and save, for the document and for every
open document that imports it (their analyses read the edited text, not the file on disk).
A change is checked at once, unless it follows the previous one by less than :data:`BURST`
seconds (typing): then the check waits until the changes pause for that long, and runs once, on
the latest text. Requests (hints, hover, ...) always read an analysis of the latest text.
After publishing, the objects alive are frozen for Python's garbage collector, and collected in
full when the changes pause (:mod:`.memory`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from .. import __version__
from .. import diagnostics as dg
from ..diagnostics import Diagnostic, Span
from . import actions, completion, hints, hover, navigation
from .diagnostics import document_diagnostics
from .memory import Collector
from .text import uri_to_path
from .workspace import Analysis, Document, Workspace

LANGUAGE_ID = "slimdsl"
#: Changes closer together than this (seconds) are a burst, checked once when it pauses.
BURST = 0.03
log = logging.getLogger("slimdsl.lsp")


class SlimLanguageServer(LanguageServer):
    """The server: pygls's, plus the workspace of documents and their analyses."""

    def __init__(self) -> None:
        super().__init__("slimc", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.documents = Workspace()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._last_change: dict[str, float] = {}
        self.memory = Collector()

    # ------------------------------------------------------------------ documents

    def document(self, uri: str) -> Document | None:
        return self.documents.get(uri_to_path(uri))

    def analysis(self, uri: str) -> Analysis | None:
        doc = self.document(uri)
        if doc is None:
            return None
        return self.documents.analysis(doc)

    def last_tree(self, params: Any):
        """The last syntax tree of the request's document that parsed (completion, definition
        and the outline work while a line is half typed)."""
        doc = self.document(params.text_document.uri)
        return doc.last_tree if doc is not None else None

    def others(self, analysis: Analysis) -> list[Analysis]:
        """The analyses of the open documents importing this one (for blocks they call)."""
        return [self.documents.analysis(d) for d in self.documents.importers(analysis.path)]

    def schedule(self, uri: str) -> None:
        """Check and publish: now, or when a burst of changes pauses (see the docstring)."""
        self.memory.busy()
        now = time.monotonic()
        burst = now - self._last_change.get(uri, -BURST) < BURST
        self._last_change[uri] = now
        previous = self._timers.pop(uri, None)
        if previous is not None:
            previous.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (called directly): publish now
            self.publish(uri)
            return
        self._timers[uri] = loop.call_later(BURST if burst else 0, self.publish, uri)

    def publish(self, uri: str) -> None:
        """Publish the diagnostics of a document and of the open documents importing it."""
        self._timers.pop(uri, None)
        doc = self.document(uri)
        if doc is None:
            return
        self._publish_one(doc)
        importers = self.documents.importers(doc.path)
        for other in importers:
            self._publish_one(other)
        if importers and _supports_refresh(self):
            self.workspace_inlay_hint_refresh(None)
        self.memory.settled()

    def _publish_one(self, doc: Document) -> None:
        try:
            diagnostics = document_diagnostics(self.documents.analysis(doc))
        except Exception as exc:  # noqa: BLE001 - reported as a diagnostic, the server goes on
            self.log_exception("checking " + doc.uri, exc)
            internal = Diagnostic(Span.point(doc.path, 1, 1), "error", dg.INTERNAL.name,
                                  f"internal error in slimc lsp: {type(exc).__name__}: {exc}",
                                  (dg.Note("this is a bug in slimc; the server's log has the "
                                           "traceback"),))
            diagnostics = [lsp.Diagnostic(
                range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)), message=internal.message
                + "\nnote: " + internal.notes[0].message, severity=lsp.DiagnosticSeverity.Error,
                code=internal.code, source="slimc")]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics,
                                         version=doc.version))

    def log_exception(self, where: str, exc: BaseException) -> None:
        text = f"slimc lsp: internal error while {where}:\n" + "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error(text)
        try:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, text))
        except Exception:  # noqa: BLE001 - no client to tell
            pass


def _supports_refresh(server: SlimLanguageServer) -> bool:
    try:
        caps = server.client_capabilities.workspace
        return bool(caps and caps.inlay_hint and caps.inlay_hint.refresh_support)
    except Exception:  # noqa: BLE001 - before initialization
        return False


def guarded(default: Any = None) -> Callable:
    """A handler that never raises: a failure is logged and answered with ``default``."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(ls: SlimLanguageServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except Exception as exc:  # noqa: BLE001 - the server keeps running
                ls.log_exception(fn.__name__.replace("_", " "), exc)
                return default
        return handler
    return wrap


def document_request(default: Any = None) -> Callable:
    """A request about an open document: the handler also gets the document's analysis, up to
    date (``default`` is the answer for a document that is not open); it never raises
    (:func:`guarded`)."""
    def wrap(fn: Callable) -> Callable:
        @guarded(default)
        @functools.wraps(fn)
        def handler(ls: SlimLanguageServer, params: Any) -> Any:
            analysis = ls.analysis(params.text_document.uri)
            return default if analysis is None else fn(ls, params, analysis)
        return handler
    return wrap


def build_server() -> SlimLanguageServer:
    """A new server with every feature registered."""
    server = SlimLanguageServer()

    @server.feature(lsp.INITIALIZED)
    @guarded()
    def initialized(ls: SlimLanguageServer, params: lsp.InitializedParams) -> None:
        encoding = ls.workspace.position_encoding
        ls.documents.encoding = str(getattr(encoding, "value", encoding) or "utf-16")

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: SlimLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents.open(item.uri, uri_to_path(item.uri), item.text, item.version)
        ls.schedule(item.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: SlimLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        text_doc = ls.workspace.get_text_document(uri)  # pygls applied the changes
        ls.documents.update(uri_to_path(uri), text_doc.source, params.text_document.version)
        ls.schedule(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @guarded()
    def did_save(ls: SlimLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: SlimLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uri_to_path(uri)
        importers = ls.documents.importers(path)
        ls.documents.close(path)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))
        for other in importers:  # they read the file from disk again
            ls.schedule(other.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def watched(ls: SlimLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            for other in ls.documents.importers(uri_to_path(change.uri)):
                ls.schedule(other.uri)

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
    @document_request([])
    def inlay_hint(ls: SlimLanguageServer, params: lsp.InlayHintParams, analysis: Analysis):
        r = params.range
        return hints.inlay_hints(analysis, r.start.line + 1, r.end.line + 1,
                                 ls.others(analysis))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @document_request()
    def on_hover(ls: SlimLanguageServer, params: lsp.HoverParams, analysis: Analysis):
        return hover.hover(analysis, *analysis.lines.point(params.position), ls.others(analysis))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["(", ",", "=", " ", "[", '"']))
    @document_request()
    def on_completion(ls: SlimLanguageServer, params: lsp.CompletionParams, analysis: Analysis):
        return completion.completion(analysis, *analysis.lines.point(params.position),
                                     ls.last_tree(params))

    @server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP,
                    lsp.SignatureHelpOptions(trigger_characters=["(", ","],
                                             retrigger_characters=["="]))
    @document_request()
    def on_signature_help(ls: SlimLanguageServer, params: lsp.SignatureHelpParams,
                          analysis: Analysis):
        return completion.signature_help(analysis, *analysis.lines.point(params.position),
                                         ls.last_tree(params))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @document_request([])
    def on_definition(ls: SlimLanguageServer, params: lsp.DefinitionParams, analysis: Analysis):
        return navigation.definition(analysis, *analysis.lines.point(params.position),
                                     ls.last_tree(params))

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @document_request([])
    def on_symbols(ls: SlimLanguageServer, params: lsp.DocumentSymbolParams,
                   analysis: Analysis):
        return navigation.document_symbols(analysis, ls.last_tree(params))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @document_request()
    def on_formatting(ls: SlimLanguageServer, params: lsp.DocumentFormattingParams,
                      analysis: Analysis):
        return actions.formatting(analysis)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @document_request([])
    def on_code_action(ls: SlimLanguageServer, params: lsp.CodeActionParams,
                       analysis: Analysis):
        return actions.code_actions(analysis, params.text_document.uri, params.range,
                                    params.context.diagnostics)

    return server


def serve() -> int:
    """Run the server on standard input and output until the client exits."""
    logging.basicConfig(level=logging.WARNING, format="slimc lsp: %(message)s")
    build_server().start_io()
    return 0
