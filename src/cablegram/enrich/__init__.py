"""People, organisations and places in cables: extraction, resolution, curation.

    from cablegram.archive import Archive

    with Archive("cables.db") as arc:
        arc.enrich(workers=2)                          # the `cablegram enrich` stage
        arc.search("person:Abiyev place:Baku")         # filters on the resolved entities
        page = arc.entity("person:safar-abiyev")       # aliases, titles, cables, co-mentions
        arc.merge_entities("person:abiyev", "person:safar-abiyev")  # kept across re-runs

Modules, one job each: ``extract`` (the extractor: rules plus spaCy NER, one cable at
a time), ``patterns`` (its expressions and word tests; how a name is cleaned and keyed),
``mentions`` (the records it reads and gives), ``incable`` (resolution inside a cable),
``citations`` (cable ids and septel sentences in the text), ``truecase`` (ALL-CAPS text),
``lexicon`` (titles, jargon, gazetteers), ``db`` (the tables of
``store/entities_sqlite.sql``, resolution across the archive, corrections), ``run`` (the
parallel, resumable stage), ``catalog`` (entity lists, pages, facets, curation). See
docs/entities.md.
"""

import os as _os

# One BLAS thread per process, set before numpy loads: enrichment runs processes.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

from cablegram.enrich.extract import EXTRACTOR_VERSION, Extractor  # noqa: E402
from cablegram.enrich.mentions import CableEntities, CableText, Mention  # noqa: E402
from cablegram.enrich.run import EnrichReport, enrich, extractor_version  # noqa: E402

__all__ = [
    "EXTRACTOR_VERSION",
    "CableEntities",
    "CableText",
    "EnrichReport",
    "Extractor",
    "Mention",
    "enrich",
    "extractor_version",
]
