/* The cablegate page scan in C: where "<" is followed by one of cChHtT and one of dDoO3.
 *
 * The same positions as re.compile(r"<[cChHtT][dDoO3]").finditer(text), in order (the
 * matches cannot overlap: each starts with "<", which neither later character can be).
 * Python's regex engine walks the ~190 KB of a cablegate page one character at a time
 * (~70 us); memchr jumps between its ~9,500 "<" (~15 us). render._page_tags uses this
 * when it is built and falls back to the regex otherwise (docs/parsing.md).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

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

static PyObject *
tag_starts(PyObject *self, PyObject *text)
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
    }
    else {
        for (Py_ssize_t i = 0; i + 2 < n; i++) {
            if (PyUnicode_READ(kind, data, i) == '<'
                && first_ok(PyUnicode_READ(kind, data, i + 1))
                && second_ok(PyUnicode_READ(kind, data, i + 2))
                && append(out, i) < 0)
                goto error;
        }
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"tag_starts", tag_starts, METH_O,
     "Where '<' is followed by one of cChHtT and one of dDoO3, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pagescan", "The cablegate page scan in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__pagescan(void)
{
    return PyModule_Create(&module);
}
