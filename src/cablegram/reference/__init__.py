"""Reference data for cables, with provenance (see ``data/PROVENANCE.md``).

Posts and routing::

    routing_name('RUEHKB')            -> 'AMEMBASSY BAKU'
    post_name('BAKU')                 -> 'Embassy Baku'       (also post_name('AMEMBASSY BAKU'))
    origin_code('USUN NEW YORK')      -> 'USUNNEWYORK'
    canonical_origin('NOFORNMOGADISHU') -> 'MOGADISHU'
    known_origins()                   -> frozenset of origin codes

TAGS::

    tag('PGOV')   -> Tag('PGOV', 'subject', 'Internal Governmental Affairs')
    tag('AJ')     -> Tag('AJ', 'country', 'Azerbaijan')        (FIPS 10-4, not ISO)
    country_name('UP') -> 'Ukraine'

Markings::

    precedence_name('OO') -> 'IMMEDIATE';  SECURITY_LINE['CCCCC'] -> 'CONFIDENTIAL'
    classification_level('S') -> 4;        parse_marking('S//NF') -> (4, ('NOFORN',))
    eo_reason('1.4(b)') -> 'foreign government information'

Data files are read lazily, once; the per-cable look-ups are cached dictionary hits.
"""

from cablegram.reference.markings import (
    CAVEATS,
    CLASSIFICATIONS,
    EO_REASONS,
    EO_REASONS_BY_ORDER,
    EXECUTIVE_ORDERS,
    PRECEDENCE,
    SECURITY_LINE,
    caveat_name,
    classification_level,
    eo_reason,
    eo_reasons,
    is_caveat,
    parse_marking,
    precedence_name,
)
from cablegram.reference.posts import (
    canonical_origin,
    known_origins,
    origin_code,
    post_name,
    routing_indicator,
    routing_name,
)
from cablegram.reference.tags import country_name, tag, tag_info

__all__ = [
    "CAVEATS",
    "CLASSIFICATIONS",
    "EO_REASONS",
    "EO_REASONS_BY_ORDER",
    "EXECUTIVE_ORDERS",
    "PRECEDENCE",
    "SECURITY_LINE",
    "canonical_origin",
    "caveat_name",
    "classification_level",
    "country_name",
    "eo_reason",
    "eo_reasons",
    "is_caveat",
    "known_origins",
    "origin_code",
    "parse_marking",
    "post_name",
    "precedence_name",
    "routing_indicator",
    "routing_name",
    "tag",
    "tag_info",
]
