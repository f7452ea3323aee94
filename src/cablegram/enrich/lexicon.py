"""Word lists for entity extraction from cables: titles, cable jargon, gazetteers.

Everything here is data the statistical model does not know about cables: that
``EMBOFF`` and ``SEPTEL`` are not people, that ``GOAJ`` is the Government of Azerbaijan,
that ``POLAD`` and ``EUCOM Commander General`` stand before a name.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from functools import lru_cache
from importlib import resources


def _w(text: str) -> list[str]:
    """The words of ``text`` (word lists are written as text)."""
    return text.split()


# --- titles ---------------------------------------------------------------------------

# Head words (and fixed phrases) of titles that stand before a personal name. Matched
# without regard to case; "_" stands for a space. Longer phrases are tried first.
TITLE_HEADS = _w("""
president presidents first_lady nsa vfm dfm vice-president vice_president prime_minister deputy_prime_minister
minister ministers foreign_minister defense_minister defence_minister fm pm dpm
defmin mod ambassador ambassadors amb ambassador-at-large ambassador-designate charge codel
charge_d'affaires chargé_d'affaires chargé dcm a/dcm polad secretary secretary-general secretary_general
under_secretary undersecretary u/s assistant_secretary a/s deputy_secretary das
senator senators sen congressman congresswoman congressmen rep representative speaker
governor gov mayor general generals gen genl lieutenant_general ltg lt_gen major_general
maj_gen mg brigadier_general brigadier bg brig_gen colonel col lieutenant_colonel ltc
lt_col major maj captain capt lieutenant lt admiral adm vice_admiral vadm rear_admiral
radm commander cmdr cdr commandant chief director director-general director_general dg
head chairman chairwoman chairperson chair vice-chairman deputy spokesman spokeswoman
spokesperson adviser advisor advisers counselor counsellor councillor consul consul_general
attache king queen prince princess crown_prince emir amir sheikh shaykh sheik sultan
pope cardinal archbishop bishop patriarch metropolitan imam ayatollah grand_ayatollah
rabbi father judge justice prosecutor attorney_general dr mr mrs ms miss mme madame
professor prof sir lord dame senor senora monsieur mp permrep coordinator envoy
special_envoy commissioner codel staffdel srsg deputy_chief_of_mission president-elect
polcouns econcouns polmincouns ecmin pol-mc poloff econoff officer officers
leader whip secretary-designate minister-counselor minister_counselor interlocutor
mc pol-mc polmc econ-mc fonmin navatt arma aira presidente presidenta
ministro ministra senador senadora diputado diputada embajador embajadora canciller
vice-presidente vicepresidente gobernador alcalde
""")

# Words that may qualify a title head: "Defense Minister", "Naval Chief", "Acting FM".
TITLE_MODIFIERS = _w("""
acting deputy vice first second senior junior principal executive special former late
foreign defense defence interior justice finance economy economic trade energy health
education labor labour agriculture culture tourism transport transportation oil
information communications environment industry commerce naval navy army air force
military political public regional national international relations security intelligence
police border customs state prime assistant under associate chief general supreme
presidential parliamentary opposition party provincial regional district municipal
permanent resident commanding sector desk country office division bureau department
ministry embassy mission consular legal press cultural affairs development planning
water fisheries forestry housing youth women social religious human rights emergency
""")

# Department-ish words allowed after "of" inside a title ("Minister of Foreign Affairs").
TITLE_OF_WORDS = frozenset(
    _w("""foreign affairs defense defence interior justice finance economy economic trade
    energy health education labor labour agriculture culture tourism transport
    transportation oil information communications environment industry commerce state
    national security intelligence police staff mission political military public
    planning water fisheries forestry housing youth women social religious emergency
    situations internal external relations international cooperation development
    investment budget treasury parliament assembly council chamber deputies senate court
    party army navy air force general operations""")
)

# Name particles kept inside names (lower case allowed).
PARTICLES = frozenset(
    _w(
        "al al- el el- bin ibn abu abd de da di du del della dos das van von der den la le y ter bint"
    )
)


# --- jargon ---------------------------------------------------------------------------

# Words and phrases of cable prose that are never entities (compared case-insensitively,
# after stripping punctuation).
JARGON = frozenset(
    _w("""
    septel septels reftel reftels ref refs emboff emboffs poloff poloffs econoff econoffs
    polcouns econcouns poloff polmincouns pol-mc ecmin polecon pol/econ mgmt conoff conoffs
    pao rso dcm cda charge ambassador amb embassy post mission department dept usdel
    summary end summary comment end comment note end note action request sipdis noforn
    nodis exdis limdis orcon relto sbu lou unclassified confidential secret top secret
    classified para paras paragraph tags subject reason reasons decl septel front channel
    codel staffdel the minister the ambassador the president ministry government usg
    defatt datt odc milgrp sitrep demarche nonpaper non-paper xxxxxxxxxxxx mfa/ministry
    c o n f i d e n t i a l s e c r e t u n c l a s s i f i e d embassy's post's pol
    econ mil polmil pol/mil e.o. eo ds dhs/ice action info interlocutor interlocutors
    contact contacts source sources poc goal goals reporting agatt legatt fcs pas conoff
    congen refcoord pol-econ polecon econ/pol pol/mil mil/pol deptoff deptoffs septel's
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    fonoff fonmin navatt arma aira usdao milgp rpt deptel embtel mytel ourtel urtel reftels
    govt amemb amembassy amconsul consulgen depoff niact immediate priority routine
    """)
) | frozenset(
    {
        "end summary",
        "end comment",
        "end note",
        "action request",
        "top secret",
        "c o n f i d e n t i a l",
        "s e c r e t",
        "u n c l a s s i f i e d",
        "front channel",
        "the embassy",
        "the department",
        "septel",
        "reftel",
        "comment",
        "summary",
        "note",
        "bio note",
        "begin text",
        "end text",
    }
)

# Government acronyms that name no country by themselves.
FIXED_ORGS: dict[str, str] = {
    "USG": "U.S. Government",
    "HMG": "Her Majesty's Government",
    "EUCOM": "EUCOM",
    "CENTCOM": "CENTCOM",
    "AFRICOM": "AFRICOM",
    "PACOM": "PACOM",
    "SOUTHCOM": "SOUTHCOM",
    "NORTHCOM": "NORTHCOM",
    "SOCEUR": "SOCEUR",
    "USEUCOM": "EUCOM",
    "USCENTCOM": "CENTCOM",
    "MFA": "MFA",
    "MOFA": "MOFA",
    "MOD": "MOD",
    "MOI": "MOI",
    "MOJ": "MOJ",
    "UNSC": "UNSC",
    "UNGA": "UNGA",
    "ISAF": "ISAF",
    "OSCE": "OSCE",
    "EU": "EU",
    "UN": "UN",
    "NATO": "NATO",
    "IAEA": "IAEA",
    "IMF": "IMF",
    "WTO": "WTO",
    "USAID": "USAID",
    "DOD": "DOD",
    "CIA": "CIA",
    "FBI": "FBI",
    "NSC": "NSC",
    "SARG": "SARG",
    "IRIG": "IRIG",
    "IRGC": "IRGC",
    "RTG": "RTG",
    "FCO": "FCO",
    "GOAJ": "Government of Azerbaijan",
}

# Organisation acronyms that are also common words or too ambiguous to trust alone.
_UNSAFE_ACRONYMS = frozenset(
    _w(
        "AI AL AP COM DC DOT ED ETA EP INT IRA IRS ISO NAC SEC SELA TUC WHO AID CARE CIS DOE ESA "
        "ECA ECE EAL FAS INS NSA OAS SBA IDA IOC RFE RL BIS BLS CDC FRB"
    )
)

# Place name variants -> canonical name (keys are normalised with ``norm``).
PLACE_CANON_TEXT = """
u s|us|usa|u s a|united states|united states of america|the united states=United States
uk|u k|britain|great britain|the united kingdom|united kingdom=United Kingdom
dprk|north korea|democratic people s republic of korea=North Korea
rok|south korea|republic of korea=South Korea
prc|people s republic of china|mainland china=China
uae|u a e=United Arab Emirates
ussr|soviet union|the soviet union|u s s r=Soviet Union
the netherlands|netherlands|holland=Netherlands
drc|democratic republic of the congo|congo kinshasa=Democratic Republic of the Congo
burma|myanmar=Burma
nagorno karabakh|nagorno karabagh|nagorno-karabakh=Nagorno-Karabakh
the caucasus|caucasus=Caucasus
the balkans|balkans=Balkans
the baltics|baltics=Baltics
the gulf|persian gulf=Persian Gulf
gaza|gaza strip=Gaza
the west bank|west bank=West Bank
washington dc|washington d c|washington=Washington
"""


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """The comparison form of a name: no accents, lower case, words of letters/digits."""
    t = (
        text
        if text.isascii()
        else "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    )
    return _NON_ALNUM.sub(" ", t.lower()).strip()


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1)
def place_canon() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in PLACE_CANON_TEXT.strip().splitlines():
        variants, _, canon = line.partition("=")
        for v in variants.split("|"):
            out[norm(v)] = canon
    for name in countries().values():
        out.setdefault(norm(name), name)
    return out


def _read(name: str) -> str:
    return resources.files("cablegram.reference").joinpath(f"data/{name}").read_text("utf-8")


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """FIPS 10-4 code -> country name (current and historical)."""
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(_read("fips10-4.csv"))):
        name = re.sub(r"\s*\(.*\)$", "", row["name"]).strip()
        out[row["code"]] = name
    return out


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    return frozenset(n for n in countries().values() if n)


@lru_cache(maxsize=1)
def org_acronyms() -> dict[str, str]:
    """Acronym -> full name, from the organisation TAGS table and ``FIXED_ORGS``."""
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(_read("organisation-names.csv"))):
        code = row["code"].strip().upper()
        if code in _UNSAFE_ACRONYMS or not re.fullmatch(r"[A-Z][A-Z0-9&\-]{1,9}", code):
            continue
        out[code] = row["name"].strip()
    return out


@lru_cache(maxsize=1)
def subject_tags() -> frozenset[str]:
    codes = set()
    for row in csv.DictReader(io.StringIO(_read("subject-tags.csv"))):
        codes.add(row["code"].strip().upper())
    codes.update(w.strip().upper() for w in _read("subject-tags.txt").split())
    return frozenset(codes)


def initials(name: str) -> str:
    """Capital initials of the significant words: ``Office of Defense Cooperation`` -> ODC."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    return "".join(w[0].upper() for w in words if w[0].isupper() or w.lower() not in _SMALL)


_SMALL = frozenset(_w("of the and for on in to de la del des du a an"))


# Post cities that are also personal names (Queen Sofia, Florence...): not trusted alone.
_CITY_NAMES_AMBIGUOUS = frozenset(_w("Hamilton Sofia Florence Victoria Perth Merida Halifax"))


@lru_cache(maxsize=1)
def post_cities() -> frozenset[str]:
    """City names of US posts (Baku, Tbilisi, Ho Chi Minh City...)."""
    from cablegram import reference

    out: set[str] = set()
    for code in reference.known_origins():
        m = re.match(r"(?:Embassy|Consulate General|Consulate)\s+(.+)$", reference.post_name(code))
        if not m or not re.fullmatch(r"[A-Z][A-Za-z\- ]+", m.group(1)):
            continue
        city = re.sub(r"\b(Of|Au|Es|De|E)\b", lambda w: w.group().lower(), m.group(1))
        if city not in _CITY_NAMES_AMBIGUOUS and not re.search(r"\b[A-Z]{2,}\b", city):
            out.add(city)
    return frozenset(out)


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Names the place gazetteer matches as written: countries, post cities, regions."""
    names = set(country_names()) | set(post_cities())
    names.update(v for v in place_canon().values())
    names.update(
        [
            "Caucasus", "Balkans", "Baltics", "Nagorno-Karabakh", "Persian Gulf", "Gaza",
            "West Bank", "Middle East", "Central Asia", "South Asia", "Southeast Asia",
            "Latin America", "Europe", "Africa", "Asia", "Kurdistan", "Darfur", "Chechnya",
            "Kashmir", "Tibet", "Xinjiang", "Crimea", "Abkhazia", "South Ossetia",
            "Transnistria", "Sahel", "Horn of Africa", "Caribbean", "Mediterranean",
            "Black Sea", "Caspian", "Caspian Sea", "Red Sea", "Balkan", "Scandinavia",
        ]
    )  # fmt: skip
    return frozenset(n for n in names if len(n) > 3)


# Nationality and group adjectives that NER often takes for people or organisations.
DEMONYMS = frozenset(
    _w("""American Americans Arab Arabs Arabic British Dutch French Spanish Swiss Greek Greeks
    Thai Filipino Filipinos Danish Swedish Finnish Irish Welsh Scottish English Kurd Kurds
    Kurdish Pashtun Pashtuns Shia Shi'a Shiite Shiites Sunni Sunnis Muslim Muslims
    Christian Christians Jewish Jews Palestinian Palestinians European Europeans Western
    Westerners Soviet Soviets Emirati Emiratis Bahraini Bahrainis Saudi Saudis Israeli
    Israelis Iraqi Iraqis Afghan Afghans Azeri Azeris Russian Russians Iranian Iranians
    Chinese Japanese Korean Koreans Turkish Turk Turks Venezuelan Venezuelans Colombian
    Colombians Brazilian Brazilians Mexican Mexicans Cuban Cubans Indian Indians Pakistani
    Pakistanis Egyptian Egyptians Libyan Libyans Syrian Syrians Lebanese Yemeni Yemenis
    German Germans Italian Italians Polish Hungarian Hungarians Georgian Georgians
    Armenian Armenians Azerbaijani Azerbaijanis Ukrainian Ukrainians Moroccan Moroccans
    Spaniard Spaniards Icelandic Icelanders Bolivian Bolivians Paraguayan Paraguayans
    Argentine Argentines Argentinian Lithuanian Lithuanians Estonian Estonians Latvian
    Canadian Canadians Australian Australians Sudanese Somali Somalis Zimbabwean Iranians
    Nigerian Nigerians Kenyan Kenyans Ethiopian Ethiopians Sudanese Tunisian Tunisians
    Algerian Algerians Jordanian Jordanians Qatari Qataris Kuwaiti Kuwaitis Omani Omanis
    Uzbek Uzbeks Kazakh Kazakhs Kyrgyz Tajik Tajiks Turkmen Serbian Serbs Serb Croatian
    Croats Bosnian Bosniaks Albanian Albanians Kosovar Kosovars Macedonian Bulgarian
    Romanian Romanians Moldovan Moldovans Belarusian Czech Czechs Slovak Slovaks Slovene
    Austrian Austrians Belgian Belgians Norwegian Norwegians Portuguese Vietnamese
    Indonesian Indonesians Malaysian Malaysians Burmese Cambodian Laotian Nepalese
    Nepali Bangladeshi Sri Lankan Tamil Tamils Sinhalese Peruvian Chilean Ecuadorian
    Nicaraguan Honduran Guatemalan Salvadoran Panamanian Costa Rican Dominican Haitian
    Jamaican Latin Hispanic Asian Asians African Africans Caucasian Slavic Orthodox
    Catholic Catholics Protestant Hindu Hindus Buddhist Buddhists Alawite Alawites Druze
    Maronite Maronites Baluch Baloch Hazara Hazaras Tajik Uighur Uighurs Uyghur Uyghurs
    Chechen Chechens Islamist Islamists Bolivarian Zionist Communist Communists Socialist
    Socialists Democrat Democrats Republican Republicans Allied Allies Ally Afro""")
)

# Words the model takes for entities that are not (compass words, generic groups...).
NOT_ENTITIES = frozenset(
    _w("""West East North South Western Eastern Northern Southern Central Coalition IDP IDPs
    Embassy Mission Post Department Ministry Government Administration Presidency Court
    Military Ambassador President
    Minister Secretary General Chairman Opposition Regime Junta Ramadan Eid Christmas
    Internet Web Website Twitter Facebook Google Member Members State States Committee
    Council Commission Assembly Senate Party Union Federation Republic Kingdom Front""")
)


# Treaties, regimes and programmes often written like organisations: not entities.
NOT_ORGS = frozenset(
    _w("""NPT CTBT MTCR HCOC PSI FTA WMD GSP NSG-list START SORT CFE INF ABM FMCT BWC CWC-treaty
    Alliance Mistral Coalition Allies""")
)

# Organisations the model does not know well, as written in cables -> name.
KNOWN_ORGS: dict[str, str] = {
    "Hizballah": "Hizballah", "Hezbollah": "Hizballah", "Hizbollah": "Hizballah",
    "Hamas": "Hamas", "HAMAS": "Hamas", "Taliban": "Taliban", "Fatah": "Fatah",
    "al-Qaida": "al-Qaida", "al-Qaeda": "al-Qaida", "Al-Qaida": "al-Qaida", "Al-Qaeda": "al-Qaida",
    "al Qaida": "al-Qaida", "Al Qaida": "al-Qaida", "Al Qaeda": "al-Qaida", "AQIM": "AQIM",
    "PKK": "PKK", "LTTE": "LTTE", "Muslim Brotherhood": "Muslim Brotherhood",
    "SAVAK": "SAVAK", "Savak": "SAVAK", "Mossad": "Mossad", "Interpol": "Interpol",
    "Pentagon": "Pentagon", "White House": "White House", "Kremlin": "Kremlin",
    "State Department": "State Department", "Department of State": "State Department",
}  # fmt: skip
