/* The parser's scans in C: the cablegate page's tags, the text of a <pre> block, and
 * searches of the telegram text.
 *
 * tag_starts(text): where "<" is followed by one of cChHtT and one of dDoO3. The same
 * positions as re.compile(r"<[cChHtT][dDoO3]").finditer(text), in order (the matches
 * cannot overlap: each starts with "<", which neither later character can be). Python's
 * regex engine walks the ~70 KB of a cablegate page one character at a time (~70 us);
 * memchr from one of its ~2,800 "<" to the next took ~20; comparing 16 characters at a
 * time with SSE2 (every x86-64 has it), "<" and the letter after it at once, ~5.
 *
 * pre_text(fragment): what render._html_to_text gives for a <pre> block, in two passes
 * instead of eight, or None where it cannot tell cheaply and the Python twin must run (a
 * tag it handles apart, such as <br>; a character reference other than the five below; a
 * carriage return). See pre_text's comment for the steps it reproduces.
 *
 * find(text, sub, start, end) and lower_ascii(text): str.find and scan.fold's lower-case
 * copy, quicker on one-byte text (scan.py); of_marks(text) and number_marks(text): where
 * two regexes of the page-header and glued-paragraph passes match (pages.py, core.py).
 *
 * Each has its Python twin, which runs when this module was not built (CABLEGRAM_PURE=1,
 * no compiler) and, for pre_text, where it returns None; tests/test_parse_compiled.py
 * compares them (docs/parsing.md).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline int
first_ok(Py_UCS4 c)
{
    return c == 'c' || c == 'C' || c == 'h' || c == 'H' || c == 't' || c == 'T';
}

static inline int
second_ok(Py_UCS4 c)
{
    return c == 'd' || c == 'D' || c == 'o' || c == 'O' || c == '3';
}

static int
append(PyObject *out, Py_ssize_t i)
{
    PyObject *n = PyLong_FromSsize_t(i);
    if (n == NULL)
        return -1;
    int rc = PyList_Append(out, n);
    Py_DECREF(n);
    return rc;
}

/* The scan over [i, n), one code point at a time (any kind). */
static int
scan_plain(PyObject *out, int kind, const void *data, Py_ssize_t i, Py_ssize_t n)
{
    for (; i + 2 < n; i++) {
        if (PyUnicode_READ(kind, data, i) == '<'
            && first_ok(PyUnicode_READ(kind, data, i + 1))
            && second_ok(PyUnicode_READ(kind, data, i + 2))
            && append(out, i) < 0)
            return -1;
    }
    return 0;
}

static PyObject *
tag_starts(PyObject *Py_UNUSED(self), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "tag_starts() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    /* Blocks of 16 one-byte or 8 two-byte characters: a lane is a candidate when it holds
     * "<" and the next character, with bit 0x20 set (lower case), is "c", "h" or "t"
     * (only C, c, H, h, T and t become those). The third character is tested here. */
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        const __m128i lt = _mm_set1_epi8('<'), low = _mm_set1_epi8(0x20);
        const __m128i c = _mm_set1_epi8('c'), h = _mm_set1_epi8('h'), t = _mm_set1_epi8('t');
        for (; i + 17 < n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 1)), low);
            __m128i ok = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, c), _mm_cmpeq_epi8(b, h)),
                                      _mm_cmpeq_epi8(b, t));
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, lt), ok));
            while (mask) {
                Py_ssize_t j = i + __builtin_ctz(mask);
                mask &= mask - 1;
                if (second_ok(s[j + 2]) && append(out, j) < 0)
                    goto error;
            }
        }
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *s = (const Py_UCS2 *)data;
        const __m128i lt = _mm_set1_epi16('<'), low = _mm_set1_epi16(0x20);
        const __m128i c = _mm_set1_epi16('c'), h = _mm_set1_epi16('h'), t = _mm_set1_epi16('t');
        for (; i + 9 < n; i += 8) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 1)), low);
            __m128i ok = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(b, c), _mm_cmpeq_epi16(b, h)),
                                      _mm_cmpeq_epi16(b, t));
            /* two mask bits a lane: keep the lower of each pair */
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi16(a, lt), ok))
                            & 0x5555u;
            while (mask) {
                Py_ssize_t j = i + __builtin_ctz(mask) / 2;
                mask &= mask - 1;
                if (second_ok(s[j + 2]) && append(out, j) < 0)
                    goto error;
            }
        }
    }
#else
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        const Py_UCS1 *p = s;
        const Py_UCS1 *end = s + n;
        while (end - p >= 3) {
            p = memchr(p, '<', (size_t)(end - p - 2));
            if (p == NULL)
                break;
            if (first_ok(p[1]) && second_ok(p[2]) && append(out, p - s) < 0)
                goto error;
            p++;
        }
        i = n;
    }
#endif
    if (scan_plain(out, kind, data, i, n) < 0)
        goto error;
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

/* -- the text of a <pre> block ------------------------------------------------------ */

/* The characters str.rstrip() takes that pre_text can meet at the end of a line: white
 * space other than the line break and the control characters it drops (\x0b, \x0c and
 * \x1c-\x1f go before the lines are stripped; a \r sends the block to Python). */
static inline int
strip_space(Py_UCS4 c)
{
    return c != '\n' && Py_UNICODE_ISSPACE(c);
}

/* _CONTROL_BYTES of render: [\x00-\x08\x0b\x0c\x0e-\x1f\x7f]. */
static inline int
dropped(Py_UCS4 c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

static inline int
ascii_lower(Py_UCS4 c)
{
    return (c >= 'A' && c <= 'Z') ? (int)(c + 32) : (int)c;
}

/* What five references give (html.unescape reads them so: each ends at its ";"). */
static const struct {
    const char *ref;
    Py_ssize_t len;
    Py_UCS4 ch;
} REFS[] = {
    {"&#x000A;", 8, '\n'}, {"&amp;", 5, '&'}, {"&quot;", 6, '"'},
    {"&lt;", 4, '<'},      {"&gt;", 4, '>'},  {"&#39;", 5, '\''},
};
#define NREFS ((int)(sizeof REFS / sizeof REFS[0]))

/* Whether a "&" before c starts no reference for html.unescape (whose pattern needs a
 * "#" or a character other than these after it): the "&" stays as it is. */
static inline int
bare_amp(Py_UCS4 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '<' || c == '&' || c == ';';
}

/* The names html.unescape reads without a ";" (those of html.entities.html5 that do not
 * end with one: HTML's legacy names). "&" and a word that starts with none of them is
 * left as it is ("R&D", "&the"). */
static const char *const LEGACY[] = {
    "AElig", "AMP", "Aacute", "Acirc", "Agrave", "Aring", "Atilde", "Auml", "COPY",
    "Ccedil", "ETH", "Eacute", "Ecirc", "Egrave", "Euml", "GT", "Iacute", "Icirc",
    "Igrave", "Iuml", "LT", "Ntilde", "Oacute", "Ocirc", "Ograve", "Oslash", "Otilde",
    "Ouml", "QUOT", "REG", "THORN", "Uacute", "Ucirc", "Ugrave", "Uuml", "Yacute",
    "aacute", "acirc", "acute", "aelig", "agrave", "amp", "aring", "atilde", "auml",
    "brvbar", "ccedil", "cedil", "cent", "copy", "curren", "deg", "divide", "eacute",
    "ecirc", "egrave", "eth", "euml", "frac12", "frac14", "frac34", "gt", "iacute",
    "icirc", "iexcl", "igrave", "iquest", "iuml", "laquo", "lt", "macr", "micro",
    "middot", "nbsp", "not", "ntilde", "oacute", "ocirc", "ograve", "ordf", "ordm",
    "oslash", "otilde", "ouml", "para", "plusmn", "pound", "quot", "raquo", "reg", "sect",
    "shy", "sup1", "sup2", "sup3", "szlig", "thorn", "times", "uacute", "ucirc", "ugrave",
    "uml", "uuml", "yacute", "yen", "yuml"
};
#define NLEGACY ((int)(sizeof LEGACY / sizeof LEGACY[0]))

/* The characters html.unescape's named reference is made of: not "\t\n\f <&#;". */
static inline int
name_char(Py_UCS4 c)
{
    return !(c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#'
             || c == ';');
}

/* The two passes, one version for each string kind (T: its code unit). Each returns the
 * length written to out, or -1: the Python twin must run. */
#define PRE_PASSES(SUFFIX, T)                                                              \
    static Py_ssize_t strip_tags_##SUFFIX(const T *s, Py_ssize_t n, T *out)                \
    {                                                                                      \
        Py_ssize_t m = 0;                                                                  \
        int no_close = 0; /* no ">" from here on: no more tags */                          \
        Py_ssize_t i = 0;                                                                  \
        while (i < n) {                                                                    \
            Py_ssize_t lt = find_lt_##SUFFIX(s, i, n);                                     \
            memcpy(out + m, s + i, (size_t)(lt - i) * sizeof(T));                          \
            m += lt - i;                                                                   \
            if (lt == n)                                                                   \
                break;                                                                     \
            if (gate_##SUFFIX(s, n, lt))                                                   \
                return -1;                                                                 \
            if (!no_close && lt + 1 < n && s[lt + 1] != '>') {                             \
                /* [^>]+ takes the next character, then runs to the first ">" */          \
                Py_ssize_t j = lt + 1;                                                     \
                for (; j < n && s[j] != '>'; j++) {                                        \
                    if (s[j] == '<' && gate_##SUFFIX(s, n, j))                             \
                        return -1;                                                         \
                }                                                                          \
                if (j < n) {                                                               \
                    i = j + 1;                                                             \
                    continue;                                                              \
                }                                                                          \
                no_close = 1;                                                              \
            }                                                                              \
            out[m++] = s[lt];                                                              \
            i = lt + 1;                                                                    \
        }                                                                                  \
        return m;                                                                          \
    }                                                                                      \
                                                                                           \
    static Py_ssize_t lines_##SUFFIX(const T *s, Py_ssize_t m, T *out)                     \
    {                                                                                      \
        Py_ssize_t k = 0;                                                                  \
        Py_ssize_t line = 0; /* where the current line starts in out */                    \
        Py_ssize_t i = 0;                                                                  \
        while (i < m) {                                                                    \
            Py_UCS4 ch = s[i];                                                             \
            if (ch >= ' ' && ch != '&' && ch != 0x7f) { /* kept as they are */            \
                out[k++] = (T)ch;                                                          \
                i++;                                                                       \
                continue;                                                                  \
            }                                                                              \
            if (ch == '&') {                                                               \
                int r = 0;                                                                 \
                for (; r < NREFS; r++) {                                                   \
                    Py_ssize_t q = 0, len = REFS[r].len;                                   \
                    if (i + len > m)                                                       \
                        continue;                                                          \
                    while (q < len && s[i + q] == (T)(unsigned char)REFS[r].ref[q])        \
                        q++;                                                               \
                    if (q == len)                                                          \
                        break;                                                             \
                }                                                                          \
                if (r < NREFS) {                                                           \
                    ch = REFS[r].ch;                                                       \
                    i += REFS[r].len;                                                      \
                }                                                                          \
                else if (i + 1 == m || bare_amp(s[i + 1]))                                 \
                    i++; /* "R& D", "&&": a "&" no reference starts with */                \
                else if (plain_word_##SUFFIX(s, m, i + 1))                                 \
                    i++; /* "R&D": a word that is no reference */                          \
                else                                                                       \
                    return -1;                                                             \
            }                                                                              \
            else {                                                                         \
                i++;                                                                       \
                if (ch == '\r')                                                            \
                    return -1;                                                             \
                if (dropped(ch))                                                           \
                    continue;                                                              \
            }                                                                              \
            if (ch == '\n') {                                                              \
                while (k > line && strip_space(out[k - 1]))                                \
                    k--;                                                                   \
                out[k++] = '\n';                                                           \
                line = k;                                                                  \
                continue;                                                                  \
            }                                                                              \
            out[k++] = (T)ch;                                                              \
        }                                                                                  \
        while (k > line && strip_space(out[k - 1]))                                        \
            k--;                                                                           \
        return k;                                                                          \
    }

/* Whether the word after a "&" at i - 1 (what html.unescape's pattern takes for a named
 * reference: up to 32 name characters, and a ";" after them) is one it leaves as it is:
 * no ";" after it, and no legacy name that it starts with, the whole word included. */
#define PLAIN_WORD(SUFFIX, T)                                                              \
    static int plain_word_##SUFFIX(const T *s, Py_ssize_t m, Py_ssize_t i)                 \
    {                                                                                      \
        Py_ssize_t r = i;                                                                  \
        while (r < m && r - i < 32 && name_char(s[r]))                                     \
            r++;                                                                           \
        if (r == i || (r < m && s[r] == ';'))                                              \
            return 0;                                                                      \
        for (int q = 0; q < NLEGACY; q++) {                                                \
            const char *name = LEGACY[q];                                                  \
            Py_ssize_t len = (Py_ssize_t)strlen(name), c = 0;                              \
            if (len > r - i)                                                               \
                continue;                                                                  \
            while (c < len && s[i + c] == (T)(unsigned char)name[c])                       \
                c++;                                                                       \
            if (c == len)                                                                  \
                return 0;                                                                  \
        }                                                                                  \
        return 1;                                                                          \
    }

#define GATE(SUFFIX, T)                                                                    \
    static inline int gate_##SUFFIX(const T *s, Py_ssize_t n, Py_ssize_t i)                \
    {                                                                                      \
        if (i + 1 >= n)                                                                    \
            return 0;                                                                      \
        Py_UCS4 c1 = s[i + 1];                                                             \
        if (c1 == 0x17f)                                                                   \
            return 1;                                                                      \
        c1 = (Py_UCS4)ascii_lower(c1);                                                     \
        if (c1 == 's' || c1 == 'b')                                                        \
            return 1;                                                                      \
        if (c1 != '/' || i + 2 >= n)                                                       \
            return 0;                                                                      \
        Py_UCS4 c2 = (Py_UCS4)ascii_lower(s[i + 2]);                                       \
        return c2 == 'p' || c2 == 'd' || c2 == 't' || c2 == 'h' || c2 == 'l';              \
    }

/* The next "<" in s[i:n], or n. */
static inline Py_ssize_t
find_lt_1(const Py_UCS1 *s, Py_ssize_t i, Py_ssize_t n)
{
    const Py_UCS1 *p = memchr(s + i, '<', (size_t)(n - i));
    return p ? p - s : n;
}

#define FIND_LT(SUFFIX, T)                                                                 \
    static inline Py_ssize_t find_lt_##SUFFIX(const T *s, Py_ssize_t i, Py_ssize_t n)      \
    {                                                                                      \
        while (i < n && s[i] != '<')                                                       \
            i++;                                                                           \
        return i;                                                                          \
    }

FIND_LT(2, Py_UCS2)
FIND_LT(4, Py_UCS4)
GATE(1, Py_UCS1)
GATE(2, Py_UCS2)
GATE(4, Py_UCS4)
PLAIN_WORD(1, Py_UCS1)
PLAIN_WORD(2, Py_UCS2)
PLAIN_WORD(4, Py_UCS4)
PRE_PASSES(1, Py_UCS1)
PRE_PASSES(2, Py_UCS2)
PRE_PASSES(4, Py_UCS4)

/* pre_text(fragment) is render._html_to_text(fragment) when that goes this way:
 *   _SCRIPT_OR_BREAK finds nothing: only _TAG.sub("", s) removes tags ("<[^>]+>");
 *   _unescape: "&#x000A;" (and a space before it) becomes a line break; in what is left no
 *     "&" but those of &amp; &quot; &lt; &gt; &#39;, which html.unescape decodes, and those
 *     it leaves as they are (see bare_amp and plain_word), and no carriage return, so
 *     _clean_text has none to turn into line breaks either;
 *   _drop_controls deletes [\x00-\x08\x0b\x0c\x0e-\x1f\x7f];
 *   _rstrip_lines right-strips every line. (It tests first whether any line needs it, but
 *     stripping lines that need none changes nothing. So the space before "&#x000A;" that
 *     _unescape removes need not be: stripping the line removes it, and every other
 *     character of white space at the end of a line, as _rstrip_lines does.)
 * Pass 1 removes the tags, as the tag pattern sees them (a "<" and the first ">" after
 * the character that follows it), pass 2 reads the references, drops the control
 * characters and strips the lines. Any "<" that may open what _SCRIPT_OR_BREAK matches,
 * inside a tag or not, returns None (see gate), as does any other "&", or a "\r". */
static PyObject *
pre_text(PyObject *Py_UNUSED(self), PyObject *frag)
{
    if (!PyUnicode_Check(frag)) {
        PyErr_SetString(PyExc_TypeError, "pre_text() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(frag) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(frag);
    int kind = PyUnicode_KIND(frag);
    const void *data = PyUnicode_DATA(frag);
    /* Both passes write code units of the fragment's own kind (a reference gives an ASCII
     * character), no more of them than it holds. */
    size_t size = (size_t)(n ? n : 1) * (size_t)kind;
    void *tmp = PyMem_Malloc(size);
    void *buf = PyMem_Malloc(size);
    PyObject *result = NULL;
    if (tmp == NULL || buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t k = -1;
    if (kind == PyUnicode_1BYTE_KIND) {
        Py_ssize_t m = strip_tags_1((const Py_UCS1 *)data, n, (Py_UCS1 *)tmp);
        k = m < 0 ? -1 : lines_1((const Py_UCS1 *)tmp, m, (Py_UCS1 *)buf);
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        Py_ssize_t m = strip_tags_2((const Py_UCS2 *)data, n, (Py_UCS2 *)tmp);
        k = m < 0 ? -1 : lines_2((const Py_UCS2 *)tmp, m, (Py_UCS2 *)buf);
    }
    else {
        Py_ssize_t m = strip_tags_4((const Py_UCS4 *)data, n, (Py_UCS4 *)tmp);
        k = m < 0 ? -1 : lines_4((const Py_UCS4 *)tmp, m, (Py_UCS4 *)buf);
    }
    if (k < 0) {
        result = Py_None;
        Py_INCREF(result);
    }
    else {
        /* (FromKindAndData finds the widest character left: the string it makes is
         * the one Python would.) */
        result = PyUnicode_FromKindAndData(kind, buf, k);
    }
done:
    PyMem_Free(tmp);
    PyMem_Free(buf);
    return result;
}

/* -- text search ------------------------------------------------------------------- */

/* str.find(sub, start, end) of a one-byte string: CPython's search takes ~0.5 ns a
 * character on cable text (its skip table stalls on the many spaces and capitals). Here
 * a one-character needle is memchr's; a longer one is looked for 16 places at a time by
 * its first and last characters (SSE2), each place where both stand compared whole. */
static Py_ssize_t
find_ucs1(const Py_UCS1 *s, Py_ssize_t start, Py_ssize_t end, const Py_UCS1 *p, Py_ssize_t k)
{
    if (k == 1) {
        const Py_UCS1 *r = memchr(s + start, p[0], (size_t)(end - start));
        return r ? r - s : -1;
    }
    Py_ssize_t last = end - k; /* the last place a match can start */
    Py_ssize_t i = start;
#if defined(__SSE2__)
    const __m128i f = _mm_set1_epi8((char)p[0]), l = _mm_set1_epi8((char)p[k - 1]);
    for (; i + 15 <= last; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + k - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(b, l)));
        while (mask) {
            Py_ssize_t j = i + __builtin_ctz(mask);
            mask &= mask - 1;
            if (memcmp(s + j + 1, p + 1, (size_t)(k - 2)) == 0)
                return j;
        }
    }
#endif
    for (; i <= last; i++) {
        if (s[i] == p[0] && s[i + k - 1] == p[k - 1] && memcmp(s + i + 1, p + 1, (size_t)(k - 2)) == 0)
            return i;
    }
    return -1;
}

/* find(s, sub, start, end): s.find(sub, start, end), for int start and end. */
static PyObject *
find(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "find() takes a str, a str and two ints");
        return NULL;
    }
    PyObject *str = args[0], *sub = args[1];
    Py_ssize_t start = PyLong_AsSsize_t(args[2]);
    if (start == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t end = PyLong_AsSsize_t(args[3]);
    if (end == -1 && PyErr_Occurred())
        return NULL;
    if (PyUnicode_READY(str) < 0 || PyUnicode_READY(sub) < 0)
        return NULL;
    if (PyUnicode_KIND(str) != PyUnicode_1BYTE_KIND || PyUnicode_KIND(sub) != PyUnicode_1BYTE_KIND
        || PyUnicode_GET_LENGTH(sub) == 0) {
        Py_ssize_t r = PyUnicode_Find(str, sub, start, end, 1);
        return r == -2 ? NULL : PyLong_FromSsize_t(r);
    }
    /* str.find's slice: indices past either end are clamped, negative ones count from
     * the end */
    Py_ssize_t n = PyUnicode_GET_LENGTH(str), k = PyUnicode_GET_LENGTH(sub);
    if (end > n)
        end = n;
    else if (end < 0 && (end += n) < 0)
        end = 0;
    if (start < 0 && (start += n) < 0)
        start = 0;
    if (end - start < k)
        return PyLong_FromLong(-1);
    return PyLong_FromSsize_t(find_ucs1(PyUnicode_1BYTE_DATA(str), start, end,
                                        PyUnicode_1BYTE_DATA(sub), k));
}

/* lower_ascii(s): s with its ASCII capitals in lower case, for a one-byte string (what
 * scan.fold gives it: str.lower() of ASCII text, bytes.lower() of Latin-1 text), 16
 * characters at a time; None for a string of a wider kind. */
static PyObject *
lower_ascii(PyObject *Py_UNUSED(self), PyObject *str)
{
    if (!PyUnicode_Check(str)) {
        PyErr_SetString(PyExc_TypeError, "lower_ascii() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(str) < 0)
        return NULL;
    if (PyUnicode_KIND(str) != PyUnicode_1BYTE_KIND)
        Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    PyObject *out = PyUnicode_New(n, PyUnicode_IS_ASCII(str) ? 127 : 255);
    if (out == NULL)
        return NULL;
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(str);
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(out);
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    /* c + (128 - 'A') is below -128 + 26, as a signed byte, for 'A' to 'Z' only */
    const __m128i shift = _mm_set1_epi8((char)(128 - 'A')), top = _mm_set1_epi8(-128 + 26);
    const __m128i bit = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i upper = _mm_cmpgt_epi8(top, _mm_add_epi8(v, shift));
        _mm_storeu_si128((__m128i *)(d + i), _mm_or_si128(v, _mm_and_si128(upper, bit)));
    }
#endif
    for (; i < n; i++)
        d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (Py_UCS1)(s[i] | 0x20) : s[i];
    return out;
}

/* -- two scans of the telegram text ---------------------------------------------- */

/* Unicode decimal digits and white space, as the regex engine's \d and \s read them. */
#define IS_DIGIT(c) Py_UNICODE_ISDECIMAL(c)
#define IS_SPACE(c) Py_UNICODE_ISSPACE(c)

/* Whether "OF" at i opens a match of r"OF[ \t]+\d{2}". */
static inline int
of_count_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i)
{
    Py_ssize_t j = i + 2;
    while (j < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        if (c != ' ' && c != '\t')
            break;
        j++;
    }
    return j > i + 2 && j + 1 < n && IS_DIGIT(PyUnicode_READ(kind, data, j))
           && IS_DIGIT(PyUnicode_READ(kind, data, j + 1));
}

/* of_marks(text): [m.start() for m in re.finditer(r"OF[ \t]+\d{2}", text)], the twin of
 * pages._OF_COUNT (its matches cannot overlap: no "O" after their first letter). Places
 * of "OF" found 16 at a time on one-byte text. */
static PyObject *
of_marks(PyObject *Py_UNUSED(self), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "of_marks() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        const __m128i o = _mm_set1_epi8('O'), f = _mm_set1_epi8('F');
        for (; i + 17 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 1));
            unsigned mask = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(a, o), _mm_cmpeq_epi8(b, f)));
            while (mask) {
                Py_ssize_t j = i + __builtin_ctz(mask);
                mask &= mask - 1;
                if (of_count_at(kind, data, n, j) && append(out, j) < 0)
                    goto error;
            }
        }
    }
#endif
    for (; i + 1 < n; i++) {
        if (PyUnicode_READ(kind, data, i) == 'O' && PyUnicode_READ(kind, data, i + 1) == 'F'
            && of_count_at(kind, data, n, i) && append(out, i) < 0)
            goto error;
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

/* number_marks(text): [m.start() for m in core._NUMBER_MARK.finditer(text)]: each ". ("
 * with one to three characters that are not white space before it and a space or tab
 * before them (the pattern's lookbehinds). */
static PyObject *
number_marks(PyObject *Py_UNUSED(self), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "number_marks() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    PyObject *needle = PyUnicode_FromString(". (");
    if (needle == NULL)
        goto error;
    Py_ssize_t i = 0;
    while (i + 3 <= n) {
        Py_ssize_t j;
        if (kind == PyUnicode_1BYTE_KIND)
            j = find_ucs1(PyUnicode_1BYTE_DATA(text), i, n, (const Py_UCS1 *)". (", 3);
        else if ((j = PyUnicode_Find(text, needle, i, n, 1)) == -2)
            goto error;
        if (j < 0)
            break;
        /* [ \t] then 1, 2 or 3 characters of \S, then the ". (" at j */
        for (Py_ssize_t w = 1; w <= 3 && j - w - 1 >= 0; w++) {
            if (IS_SPACE(PyUnicode_READ(kind, data, j - w)))
                break;
            Py_UCS4 c = PyUnicode_READ(kind, data, j - w - 1);
            if (c == ' ' || c == '\t') {
                if (append(out, j) < 0)
                    goto error;
                break;
            }
        }
        i = j + 3;
    }
    Py_DECREF(needle);
    return out;
error:
    Py_XDECREF(needle);
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"tag_starts", tag_starts, METH_O,
     "Where '<' is followed by one of cChHtT and one of dDoO3, in order."},
    {"pre_text", pre_text, METH_O,
     "render._html_to_text of a <pre> block, or None where the Python twin must run."},
    {"find", (PyCFunction)(void (*)(void))find, METH_FASTCALL,
     "find(s, sub, start, end): s.find(sub, start, end), quicker on one-byte strings."},
    {"of_marks", of_marks, METH_O, "Where r'OF[ \\t]+\\d{2}' matches, in order."},
    {"number_marks", number_marks, METH_O, "Where core._NUMBER_MARK matches, in order."},
    {"lower_ascii", lower_ascii, METH_O,
     "A one-byte string with its ASCII capitals lowered; None for wider strings."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pagescan", "The cablegate page in C.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__pagescan(void)
{
    return PyModule_Create(&module);
}
