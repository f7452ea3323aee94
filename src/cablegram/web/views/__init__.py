"""The pages, one module per kind: ``search`` (home and results), ``cable`` (a cable and
its diff), ``stats``, ``entities`` (the list and one entity), ``declass``.

Each page is a function of the reader's access-checked view of the archive
(``ReaderArchive``), run on a reader thread of the pool, returning HTML (and a status, or
a URL to redirect to); ``cablegram.web.routes`` maps URLs to them.
"""
