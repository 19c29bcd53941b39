"""The language server's documents and its cache of checked files.

:class:`Workspace` holds the open documents (whose text overrides the file on disk, for the
document itself and for every file that imports it) and a :class:`Checker`, which turns a text
into an :class:`Analysis`: its syntax tree, program, graphs and diagnostics, the same as
``slimc check``. The checker keeps what an edit cannot have changed:

- an imported file is read once per change on disk (or per edit of its open document) and
  parsed once (:func:`slimdsl.frontend.program.parse_import` memoises the tree);
- a model is lowered again only when its definition (or the alias chain it expands), a block or
  a ``def`` of its program changed; an edit inside one model of a file of several re-checks
  that model only;
- and then from the statement the edit touched, keeping the rest of the old graph once the
  lowering is back where it was (:mod:`slimdsl.lower.incremental`).
"""

from __future__ import annotations

import os
from typing import Any

from .. import diagnostics as dg
from ..api import check_model, lint_diagnostics, program_diagnostics
from ..diagnostics import CompileError, Diagnostic, Span
from ..frontend import tree as n
from ..frontend.incremental import Document as ParsedText
from ..frontend.incremental import parse_document
from ..frontend.parser import parse
from ..frontend.program import Program, load_program, read_text
from ..ir import Graph
from ..lint import LintCache, ignored
from ..lower.incremental import Change, IncrementalModel
from ..records import dataclass, field
from .accounts import ModelAccounts
from .text import Lines, same_file


def file_key(path: str) -> str:
    """The key a path is known by: absolute and normalized."""
    if "://" in path or path.startswith("untitled:"):
        return path
    return os.path.normpath(os.path.abspath(path))


@dataclass
class Analysis:
    """One document, checked: what every feature of the server reads."""

    path: str
    text: str
    version: int | None
    lines: Lines
    tree: n.File | None = None  # None when the text does not parse
    program: Program | None = None  # None when the text or an import does not load
    graphs: list[Graph] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: The text of every file the program read (by :func:`file_key`; None: it could not be
    #: read), to tell when the analysis is stale.
    deps: dict[str, str | None] = field(default_factory=dict)
    #: For every file the program read, the import statement of this file that led to it.
    via: dict[str, n.Import] = field(default_factory=dict)
    #: Indexes the features build on demand (hints, hover), dropped with the analysis.
    memo: dict[str, Any] = field(default_factory=dict)

    def imports_file(self, key: str) -> bool:
        return key in self.deps


class Checker:
    """Checks documents, reusing the parse and the models an edit did not touch."""

    def __init__(self, read_import) -> None:
        self._read_import = read_import
        self._parsed: dict[str, ParsedText] = {}
        #: path -> (the text last checked, its models' incremental states)
        self._models: dict[str, tuple[str, dict[str, IncrementalModel]]] = {}
        #: path -> its models' accounting states (see :mod:`.accounts`)
        self._accounts: dict[str, dict[str, ModelAccounts]] = {}
        #: path -> what the lints keep between edits (see :class:`slimdsl.lint.LintCache`)
        self._lints: dict[str, LintCache] = {}

    @property
    def stats(self) -> dict[str, int]:
        """How the models were checked, over every document: lowered in ``full``, ``resumed``
        at an edit (and of those, ``cutoff`` early), or ``kept`` as they were."""
        total = {"full": 0, "resumed": 0, "cutoff": 0, "kept": 0}
        for _, models in self._models.values():
            for model in models.values():
                for k, v in model.stats.items():
                    total[k] += v
        return total

    @property
    def accounting_stats(self) -> dict[str, int]:
        """How the models were accounted, over every document: looking at the ``fast``
        changed layers only, or at all of them (``full``)."""
        total = {"fast": 0, "full": 0}
        for accounts in self._accounts.values():
            for account in accounts.values():
                for k, v in account.stats.items():
                    total[k] += v
        return total

    def forget(self, path: str) -> None:
        self._parsed.pop(path, None)
        self._models.pop(path, None)
        self._lints.pop(path, None)
        self._accounts.pop(path, None)

    def parse(self, path: str, text: str) -> tuple[n.File | None, list[Diagnostic]]:
        """The text's syntax tree (None when it does not parse) and syntax errors: after an
        edit, only the statements it touched are parsed again
        (:mod:`slimdsl.frontend.incremental`)."""
        doc = self._parsed.get(path)
        try:
            doc = parse_document(text, path) if doc is None else doc.update(text)
        except RecursionError:
            self._parsed.pop(path, None)
            return None, [Diagnostic(Span.point(path, 1, 1), "error", dg.TOO_DEEP.name,
                                     "expression nested too deeply to analyse")]
        self._parsed[path] = doc
        return doc.tree, doc.diagnostics

    def analyze(self, path: str, text: str, version: int | None,
                encoding: str = "utf-16") -> Analysis:
        """Check ``text`` as the file ``path``: never raises for bad input."""
        result = Analysis(path, text, version, Lines(text, path, encoding))
        tree, syntax = self.parse(path, text)
        result.tree = tree
        if tree is None:
            result.diagnostics = syntax
            return result

        base = os.path.dirname(path) if path not in ("<stdin>", "<string>") else os.getcwd()
        direct = {file_key(os.path.join(base, imp.path)): imp for imp in tree.imports}
        current: list[n.Import] = []

        def reader(target: str) -> str:
            key = file_key(target)
            if key in direct:  # imports are read depth first: what follows came through it
                current[:] = [direct[key]]
            if current:
                result.via[key] = current[0]
            result.deps[key] = None
            content = self._read_import(target)
            result.deps[key] = content
            return content

        try:
            program = load_program(text, path, reader, root=tree)
        except CompileError as exc:
            result.diagnostics = list(exc.diagnostics)
            return result
        except RecursionError:
            result.diagnostics = [Diagnostic(Span.point(path, 1, 1), "error", dg.TOO_DEEP.name,
                                             "expression nested too deeply to analyse")]
            return result
        result.program = program
        names = [m.name for m in program.own_models]
        found: dict[Diagnostic, None] = dict.fromkeys(program_diagnostics(program, names))
        last_text, previous = self._models.get(path, (None, {}))
        change = Change.between(path, last_text, text) if last_text is not None else None
        models: dict[str, IncrementalModel] = {}
        old_accounts = self._accounts.get(path, {})
        accounts: dict[str, ModelAccounts] = {}
        clean: list[Graph] = []  # lowered without errors, for the lints
        for name in names:
            model = previous.get(name) or IncrementalModel(name)
            account = accounts[name] = old_accounts.get(name) or ModelAccounts()
            graph, diags = check_model(program, name, incremental=model, change=change,
                                       account=account.account)
            models[name] = model
            found.update(dict.fromkeys(diags))
            if graph is not None:
                result.graphs.append(graph)
                if not any(d.is_error for d in diags):
                    clean.append(graph)
        # the warnings of `slimc check` (which statement lists an incremental lowering ran is
        # not known: blocks nothing reads are still checked without values, branches are not)
        lints = self._lints.setdefault(path, LintCache())
        found.update(dict.fromkeys(lint_diagnostics(program, clean, names, None, found,
                                                    cache=lints)))
        self._models[path] = (text, models)
        self._accounts[path] = accounts
        # `# slimc: ignore[CODE]` silences any warning on its line, as in `slimc check`
        kept = [d for d in found if d.is_error or not ignored(d, program.sources)]
        result.diagnostics = sorted(kept, key=lambda d: (not same_file(d.span.path, path),
                                                         d.span.line, d.span.column))
        return result


#: Largest text :func:`recover_tree` tries to repair (each attempt is a parse).
RECOVER_LIMIT = 100_000


def recover_tree(analysis: Analysis) -> n.File | None:
    """A tree of a text that does not parse, with the lines around its syntax error blanked
    (a half-typed line), for completion and the outline of a document opened broken."""
    syntax = [d for d in analysis.diagnostics if d.code == dg.SYNTAX.name]
    if not syntax or len(analysis.text) > RECOVER_LIMIT:
        return None
    line = syntax[0].span.line
    for blank in ((line,), (line - 1,), (line - 1, line)):
        lines = analysis.text.split("\n")
        for i in blank:
            if 1 <= i <= len(lines):
                lines[i - 1] = ""
        try:
            return parse("\n".join(lines), analysis.path)
        except (CompileError, RecursionError):
            continue
    return None


@dataclass
class Document:
    """An open document: its URI, path, text and version, and its latest analysis."""

    uri: str
    path: str
    text: str
    version: int | None = None
    analysis: Analysis | None = None
    #: The last syntax tree that parsed: completion and the outline use it while a line is
    #: half typed.
    last_tree: n.File | None = None


class Workspace:
    """Open documents and the files on disk they import; the analyses of the open documents."""

    def __init__(self, encoding: str = "utf-16") -> None:
        self.documents: dict[str, Document] = {}  # by file_key
        self.encoding = encoding
        self._disk: dict[str, tuple[tuple[int, int], str]] = {}
        self.checker = Checker(self.read)

    def read(self, path: str) -> str:
        """An imported file's text: the open document's if it is open, else the file's (read
        again only when its size or modification time changed). Raises OSError or
        UnicodeDecodeError as :func:`slimdsl.frontend.program.read_text` does."""
        key = file_key(path)
        doc = self.documents.get(key)
        if doc is not None:
            return doc.text
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._disk.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        text = read_text(path)
        self._disk[key] = (stamp, text)
        return text

    def open(self, uri: str, path: str, text: str, version: int | None) -> Document:
        doc = Document(uri, path, text, version)
        self.documents[file_key(path)] = doc
        return doc

    def update(self, path: str, text: str, version: int | None) -> Document | None:
        doc = self.documents.get(file_key(path))
        if doc is not None:
            doc.text, doc.version = text, version
        return doc

    def close(self, path: str) -> None:
        key = file_key(path)
        self.documents.pop(key, None)
        self.checker.forget(path)

    def get(self, path: str) -> Document | None:
        return self.documents.get(file_key(path))

    def analysis(self, doc: Document) -> Analysis:
        """The document's analysis, brought up to date (its text or an import changed)."""
        current = doc.analysis
        if current is not None and current.text is doc.text and self._fresh(current):
            return current
        doc.analysis = self.checker.analyze(doc.path, doc.text, doc.version, self.encoding)
        if doc.analysis.tree is not None:
            doc.last_tree = doc.analysis.tree
        elif doc.last_tree is None:
            doc.last_tree = recover_tree(doc.analysis)
        return doc.analysis

    def _fresh(self, analysis: Analysis) -> bool:
        for key, text in analysis.deps.items():
            try:
                if self.read(key) != text:
                    return False
            except (OSError, UnicodeDecodeError):
                if text is not None:
                    return False
        return True

    def importers(self, path: str) -> list[Document]:
        """The open documents whose last analysis read ``path`` (directly or through other
        imports): they are checked again when it changes."""
        key = file_key(path)
        return [d for k, d in self.documents.items()
                if k != key and d.analysis is not None and d.analysis.imports_file(key)]
