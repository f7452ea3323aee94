"""The parser: any rendering of a cable in, a ``Cable`` out, never an exception.

Modules, in the order a cable flows through them: ``decode`` (bytes to text),
``render`` (detect the rendering, undo its damage), ``header`` (transmission header),
``preamble`` (banner, caveats, E.O., TAGS, SUBJECT, REF, Classified By), ``body``
(paragraphs, summary, comment, signer), ``core`` (putting it together).
"""

from cablegram.parse.core import parse

__all__ = ["parse"]
