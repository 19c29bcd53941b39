"""A Pygments lexer for .slim files, alias ``slimdsl`` (``slim`` is Ruby Slim's).

Registered through the ``pygments.lexers`` entry point, so Sphinx, MkDocs and ``pygmentize``
highlight ```` ```slimdsl ```` blocks once slimdsl is installed. ``*.slim`` is only an
*alias* filename: ``guess_lexer_for_filename`` picks this lexer for a ``.slim`` file by its
content (:meth:`SlimDslLexer.analyse_text`), so Ruby Slim templates keep their lexer.
Word lists come from the grammar and the layer registry (:mod:`slimdsl.editors.vocabulary`).

Pygments is an optional dependency: nothing in the compiler imports this module.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from .vocabulary import word_lists

__all__ = ["SlimDslLexer"]

_W = word_lists()
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SLIMDSL_LINE = re.compile(r"^\s*(?:(?:model|block)\s+[A-Za-z_]\w*\s*[({=]|import\s+[\"'])",
                           re.M)


def _alt(names) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))


def _string_state(quote: str, token) -> list:
    return [
        (r"\\.", String.Escape),
        (r"\{" + _NAME + r"\}", String.Interpol),
        (quote, token, "#pop"),
        (r"\n", Whitespace, "#pop"),  # strings end on their line; keep lexing the next one
        (r"[^\\{\n" + quote + r"]+", token),
        (r"\{", token),
    ]


class SlimDslLexer(RegexLexer):
    """Lexer for slimdsl .slim neural network specs."""

    name = "slimdsl"
    aliases = ["slimdsl"]
    filenames = ["*.slimdsl"]
    alias_filenames = ["*.slim"]
    mimetypes = ["text/x-slimdsl"]
    url = "https://pypi.org/project/slimdsl/"
    version_added = ""

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "dqs"),
            (r"'", String.Single, "sqs"),
            (r"\b(model|block|def)(\s+)(" + _NAME + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (r"\b(as)(\s+)(" + _NAME + ")", bygroups(Keyword, Whitespace, Name.Label)),
            (r"(:)(\s*)\b(" + _alt(_W["types"]) + r")\b(?!\s*\()",
             bygroups(Punctuation, Whitespace, Keyword.Type)),
            (words(_W["declarations"], suffix=r"\b"), Keyword.Declaration),
            (words(_W["imports"], suffix=r"\b"), Keyword.Namespace),
            (words(_W["control"], suffix=r"\b"), Keyword),
            (words(_W["logical"], suffix=r"\b"), Operator.Word),
            (words(_W["statements"], suffix=r"\b"), Keyword),
            (words(_W["constants"], suffix=r"\b"), Keyword.Constant),
            (r"\?", Keyword.Constant),
            (words(_W["dtypes"], suffix=r"\b"), Keyword.Type),
            (r"\bnet\b", Name.Builtin.Pseudo),
            (words(_W["layers"], prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (words(_W["builtins"], prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (_NAME + r"(?=\s*\()", Name.Function),
            (r"(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"\(", Punctuation, "parens"),
            (r"==|!=|<=|>=|//|[-+*/%<>=]", Operator),
            (r"[\[\]{},:.)]", Punctuation),
            (_NAME, Name),
        ],
        "parens": [
            (r"(" + _NAME + r")(\s*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (r"\)", Punctuation, "#pop"),
            include("root"),
        ],
        "dqs": _string_state('"', String.Double),
        "sqs": _string_state("'", String.Single),
    }

    def analyse_text(text: str) -> float:  # noqa: N805 - Pygments makes it a static method
        """High for files with slimdsl definitions near the top; 0 for anything else."""
        head = "\n".join(text.splitlines()[:50])
        if _SLIMDSL_LINE.search(head):
            return 0.9
        if "arg_scope(" in head:
            return 0.5
        return 0.0
