/*
 * oci-config.c: the second front end: an OCI bundle's config.json into
 * struct container, as options.c does the command line. jsmn cuts the
 * text into tokens; everything else is here: the grammar jsmn lets
 * through (commas, colons, what a primitive may be), strings unescaped,
 * numbers checked, duplicate keys refused, then each field into its place.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"
#include <inttypes.h>

#define JSMN_STATIC
#define JSMN_STRICT		/* primitives are numbers, true, false and null */
#define JSMN_PARENT_LINKS	/* a closing bracket finds its opener at once */
#include <jsmn.h>

#define CONFIG_MAX (4 << 20)	/* bytes of config.json: podman's are ~10 KiB */
#define DEPTH_MAX 64		/* of nested objects and arrays: OCI's go 5 deep */

/* A config.json being read: its tokens, and the field a message names. */
struct oci {
	const char *text;
	jsmntok_t *tok;
	int ntok;
	char path[512];		/* "linux.resources.memory", for errors */
	size_t path_len;
	struct container *c;
	const char *bundle;
	struct mount_spec *mount;	/* the one mounts[] parses now */
	bool user_ns;		/* linux.namespaces has a user namespace */
	bool uts_ns;		/* of its own, not joined: hostname may be set */
	unsigned long ns_seen;	/* namespace types given so far */
	bool early;		/* the mounts so far all go before the root change */
	bool strict;		/* update's --resources: a key no field knows is an error */
};

/* What errors name first: the file, or update's option that gives the JSON. */
static const char *document = "config.json";

/* Errors name the field: "config.json: process.args[2]: not a string". */
__attribute__((noreturn, format(printf, 2, 3)))
static void bad(const struct oci *o, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	die(EXIT_CANT_RUN, "%s: %s%s%s", document, o->path, o->path_len ? ": " : "", why);
}

/* Appends ".KEY" (or KEY, first) or "[I]" to the path; returns its length before. */
static size_t push_key(struct oci *o, const char *key)
{
	size_t old = o->path_len;
	int n = snprintf(o->path + old, sizeof o->path - old, "%s%s", old ? "." : "", key);

	o->path_len = n < 0 || (size_t)n >= sizeof o->path - old ? sizeof o->path - 1 : old + n;
	return old;
}

static size_t push_index(struct oci *o, size_t i)
{
	size_t old = o->path_len;
	int n = snprintf(o->path + old, sizeof o->path - old, "[%zu]", i);

	o->path_len = n < 0 || (size_t)n >= sizeof o->path - old ? sizeof o->path - 1 : old + n;
	return old;
}

static void pop(struct oci *o, size_t len)
{
	o->path_len = len;
	o->path[len] = '\0';
}

/* The index just after token T and everything inside it. */
static int skip(const struct oci *o, int t)
{
	for (int pending = 1; pending; t++)
		pending += o->tok[t].size - 1;
	return t;
}

/* Where T's text begins and ends, its quotes included. */
static int outer_start(const struct oci *o, int t)
{
	return o->tok[t].start - (o->tok[t].type == JSMN_STRING);
}

static int outer_end(const struct oci *o, int t)
{
	return o->tok[t].end + (o->tok[t].type == JSMN_STRING);
}

/* ------------------------------------------------------------------ */
/* Strings: JSON's escapes into UTF-8                                 */
/* ------------------------------------------------------------------ */

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = s[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The length of the UTF-8 sequence at S (N bytes left), or 0 if it is none. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 :
		     s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;
	uint32_t cp;

	if (!len || len > n)
		return 0;
	cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* No overlong form, no surrogate, nothing past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp < 0xe000))
		return 0;
	return len;
}

/*
 * The N bytes at S, a JSON string's inside, unescaped into a new string;
 * NULL, with *WHY, if it has a bad escape, a control character, invalid
 * UTF-8 or a NUL, which no C string can hold.
 */
static char *unescape(const char *s, size_t n, const char **why)
{
	char *out = xrealloc(NULL, n + 1), *w = out;
	size_t i = 0;

	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t len;
		int cp, lo;

		if (ch < 0x20) {
			*why = "a control character in a string (escape it)";
			goto fail;
		}
		if (ch != '\\') {
			if (!(len = utf8_length((const unsigned char *)s + i, n - i))) {
				*why = "a string that is not UTF-8";
				goto fail;
			}
			memcpy(w, s + i, len);
			w += len;
			i += len;
			continue;
		}
		if (i + 1 >= n) {
			*why = "a string that ends in a backslash";
			goto fail;
		}
		ch = (unsigned char)s[i + 1];
		i += 2;
		if (ch != 'u') {
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *at = strchr(from, ch);

			if (!ch || !at) {
				*why = "a string with an invalid escape";
				goto fail;
			}
			*w++ = to[at - from];
			continue;
		}
		if (i + 4 > n || (cp = hex4(s + i)) < 0) {
			*why = "a string with an invalid \\u escape";
			goto fail;
		}
		i += 4;
		if (cp >= 0xd800 && cp < 0xdc00) {	/* a high surrogate: its low one follows */
			if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = hex4(s + i + 2)) < 0xdc00 || lo >= 0xe000) {
				*why = "a string with a lone UTF-16 surrogate";
				goto fail;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			*why = "a string with a lone UTF-16 surrogate";
			goto fail;
		}
		if (!cp) {
			*why = "a string with a NUL (\\u0000) in it";
			goto fail;
		}
		w += put_utf8(w, (uint32_t)cp);
	}
	*w = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The grammar that jsmn does not check                               */
/* ------------------------------------------------------------------ */

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s, size_t n)
{
	size_t i = s[0] == '-', d;

	d = strspn(s + i, "0123456789");
	if (!d || d > n - i || (s[i] == '0' && d > 1))
		return false;
	i += d;
	if (i < n && s[i] == '.') {
		d = strspn(s + i + 1, "0123456789");
		if (!d || i + 1 + d > n)
			return false;
		i += 1 + d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i += 1 + (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'));
		d = strspn(s + i, "0123456789");
		if (!d || i + d > n)
			return false;
		i += d;
	}
	return i == n;
}

static bool json_primitive(const char *s, size_t n)
{
	return (n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)) ||
	       (n == 4 && !memcmp(s, "null", 4)) || json_number(s, n);
}

/* The line and column of byte AT, for a syntax error. */
__attribute__((noreturn))
static void die_syntax(const char *text, size_t at, const char *what)
{
	int line = 1, col = 1;

	for (size_t i = 0; i < at; i++, col++)
		if (text[i] == '\n')
			line++, col = 0;
	die(EXIT_CANT_RUN, "%s: line %d, column %d: not valid JSON%s%s", document, line, col,
	    *what ? ": " : "", what);
}

/* Dies unless the text from FROM to TO is white space around one SEP (0: none). */
static void expect_between(const struct oci *o, int from, int to, char sep)
{
	const char *ws = " \t\r\n";
	int i = from + (int)strspn(o->text + from, ws);

	if (sep && (i >= to || o->text[i] != sep))
		die_syntax(o->text, (size_t)i, sep == ',' ? "expected ','" : "expected ':'");
	if (sep)
		i++, i += (int)strspn(o->text + i, ws);
	if (i != to)
		die_syntax(o->text, (size_t)i, "unexpected text");
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_value(struct oci *o, int t, int depth);

/* An object's members: "key": value, a comma between, no key twice. */
static int check_object(struct oci *o, int obj, int depth)
{
	int n = o->tok[obj].size, t = obj + 1, prev_end = o->tok[obj].start + 1;
	char **keys = xrealloc(NULL, ((size_t)n + 1) * sizeof *keys);
	const char *why;

	for (int i = 0; i < n; i++) {
		/* "a": 1 "b": 2, without its comma, is a key of 2 values for jsmn. */
		if (t + 1 < o->ntok && o->tok[t].type == JSMN_STRING && o->tok[t].size > 1)
			die_syntax(o->text, (size_t)outer_end(o, t + 1), "expected ','");
		if (t < o->ntok && o->tok[t].type == JSMN_STRING && !o->tok[t].size)
			die_syntax(o->text, (size_t)outer_end(o, t), "expected ':'");
		if (t >= o->ntok || o->tok[t].type != JSMN_STRING)
			die_syntax(o->text, (size_t)(t < o->ntok ? outer_start(o, t) : prev_end),
				   "expected \"key\": value");
		expect_between(o, prev_end, outer_start(o, t), i ? ',' : 0);
		expect_between(o, outer_end(o, t), outer_start(o, t + 1), ':');
		if (!(keys[i] = unescape(o->text + o->tok[t].start,
					 (size_t)(o->tok[t].end - o->tok[t].start), &why)))
			bad(o, "%s", why);
		size_t mark = push_key(o, keys[i]);

		prev_end = outer_end(o, t + 1);
		t = check_value(o, t + 1, depth + 1);
		pop(o, mark);
	}
	expect_between(o, prev_end, o->tok[obj].end - 1, 0);
	qsort(keys, (size_t)n, sizeof *keys, compare_keys);
	for (int i = 1; i < n; i++) {
		if (!strcmp(keys[i - 1], keys[i])) {
			push_key(o, keys[i]);
			bad(o, "given twice");
		}
	}
	for (int i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return t;
}

/* Checks T and all inside it; returns the index after it. */
static int check_value(struct oci *o, int t, int depth)
{
	const jsmntok_t *k = &o->tok[t];
	const char *why;
	char *s;

	if (depth > DEPTH_MAX)
		bad(o, "nested more than %d deep", DEPTH_MAX);
	/* "a": "b": "c" or [ "a": 1 ]: jsmn makes a value of "b", or of "a", a key. */
	if ((k->type == JSMN_STRING || k->type == JSMN_PRIMITIVE) && k->size)
		die_syntax(o->text, (size_t)outer_end(o, t), "unexpected text");
	if (k->type == JSMN_STRING) {
		if (!(s = unescape(o->text + k->start, (size_t)(k->end - k->start), &why)))
			bad(o, "%s", why);
		free(s);
		return t + 1;
	}
	if (k->type == JSMN_PRIMITIVE) {
		if (!json_primitive(o->text + k->start, (size_t)(k->end - k->start)))
			die_syntax(o->text, (size_t)k->start, "not a number, true, false or null");
		return t + 1;
	}
	if (k->type == JSMN_OBJECT)
		return check_object(o, t, depth);
	int prev_end = k->start + 1, n = k->size;

	t++;
	for (int i = 0; i < n; i++) {
		size_t mark = push_index(o, (size_t)i);

		if (t >= o->ntok)
			die_syntax(o->text, (size_t)prev_end, "");
		expect_between(o, prev_end, outer_start(o, t), i ? ',' : 0);
		prev_end = outer_end(o, t);
		t = check_value(o, t, depth + 1);
		pop(o, mark);
	}
	expect_between(o, prev_end, k->end - 1, 0);
	return t;
}

/* Cuts TEXT into tokens, as many as it has, and checks the grammar. */
static void tokenize(struct oci *o, const char *text, size_t len)
{
	jsmn_parser p;
	int n;

	if (len > CONFIG_MAX)
		die(EXIT_CANT_RUN, "%s: larger than %d MiB", document, CONFIG_MAX >> 20);
	/* jsmn stops at a NUL as if the text ended there. */
	if (memchr(text, '\0', len))
		die(EXIT_CANT_RUN, "%s: a NUL byte at byte %zu", document,
		    (size_t)((const char *)memchr(text, '\0', len) - text));
	jsmn_init(&p);
	if ((n = jsmn_parse(&p, text, len, NULL, 0)) < 0)
		die_syntax(text, p.pos, n == JSMN_ERROR_PART ? "it ends too soon" : "");
	o->text = text;
	o->tok = xrealloc(NULL, ((size_t)n + 1) * sizeof *o->tok);
	jsmn_init(&p);
	if ((o->ntok = jsmn_parse(&p, text, len, o->tok, (unsigned)n + 1)) < 0)
		die_syntax(text, p.pos, o->ntok == JSMN_ERROR_PART ? "it ends too soon" : "");
	if (!o->ntok || o->tok[0].type != JSMN_OBJECT)
		die(EXIT_CANT_RUN, "%s: not a JSON object", document);
	expect_between(o, 0, o->tok[0].start, 0);
	if (check_value(o, 0, 0) != o->ntok)
		die_syntax(text, (size_t)o->tok[0].end, "more than one value");
	expect_between(o, o->tok[0].end, (int)len, 0);
}

/* ------------------------------------------------------------------ */
/* Values, by their types: what a field expects, or its error         */
/* ------------------------------------------------------------------ */

static const char *type_name(const struct oci *o, int t)
{
	char ch = o->text[o->tok[t].start];

	return o->tok[t].type == JSMN_OBJECT ? "an object" : o->tok[t].type == JSMN_ARRAY ?
	       "an array" : o->tok[t].type == JSMN_STRING ? "a string" : ch == 'n' ? "null" :
	       ch == 't' || ch == 'f' ? "a boolean" : "a number";
}

static void expect_type(const struct oci *o, int t, jsmntype_t type, const char *what)
{
	if (o->tok[t].type != type)
		bad(o, "not %s but %s", what, type_name(o, t));
}

static bool is_null(const struct oci *o, int t)
{
	return o->tok[t].type == JSMN_PRIMITIVE && o->text[o->tok[t].start] == 'n';
}

/* A string: unescaped already checked by tokenize, so this can't fail. */
static char *string(const struct oci *o, int t)
{
	const char *why;
	char *s;

	expect_type(o, t, JSMN_STRING, "a string");
	if (!(s = unescape(o->text + o->tok[t].start,
			   (size_t)(o->tok[t].end - o->tok[t].start), &why)))
		bad(o, "%s", why);
	return s;
}

static bool boolean(const struct oci *o, int t)
{
	char ch = o->text[o->tok[t].start];

	if (o->tok[t].type != JSMN_PRIMITIVE || (ch != 't' && ch != 'f'))
		bad(o, "not a boolean but %s", type_name(o, t));
	return ch == 't';
}

/* A number's magnitude and sign: an integer, no fraction, no exponent, no overflow. */
static uint64_t magnitude(const struct oci *o, int t, bool *negative)
{
	const char *s = o->text + o->tok[t].start;
	int len = o->tok[t].end - o->tok[t].start, i = s[0] == '-';
	uint64_t v = 0;

	if (o->tok[t].type != JSMN_PRIMITIVE || (s[0] != '-' && !isdigit((unsigned char)s[0])))
		bad(o, "not a number but %s", type_name(o, t));
	for (; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			bad(o, "not an integer: %.*s", len, s);
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			bad(o, "out of range: %.*s", len, s);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*negative = s[0] == '-' && v;
	return v;
}

/* An integer from MIN to MAX. */
static int64_t integer(const struct oci *o, int t, int64_t min, int64_t max)
{
	bool negative;
	uint64_t v = magnitude(o, t, &negative);
	int64_t sv = negative ? (int64_t)(0 - v) : (int64_t)v;	/* two's complement */

	if (v > (uint64_t)INT64_MAX + negative || sv < min || sv > max)
		bad(o, "out of range (%" PRId64 " to %" PRId64 "): %.*s", min, max,
		    o->tok[t].end - o->tok[t].start, o->text + o->tok[t].start);
	return sv;
}

/* An integer from 0 to MAX, which may be past int64's. */
static uint64_t unsigned_integer(const struct oci *o, int t, uint64_t max)
{
	bool negative;
	uint64_t v = magnitude(o, t, &negative);

	if (negative || v > max)
		bad(o, "out of range (0 to %" PRIu64 "): %.*s", max,
		    o->tok[t].end - o->tok[t].start, o->text + o->tok[t].start);
	return v;
}

/* An array of strings, NULL-terminated; *LEN, if asked, its length. */
static char **string_array(struct oci *o, int t, size_t *len)
{
	size_t n = (size_t)o->tok[t].size;
	char **a;

	expect_type(o, t, JSMN_ARRAY, "an array");
	a = xrealloc(NULL, (n + 1) * sizeof *a);
	t++;
	for (size_t i = 0; i < n; i++, t++) {
		size_t mark = push_index(o, i);

		a[i] = string(o, t);
		pop(o, mark);
	}
	a[n] = NULL;
	if (len)
		*len = n;
	return a;
}

static void expect_absolute(const struct oci *o, const char *path)
{
	if (path[0] != '/')
		bad(o, "not an absolute path: '%s'", path);
}

/* ------------------------------------------------------------------ */
/* Objects, by tables of their fields                                 */
/* ------------------------------------------------------------------ */

/* A field of an object: KEY's value goes to PARSE; null is as if absent. */
struct field {
	const char *key;
	void (*parse)(struct oci *o, int value);
};

/*
 * OBJ's members, each by its entry in FIELDS; a key it lacks is ignored
 * (the spec's rule), but for update, which must not drop a limit asked for.
 */
static void parse_fields(struct oci *o, int obj, const struct field *fields)
{
	int t = obj + 1;

	expect_type(o, obj, JSMN_OBJECT, "an object");
	for (int i = 0; i < o->tok[obj].size; i++) {
		char *key = string(o, t);
		bool known = false;

		for (const struct field *f = fields; f->key; f++) {
			if (strcmp(f->key, key) || (known = true, is_null(o, t + 1)))
				continue;
			size_t mark = push_key(o, key);

			f->parse(o, t + 1);
			pop(o, mark);
		}
		if (o->strict && !known) {
			push_key(o, key);
			bad(o, "not a key carapace knows");
		}
		free(key);
		t = skip(o, t + 1);
	}
}

/* Calls FN for each element of the array T, the path naming it. */
static void for_each(struct oci *o, int t, void (*fn)(struct oci *o, int elem, size_t i))
{
	size_t n = (size_t)o->tok[t].size;

	expect_type(o, t, JSMN_ARRAY, "an array");
	t++;
	for (size_t i = 0; i < n; i++) {
		size_t mark = push_index(o, i);

		fn(o, t, i);
		pop(o, mark);
		t = skip(o, t);
	}
}

/* The index of KEY's value in the object OBJ, or -1. */
static int member(const struct oci *o, int obj, const char *key)
{
	int t = obj + 1;

	for (int i = 0; i < o->tok[obj].size; i++) {
		int n = o->tok[t].end - o->tok[t].start;

		/* Keys with escapes are compared raw: the spec's keys have none. */
		if ((size_t)n == strlen(key) && !memcmp(o->text + o->tok[t].start, key, (size_t)n))
			return is_null(o, t + 1) ? -1 : t + 1;
		t = skip(o, t + 1);
	}
	return -1;
}

/* KEY's value in OBJ, an integer from MIN to MAX, into *V; false if absent. */
static bool member_integer(struct oci *o, int obj, const char *key, int64_t min, int64_t max,
			   int64_t *v)
{
	int t = member(o, obj, key);
	size_t mark;

	if (t < 0)
		return false;
	mark = push_key(o, key);
	*v = integer(o, t, min, max);
	pop(o, mark);
	return true;
}

/* ------------------------------------------------------------------ */
/* process                                                            */
/* ------------------------------------------------------------------ */

static void process_terminal(struct oci *o, int t)
{
	o->c->process.tty = boolean(o, t) ? TTY_ALWAYS : TTY_NEVER;
}

static void process_args(struct oci *o, int t)
{
	size_t n;

	o->c->process.argv = string_array(o, t, &n);
	if (!n)
		bad(o, "empty: it needs at least the command");
	if (!*o->c->process.argv[0])
		bad(o, "the command is an empty string");
}

static void process_env(struct oci *o, int t)
{
	struct container *c = o->c;

	c->process.env = string_array(o, t, &c->process.env_len);
	for (size_t i = 0; i < c->process.env_len; i++) {
		const char *e = c->process.env[i];

		if (!strchr(e, '=') || e[0] == '=') {
			push_index(o, i);
			bad(o, "not NAME=VALUE: '%s'", e);
		}
	}
}

static void process_cwd(struct oci *o, int t)
{
	o->c->process.cwd = string(o, t);
	expect_absolute(o, o->c->process.cwd);
}

static void user_uid(struct oci *o, int t)
{
	o->c->oci.process.uid = (uint32_t)integer(o, t, 0, UINT32_MAX - 1);
}

static void user_gid(struct oci *o, int t)
{
	o->c->oci.process.gid = (uint32_t)integer(o, t, 0, UINT32_MAX - 1);
}

static void user_umask(struct oci *o, int t)
{
	o->c->oci.process.umask = (int)integer(o, t, 0, 0777);
}

static void user_additional_gids(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;
	size_t n = (size_t)o->tok[t].size;

	expect_type(o, t, JSMN_ARRAY, "an array");
	s->process.additional_gids = xrealloc(NULL, (n + 1) * sizeof(uint32_t));
	s->process.additional_gids_len = n;
	for (size_t i = 0; i < n; i++) {
		size_t mark = push_index(o, i);

		s->process.additional_gids[i] = (uint32_t)integer(o, t + 1 + (int)i, 0,
								  UINT32_MAX - 1);
		pop(o, mark);
	}
}

static void user_username(struct oci *o, int t)
{
	(void)string(o, t);	/* Windows' */
}

static void process_user(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "uid", user_uid }, { "gid", user_gid }, { "umask", user_umask },
		{ "additionalGids", user_additional_gids }, { "username", user_username },
		{ 0 }
	};

	parse_fields(o, t, fields);
	if (member(o, t, "uid") < 0 || member(o, t, "gid") < 0)
		bad(o, "needs uid and gid");
	o->c->oci.process.ids_given = true;
}

/* "CAP_SYS_ADMIN": its bit. */
static uint64_t capability(const struct oci *o, const char *name)
{
	if (!strncmp(name, "CAP_", 4))
		for (size_t i = 0; i < N_CAPS; i++)
			if (!strcmp(name + 4, cap_names[i]))
				return 1ULL << i;
	bad(o, "not a capability carapace knows: '%s'", name);
}

static uint64_t cap_set(struct oci *o, int obj, const char *key)
{
	int t = member(o, obj, key);
	uint64_t set = 0;
	size_t n, mark;
	char **names;

	if (t < 0)
		return 0;
	mark = push_key(o, key);
	names = string_array(o, t, &n);
	for (size_t i = 0; i < n; i++) {
		size_t m = push_index(o, i);

		set |= capability(o, names[i]);
		pop(o, m);
		free(names[i]);
	}
	free(names);
	pop(o, mark);
	return set;
}

static void process_capabilities(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	expect_type(o, t, JSMN_OBJECT, "an object");
	s->caps.given = true;
	s->caps.bounding = cap_set(o, t, "bounding");
	s->caps.effective = cap_set(o, t, "effective");
	s->caps.inheritable = cap_set(o, t, "inheritable");
	s->caps.permitted = cap_set(o, t, "permitted");
	s->caps.ambient = cap_set(o, t, "ambient");
	/* limit_caps keeps one set, for bounding, permitted and effective alike. */
	o->c->privileges.caps = s->caps.bounding & s->caps.permitted;
}

static void process_rlimit(struct oci *o, int t, size_t i)
{
	struct container *c = o->c;
	struct rlimit_spec *r = &c->privileges.rlimits[i];
	int type = member(o, t, "type"), soft = member(o, t, "soft"), hard = member(o, t, "hard");
	size_t mark;
	char *name;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (type < 0 || soft < 0 || hard < 0)
		bad(o, "needs type, soft and hard");
	mark = push_key(o, "type");
	name = string(o, type);
	r->arg = xasprintf("config.json: process.rlimits[%zu] %s", i, name);
	if (strncmp(name, "RLIMIT_", 7) || (r->resource = rlimit_resource(name + 7)) < 0)
		bad(o, "not a resource limit: '%s'", name);
	for (size_t k = 0; k < i; k++)
		if (c->privileges.rlimits[k].resource == r->resource)
			bad(o, "%s is given twice", name);
	pop(o, mark);
	mark = push_key(o, "soft");
	r->limit.rlim_cur = (rlim_t)unsigned_integer(o, soft, UINT64_MAX);
	pop(o, mark);
	mark = push_key(o, "hard");
	r->limit.rlim_max = (rlim_t)unsigned_integer(o, hard, UINT64_MAX);
	pop(o, mark);
	/* Go's uint64 max is RLIM_INFINITY, the kernel's "unlimited". */
	if (r->limit.rlim_cur > r->limit.rlim_max)
		bad(o, "soft above hard");
}

static void process_rlimits(struct oci *o, int t)
{
	expect_type(o, t, JSMN_ARRAY, "an array");
	o->c->privileges.rlimits_len = (size_t)o->tok[t].size;
	o->c->privileges.rlimits = xrealloc(NULL, ((size_t)o->tok[t].size + 1) *
					    sizeof *o->c->privileges.rlimits);
	for_each(o, t, process_rlimit);
}

static void process_no_new_privileges(struct oci *o, int t)
{
	o->c->privileges.no_new_privs = boolean(o, t);
}

static void process_oom_score_adj(struct oci *o, int t)
{
	o->c->oci.process.oom_score_adj_given = true;
	o->c->oci.process.oom_score_adj = (int)integer(o, t, -1000, 1000);
}

static void console_height(struct oci *o, int t)
{
	o->c->oci.process.console_rows = (unsigned)integer(o, t, 0, USHRT_MAX);
}

static void console_width(struct oci *o, int t)
{
	o->c->oci.process.console_cols = (unsigned)integer(o, t, 0, USHRT_MAX);
}

static void process_console_size(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "height", console_height }, { "width", console_width }, { 0 }
	};

	parse_fields(o, t, fields);
}

static void process_apparmor(struct oci *o, int t)
{
	char *profile = string(o, t);

	o->c->oci.process.apparmor_profile = *profile ? profile : NULL;
}

static void process_selinux(struct oci *o, int t)
{
	char *label = string(o, t);

	if (*label)
		bad(o, "carapace has no SELinux support: '%s'", label);
	o->c->oci.process.selinux_label = NULL;
}

static void process_io_priority(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	bad(o, "carapace does not set I/O priorities");
}

static void process_scheduler(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	bad(o, "carapace does not set scheduling policies");
}

static void process_exec_cpu_affinity(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	bad(o, "carapace does not set CPU affinities");
}

static void parse_process(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "terminal", process_terminal }, { "consoleSize", process_console_size },
		{ "user", process_user }, { "args", process_args }, { "env", process_env },
		{ "cwd", process_cwd }, { "capabilities", process_capabilities },
		{ "rlimits", process_rlimits }, { "noNewPrivileges", process_no_new_privileges },
		{ "oomScoreAdj", process_oom_score_adj }, { "apparmorProfile", process_apparmor },
		{ "selinuxLabel", process_selinux }, { "ioPriority", process_io_priority },
		{ "scheduler", process_scheduler }, { "execCPUAffinity", process_exec_cpu_affinity },
		{ 0 }
	};

	parse_fields(o, t, fields);
	if (!o->c->process.argv)
		bad(o, "args: missing");
	if (!o->c->process.cwd)
		bad(o, "cwd: missing");
}

/* ------------------------------------------------------------------ */
/* root, hostname, domainname                                         */
/* ------------------------------------------------------------------ */

/* PATH, relative to the bundle unless absolute. */
static const char *in_bundle(const struct oci *o, const char *path)
{
	return path[0] == '/' ? path : xasprintf("%s/%s", o->bundle, path);
}

static void root_path(struct oci *o, int t)
{
	char *path = string(o, t);

	if (!*path)
		bad(o, "empty");
	o->c->root.path = in_bundle(o, path);
}

static void root_read_only(struct oci *o, int t)
{
	o->c->root.readonly = boolean(o, t);
}

static void parse_root(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "path", root_path }, { "readonly", root_read_only }, { 0 }
	};

	parse_fields(o, t, fields);
	if (!o->c->root.path)
		bad(o, "path: missing");
}

static void parse_hostname(struct oci *o, int t)
{
	char *name = string(o, t);

	if (strlen(name) > 64)
		bad(o, "longer than 64 characters");
	o->c->hostname = name;
	o->c->oci.hostname_given = true;
}

static void parse_domainname(struct oci *o, int t)
{
	char *name = string(o, t);

	if (strlen(name) > 64)
		bad(o, "longer than 64 characters");
	o->c->oci.domainname = name;
}

static void parse_version(struct oci *o, int t)
{
	char *v = string(o, t);

	if (strncmp(v, "1.", 2))
		bad(o, "carapace reads the runtime spec 1.x, not '%s'", v);
}

/* ------------------------------------------------------------------ */
/* mounts                                                             */
/* ------------------------------------------------------------------ */

/* How an option word changes a mount: flags set and cleared, or a propagation. */
static const struct mount_word {
	const char *word;
	unsigned long set, clear, propagation;
} mount_words[] = {
	{ "defaults", 0, 0, 0 },
	{ "ro", MS_RDONLY, 0, 0 }, { "rw", 0, MS_RDONLY, 0 },
	{ "nosuid", MS_NOSUID, 0, 0 }, { "suid", 0, MS_NOSUID, 0 },
	{ "nodev", MS_NODEV, 0, 0 }, { "dev", 0, MS_NODEV, 0 },
	{ "noexec", MS_NOEXEC, 0, 0 }, { "exec", 0, MS_NOEXEC, 0 },
	/* A bind's flags apply to all of its tree (mount.c): "rro" is "ro" there. */
	{ "rro", MS_RDONLY, 0, 0 }, { "rrw", 0, MS_RDONLY, 0 },
	{ "rnosuid", MS_NOSUID, 0, 0 }, { "rsuid", 0, MS_NOSUID, 0 },
	{ "rnodev", MS_NODEV, 0, 0 }, { "rdev", 0, MS_NODEV, 0 },
	{ "rnoexec", MS_NOEXEC, 0, 0 }, { "rexec", 0, MS_NOEXEC, 0 },
	{ "relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME, 0 },
	{ "norelatime", 0, MS_RELATIME, 0 },
	{ "strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME, 0 },
	{ "noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME, 0 }, { "atime", 0, MS_NOATIME, 0 },
	{ "nodiratime", MS_NODIRATIME, 0, 0 }, { "diratime", 0, MS_NODIRATIME, 0 },
	{ "bind", MS_BIND, 0, 0 }, { "rbind", MS_BIND | MS_REC, 0, 0 },
	{ "private", 0, 0, MS_PRIVATE }, { "rprivate", 0, 0, MS_PRIVATE | MS_REC },
	{ "slave", 0, 0, MS_SLAVE }, { "rslave", 0, 0, MS_SLAVE | MS_REC },
	{ "shared", 0, 0, MS_SHARED }, { "rshared", 0, 0, MS_SHARED | MS_REC },
	{ "unbindable", 0, 0, MS_UNBINDABLE }, { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC },
};

/*
 * Words that are the filesystem's own (its superblock's): they go into
 * the mount's data, for fsconfig, which knows sync, dirsync and the rest
 * as flags of every filesystem.
 */
static const char *const data_words[] = {
	"newinstance", "sync", "async", "dirsync", "lazytime", "nolazytime", "mand", "nomand",
	"silent", "loud", "iversion", "noiversion", NULL
};

static bool in_list(const char *const *list, const char *word)
{
	for (; *list; list++)
		if (!strcmp(*list, word))
			return true;
	return false;
}

/* One option word of a mount: into its flags, its propagation or its data. */
static void mount_option(struct oci *o, struct mount_spec *m, const char *word, char **data)
{
	for (size_t i = 0; i < sizeof mount_words / sizeof mount_words[0]; i++) {
		const struct mount_word *w = &mount_words[i];

		if (strcmp(word, w->word))
			continue;
		m->flags = (m->flags | w->set) & ~w->clear;
		if (w->propagation)
			m->propagation = w->propagation;
		return;
	}
	if (!strcmp(word, "remount"))
		bad(o, "'remount': carapace makes every mount anew");
	/*
	 * podman's and crun's: fill a tmpfs with what the image has there.
	 * carapace's tmpfs starts empty (README): only a tmpfs may ask.
	 */
	if (!strcmp(word, "tmpcopyup")) {
		if (strcmp(m->type, "tmpfs"))
			bad(o, "'tmpcopyup' is for a tmpfs (of the mount on %s)", m->target);
		log_debug("config.json: %s: tmpcopyup: the tmpfs starts empty", m->target);
		return;
	}
	if (!strchr(word, '=') && !in_list(data_words, word))
		bad(o, "unknown option '%s' (of the mount on %s)", word, m->target);
	if (strchr(word, ','))
		bad(o, "an option with a comma: '%s'", word);
	*data = *data ? xasprintf("%s,%s", *data, word) : xasprintf("%s", word);
}

static void mount_options(struct oci *o, int t)
{
	struct mount_spec *m = o->mount;
	char *data = NULL, **words;
	size_t n;

	words = string_array(o, t, &n);
	for (size_t i = 0; i < n; i++) {
		size_t mark = push_index(o, i);

		mount_option(o, m, words[i], &data);
		pop(o, mark);
	}
	m->data = data;
}

static void mount_destination(struct oci *o, int t)
{
	o->mount->target = string(o, t);
	expect_absolute(o, o->mount->target);
}

static void mount_type(struct oci *o, int t)
{
	o->mount->type = string(o, t);
	if (!*o->mount->type)
		bad(o, "empty");
}

static void mount_source(struct oci *o, int t)
{
	o->mount->source = string(o, t);
}

static void mount_id_mappings(struct oci *o, int t)
{
	expect_type(o, t, JSMN_ARRAY, "an array");
	if (o->tok[t].size)
		bad(o, "carapace makes no idmapped mounts");
}

/* The kernel's filesystems, that carapace may mount before the root change. */
static bool early_type(const char *type)
{
	return !strcmp(type, "proc") || !strcmp(type, "sysfs") || !strcmp(type, "tmpfs") ||
	       !strcmp(type, "devpts") || !strcmp(type, "mqueue");
}

/* Completes a mount as parsed: bind or new filesystem, its source, when it happens. */
static void finish_mount(struct oci *o, struct mount_spec *m, bool *early)
{
	bool bind = m->flags & MS_BIND || (m->type && !strcmp(m->type, "bind"));

	if (!m->target)
		bad(o, "destination: missing");
	if (!m->type && !bind)
		bad(o, "type: missing, and no bind or rbind in options");
	if (bind) {
		if (!m->source || !*m->source)
			bad(o, "source: a bind needs one");
		if (m->data)
			bad(o, "options: '%s' is a filesystem's, not for a bind", m->data);
		m->type = "bind";
		m->flags |= MS_BIND;
		m->source = in_bundle(o, m->source);
		if (!m->propagation)
			m->propagation = MS_PRIVATE | MS_REC;
	} else {
		/* Every mount carapace makes is private: only a bind may be shared or a slave. */
		if (m->propagation & ~(MS_PRIVATE | MS_REC))
			bad(o, "options: shared, slave and unbindable are for binds only");
		m->propagation = 0;
		if (!m->source || !*m->source)
			m->source = m->type;
		if (!strcmp(m->type, "tmpfs") && m->data)
			m->data = tmpfs_bounded(m->data);
	}
	/*
	 * The list's kernel filesystems go in before the root change (in a
	 * user namespace, /proc and /sys can be mounted only then, and /dev
	 * must be there for its nodes), in the list's order; the binds after,
	 * on top, in the list's order. Engines sort their lists by depth, not
	 * by kind: podman puts a volume on /data before the /dev tmpfs.
	 */
	*early = !bind && early_type(m->type);
	m->phase = *early ? MOUNT_BEFORE_ROOT_CHANGE : MOUNT_AFTER_ROOT_CHANGE;
}

static void parse_mount(struct oci *o, int t, size_t i)
{
	static const struct field fields[] = {
		{ "destination", mount_destination }, { "type", mount_type },
		{ "source", mount_source }, { "options", mount_options },
		{ "uidMappings", mount_id_mappings }, { "gidMappings", mount_id_mappings },
		{ 0 }
	};
	struct mount_spec m = { 0 };
	struct container *c = o->c;
	int dest = member(o, t, "destination");

	expect_type(o, t, JSMN_OBJECT, "an object");
	o->mount = &m;
	/* The destination first: an option's error names it. */
	if (dest >= 0) {
		size_t mark = push_key(o, "destination");

		mount_destination(o, dest);
		pop(o, mark);
	}
	parse_fields(o, t, fields);
	finish_mount(o, &m, &o->early);
	o->mount = NULL;
	m.origin = xasprintf("config.json: mounts[%zu] (%s)", i, m.target);
	/* carapace mounts the container's own cgroups there itself (mount_cgroupfs). */
	if (!strcmp(m.type, "cgroup") || !strcmp(m.type, "cgroup2"))
		return;
	c->mounts = xrealloc(c->mounts, (c->mounts_len + 1) * sizeof m);
	c->mounts[c->mounts_len++] = m;
}

static void parse_mounts(struct oci *o, int t)
{
	for_each(o, t, parse_mount);
}

/* ------------------------------------------------------------------ */
/* linux                                                              */
/* ------------------------------------------------------------------ */

static const struct { const char *name; unsigned long flag; } namespace_types[] = {
	{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP },
};

static void parse_namespace(struct oci *o, int t, size_t i)
{
	struct oci_settings *s = &o->c->oci;
	int type = member(o, t, "type"), path = member(o, t, "path");
	unsigned long flag = 0;
	size_t mark;
	char *name;

	(void)i;
	expect_type(o, t, JSMN_OBJECT, "an object");
	if (type < 0)
		bad(o, "type: missing");
	mark = push_key(o, "type");
	name = string(o, type);
	for (size_t k = 0; k < sizeof namespace_types / sizeof namespace_types[0]; k++)
		if (!strcmp(name, namespace_types[k].name))
			flag = namespace_types[k].flag;
	if (!strcmp(name, "time"))
		bad(o, "carapace makes no time namespace");
	if (!flag)
		bad(o, "not a namespace type: '%s'", name);
	if (o->ns_seen & flag)
		bad(o, "'%s' is given twice", name);
	o->ns_seen |= flag;
	pop(o, mark);
	if (path >= 0) {
		mark = push_key(o, "path");
		char *p = string(o, path);

		if (*p) {
			expect_absolute(o, p);
			s->joins = xrealloc(s->joins, (s->joins_len + 1) * sizeof *s->joins);
			s->joins[s->joins_len++] = (struct ns_join){ flag, p };
			pop(o, mark);
			return;
		}
		pop(o, mark);
	}
	o->c->namespaces |= flag;
	if (flag == CLONE_NEWUTS)
		o->uts_ns = true;
}

static void parse_namespaces(struct oci *o, int t)
{
	for_each(o, t, parse_namespace);
	o->user_ns = o->c->namespaces & CLONE_NEWUSER;
	for (size_t k = 0; k < o->c->oci.joins_len; k++)
		o->user_ns |= o->c->oci.joins[k].type == CLONE_NEWUSER;
}

/* One range of uidMappings or gidMappings into MAP. */
static void parse_id_mapping(struct oci *o, int t, struct id_map *map)
{
	int in = member(o, t, "containerID"), out = member(o, t, "hostID"), n = member(o, t, "size");
	struct id_range r;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (in < 0 || out < 0 || n < 0)
		bad(o, "needs containerID, hostID and size");
	r.inside = (uint32_t)integer(o, in, 0, UINT32_MAX - 1);
	r.outside = (uint32_t)integer(o, out, 0, UINT32_MAX - 1);
	r.count = (uint32_t)integer(o, n, 1, UINT32_MAX - 1);
	if ((uint64_t)r.inside + r.count > UINT32_MAX || (uint64_t)r.outside + r.count > UINT32_MAX)
		bad(o, "a range past 4294967294");
	for (size_t i = 0; i < map->len; i++)
		if (ranges_overlap(r.inside, r.count, map->ranges[i].inside, map->ranges[i].count) ||
		    ranges_overlap(r.outside, r.count, map->ranges[i].outside, map->ranges[i].count))
			bad(o, "overlaps an earlier range");
	if (map->len == sizeof map->ranges / sizeof map->ranges[0])
		bad(o, "more than %zu ranges", map->len);
	map->ranges[map->len++] = r;
}

static void uid_mapping(struct oci *o, int t, size_t i)
{
	(void)i;
	parse_id_mapping(o, t, &o->c->userns.uids);
}

static void gid_mapping(struct oci *o, int t, size_t i)
{
	(void)i;
	parse_id_mapping(o, t, &o->c->userns.gids);
}

static void parse_uid_mappings(struct oci *o, int t)
{
	for_each(o, t, uid_mapping);
}

static void parse_gid_mappings(struct oci *o, int t)
{
	for_each(o, t, gid_mapping);
}

/* Its forms (absolute, relative, systemd's) are src/cgroup.c's: cgroups_path_split. */
static void parse_cgroups_path(struct oci *o, int t)
{
	cgroups_path_split(o->c, string(o, t));
}

static void string_list(struct oci *o, int t, const char *const **out)
{
	char **paths = string_array(o, t, NULL);

	for (size_t i = 0; paths[i]; i++) {
		size_t mark = push_index(o, i);

		expect_absolute(o, paths[i]);
		pop(o, mark);
	}
	*out = (const char *const *)paths;
}

static void parse_masked_paths(struct oci *o, int t)
{
	string_list(o, t, &o->c->privileges.masked_paths);
}

static void parse_readonly_paths(struct oci *o, int t)
{
	string_list(o, t, &o->c->privileges.readonly_paths);
}

/* linux.resources */

static void pids_limit(struct oci *o, int t)
{
	int64_t v = integer(o, t, INT64_MIN, INT64_MAX);

	o->c->limits.pids = v > 0 ? v : -1;	/* 0 and -1: no limit, as runc */
}

static void resources_pids(struct oci *o, int t)
{
	static const struct field fields[] = { { "limit", pids_limit }, { 0 } };

	parse_fields(o, t, fields);
}

static void memory_limit(struct oci *o, int t)
{
	int64_t v = integer(o, t, -1, INT64_MAX);

	o->c->limits.memory = v > 0 ? v : -1;
}

static void memory_swap(struct oci *o, int t)
{
	int64_t v = integer(o, t, -1, INT64_MAX);

	o->c->limits.memory_swap = v == -1 ? -2 : v > 0 ? v : -1;
}

static void memory_reservation(struct oci *o, int t)
{
	int64_t v = integer(o, t, -1, INT64_MAX);

	o->c->oci.resources.memory_reservation = v > 0 ? v : 0;
}

static void memory_swappiness(struct oci *o, int t)
{
	/* Go's uint64 -1 is what docker sends for "unset". */
	bool negative;

	if (o->tok[t].type == JSMN_PRIMITIVE && magnitude(o, t, &negative) == UINT64_MAX &&
	    !negative)
		return;
	o->c->oci.resources.memory_swappiness = integer(o, t, -1, 100);
}

static void memory_disable_oom_killer(struct oci *o, int t)
{
	o->c->oci.resources.disable_oom_killer = boolean(o, t);
}

static void memory_ignored(struct oci *o, int t)
{
	(void)integer(o, t, INT64_MIN, INT64_MAX);	/* kernel memory: gone from cgroup v2 */
}

static void memory_ignored_bool(struct oci *o, int t)
{
	(void)boolean(o, t);
}

static void resources_memory(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "limit", memory_limit }, { "swap", memory_swap },
		{ "reservation", memory_reservation }, { "swappiness", memory_swappiness },
		{ "disableOOMKiller", memory_disable_oom_killer },
		{ "kernel", memory_ignored }, { "kernelTCP", memory_ignored },
		{ "useHierarchy", memory_ignored_bool }, { "checkBeforeUpdate", memory_ignored_bool },
		{ 0 }
	};

	parse_fields(o, t, fields);
	/* swap 0 is none given (and -1, here -2, no limit): only a number of bytes needs one */
	if (o->c->limits.memory_swap > 0 && o->c->limits.memory < 0)
		bad(o, "swap: needs a limit too");
	if (o->c->limits.memory_swap > 0 && o->c->limits.memory_swap < o->c->limits.memory)
		bad(o, "swap: less than limit (swap is memory and swap together)");
}

static void cpu_shares(struct oci *o, int t)
{
	uint64_t v = (uint64_t)integer(o, t, 0, INT64_MAX);

	if (v && (v < 2 || v > 262144))
		bad(o, "not from 2 to 262144: %" PRIu64, v);
	o->c->limits.cpu_shares = v;
}

static void cpu_quota(struct oci *o, int t)
{
	int64_t v = integer(o, t, -1, INT64_MAX);

	o->c->limits.cpu_quota = v > 0 ? (uint64_t)v : 0;
}

static void cpu_period(struct oci *o, int t)
{
	int64_t v = integer(o, t, 0, 1000000);

	if (v && v < 1000)
		bad(o, "not from 1000 to 1000000 us: %" PRId64, v);
	o->c->oci.resources.cpu_period = (uint64_t)v;
}

static void cpu_cpus(struct oci *o, int t)
{
	char *s = string(o, t);

	o->c->limits.cpuset_cpus = *s ? s : NULL;
}

static void cpu_mems(struct oci *o, int t)
{
	char *s = string(o, t);

	o->c->oci.resources.cpuset_mems = *s ? s : NULL;
}

static void cpu_realtime(struct oci *o, int t)
{
	if (integer(o, t, INT64_MIN, INT64_MAX))
		bad(o, "carapace gives no real-time CPU time");
}

static void cpu_idle(struct oci *o, int t)
{
	if (integer(o, t, INT64_MIN, INT64_MAX))
		bad(o, "carapace makes no idle cgroup");
}

static void resources_cpu(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "shares", cpu_shares }, { "quota", cpu_quota }, { "period", cpu_period },
		{ "cpus", cpu_cpus }, { "mems", cpu_mems }, { "realtimeRuntime", cpu_realtime },
		{ "realtimePeriod", cpu_realtime }, { "idle", cpu_idle }, { 0 }
	};

	parse_fields(o, t, fields);
}

/* linux.devices: nodes made in /dev */

static void device_type(struct oci *o, int t, char *type)
{
	char *s = string(o, t);

	if (strlen(s) != 1 || !strchr("cbup", s[0]))
		bad(o, "not c, b, u or p: '%s'", s);
	*type = s[0];
}

static void parse_device(struct oci *o, int t, size_t i)
{
	struct device_spec *d = &o->c->oci.devices[i];
	int type = member(o, t, "type"), path = member(o, t, "path");
	size_t mark;
	int64_t v;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (type < 0 || path < 0)
		bad(o, "needs type and path");
	*d = (struct device_spec){ .major = -1, .minor = -1 };
	mark = push_key(o, "type");
	device_type(o, type, &d->type);
	pop(o, mark);
	mark = push_key(o, "path");
	d->path = string(o, path);
	expect_absolute(o, d->path);
	pop(o, mark);
	/* Major and minor, but for a fifo; a major has 12 bits, a minor 20. */
	if ((!member_integer(o, t, "major", 0, 4095, &d->major) ||
	     !member_integer(o, t, "minor", 0, 1048575, &d->minor)) && d->type != 'p')
		bad(o, "needs major and minor");
	if (member_integer(o, t, "fileMode", 0, 07777, &v))
		d->mode = (uint32_t)v;
	if (member_integer(o, t, "uid", 0, UINT32_MAX - 1, &v))
		d->uid = (uint32_t)v, d->ids_given = true;
	if (member_integer(o, t, "gid", 0, UINT32_MAX - 1, &v))
		d->gid = (uint32_t)v, d->ids_given = true;
}

static void parse_devices(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	expect_type(o, t, JSMN_ARRAY, "an array");
	s->devices_len = (size_t)o->tok[t].size;
	s->devices = xrealloc(NULL, (s->devices_len + 1) * sizeof *s->devices);
	for_each(o, t, parse_device);
}

/* linux.resources.devices: the device cgroup's rules, in order */
static void parse_device_rule(struct oci *o, int t, size_t i)
{
	struct device_rule *r = &o->c->oci.device_rules[i];
	int allow = member(o, t, "allow"), type = member(o, t, "type"), access;
	size_t mark;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (allow < 0)
		bad(o, "allow: missing");
	*r = (struct device_rule){ .type = 'a', .major = -1, .minor = -1 };
	mark = push_key(o, "allow");
	r->allow = boolean(o, allow);
	pop(o, mark);
	if (type >= 0) {
		char *s;

		mark = push_key(o, "type");
		s = string(o, type);
		if (strlen(s) != 1 || !strchr("acb", s[0]))
			bad(o, "not a, c or b: '%s'", s);
		r->type = s[0];
		pop(o, mark);
	}
	member_integer(o, t, "major", -1, 4095, &r->major);	/* -1 or absent: any */
	member_integer(o, t, "minor", -1, 1048575, &r->minor);
	strcpy(r->access, "rwm");
	if ((access = member(o, t, "access")) >= 0) {
		char *s;

		mark = push_key(o, "access");
		s = string(o, access);
		if (!*s || strlen(s) > 3 || strspn(s, "rwm") != strlen(s) ||
		    (strlen(s) > 1 && (s[0] == s[1] || (s[2] && (s[2] == s[0] || s[2] == s[1])))))
			bad(o, "not of r, w and m, each once: '%s'", s);
		strcpy(r->access, s);
		pop(o, mark);
	}
}

static void resources_devices(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	expect_type(o, t, JSMN_ARRAY, "an array");
	s->device_rules_given = true;
	s->device_rules_len = (size_t)o->tok[t].size;
	s->device_rules = xrealloc(NULL, (s->device_rules_len + 1) * sizeof *s->device_rules);
	for_each(o, t, parse_device_rule);
}

/* An object of strings into key-value pairs, in order (duplicates: tokenize refused them). */
static void key_values(struct oci *o, int t, struct key_value **out, size_t *len)
{
	size_t n = (size_t)o->tok[t].size;
	int k = t + 1;

	expect_type(o, t, JSMN_OBJECT, "an object");
	*out = xrealloc(NULL, (n + 1) * sizeof **out);
	*len = n;
	for (size_t i = 0; i < n; i++) {
		char *key = string(o, k);
		size_t mark = push_key(o, key);

		(*out)[i] = (struct key_value){ key, string(o, k + 1) };
		pop(o, mark);
		k = skip(o, k + 1);
	}
}

static void parse_annotations(struct oci *o, int t)
{
	key_values(o, t, &o->c->oci.annotations, &o->c->oci.annotations_len);
}

static void parse_sysctl(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	key_values(o, t, &s->sysctls, &s->sysctls_len);
	for (size_t i = 0; i < s->sysctls_len; i++) {
		const char *key = s->sysctls[i].key;
		size_t mark = push_key(o, key);

		/* Written as /proc/sys/KEY, dots for slashes: no "..", no empty name. */
		if (!*key || strstr(key, "..") || strchr(key, '/') || key[0] == '.' ||
		    key[strlen(key) - 1] == '.')
			bad(o, "not a sysctl name");
		pop(o, mark);
	}
}

static void resources_unified(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	key_values(o, t, &s->resources.unified, &s->resources.unified_len);
	for (size_t i = 0; i < s->resources.unified_len; i++) {
		const char *key = s->resources.unified[i].key;
		size_t mark = push_key(o, key);

		/* A file of the container's cgroup, "memory.high": nothing else. */
		if (!*key || strchr(key, '/') || key[0] == '.' || !strchr(key, '.'))
			bad(o, "not a cgroup file's name");
		pop(o, mark);
	}
}

static void hugepage_limit(struct oci *o, int t, size_t i)
{
	struct hugetlb_limit *h = &o->c->oci.resources.hugetlb[i];
	int size = member(o, t, "pageSize"), limit = member(o, t, "limit");
	size_t mark;
	char *s;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (size < 0 || limit < 0)
		bad(o, "needs pageSize and limit");
	mark = push_key(o, "pageSize");
	s = string(o, size);
	/* "2MB", "1GB": a part of the cgroup's file names, hugetlb.2MB.max. */
	if (!isdigit((unsigned char)s[0]) || strspn(s, "0123456789") + 2 != strlen(s) ||
	    !strchr("KMG", s[strlen(s) - 2]) || s[strlen(s) - 1] != 'B')
		bad(o, "not a page size like 2MB: '%s'", s);
	h->page_size = s;
	pop(o, mark);
	mark = push_key(o, "limit");
	h->limit = unsigned_integer(o, limit, UINT64_MAX);
	pop(o, mark);
}

static void resources_hugepages(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	expect_type(o, t, JSMN_ARRAY, "an array");
	s->resources.hugetlb_len = (size_t)o->tok[t].size;
	s->resources.hugetlb = xrealloc(NULL, (s->resources.hugetlb_len + 1) *
					sizeof *s->resources.hugetlb);
	for_each(o, t, hugepage_limit);
}

static void blkio_weight(struct oci *o, int t)
{
	int64_t v = integer(o, t, 0, 1000);

	if (v && v < 10)
		bad(o, "not from 10 to 1000: %" PRId64, v);
	o->c->oci.resources.blkio_weight = (uint16_t)v;
}

/* Lists carapace can't apply: fine when empty, as engines send them. */
static void empty_or_refused(struct oci *o, int t, const char *why)
{
	if ((o->tok[t].type == JSMN_ARRAY || o->tok[t].type == JSMN_OBJECT) && !o->tok[t].size)
		return;
	if (o->tok[t].type == JSMN_PRIMITIVE && o->text[o->tok[t].start] == '0' &&
	    o->tok[t].end - o->tok[t].start == 1)
		return;
	bad(o, "%s", why);
}

static void blkio_unsupported(struct oci *o, int t)
{
	empty_or_refused(o, t, "carapace sets only blockIO.weight");
}

static void resources_block_io(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "weight", blkio_weight }, { "leafWeight", blkio_unsupported },
		{ "weightDevice", blkio_unsupported },
		{ "throttleReadBpsDevice", blkio_unsupported },
		{ "throttleWriteBpsDevice", blkio_unsupported },
		{ "throttleReadIOPSDevice", blkio_unsupported },
		{ "throttleWriteIOPSDevice", blkio_unsupported }, { 0 }
	};

	parse_fields(o, t, fields);
}

static void resources_network(struct oci *o, int t)
{
	/* net_cls and net_prio: cgroup v1 only; the spec lets a runtime go without. */
	expect_type(o, t, JSMN_OBJECT, "an object");
	log_debug("config.json: %s: ignored (net_cls and net_prio are cgroup v1's)", o->path);
}

static void resources_rdma(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	empty_or_refused(o, t, "carapace sets no RDMA limits");
}

static void parse_root_propagation(struct oci *o, int t)
{
	char *s = string(o, t);

	for (size_t i = 0; i < sizeof mount_words / sizeof mount_words[0]; i++)
		if (mount_words[i].propagation && !strcmp(s, mount_words[i].word)) {
			o->c->oci.root_propagation = mount_words[i].propagation;
			return;
		}
	bad(o, "not a propagation (private, rslave, shared...): '%s'", s);
}

/*
 * Whether this kernel takes PER_LINUX32. arm64 answers EINVAL where the
 * CPU has no AArch32 at EL0 (arch/arm64/kernel/sys.c), as on many newer
 * cores: asked here, before anything is made, our own put back at once.
 * x86-64 takes it, with or without IA32 emulation.
 */
static bool kernel_takes_linux32(void)
{
	int ours = personality(0xffffffff);

	if (ours < 0 || personality(PER_LINUX32) < 0)
		return false;
	personality((unsigned long)ours);
	return true;
}

static void personality_domain(struct oci *o, int t)
{
	char *s = string(o, t);

	if (!strcmp(s, "LINUX"))
		o->c->oci.personality = PER_LINUX;
	else if (strcmp(s, "LINUX32"))
		bad(o, "not LINUX or LINUX32: '%s'", s);
	else if (!kernel_takes_linux32())
		bad(o, "LINUX32: this kernel runs no 32-bit programs (%s)", strerror(errno));
	else
		o->c->oci.personality = PER_LINUX32;
}

static void personality_flags(struct oci *o, int t)
{
	size_t n;
	char **flags = string_array(o, t, &n);

	/* The spec names none yet. */
	if (n)
		bad(o, "carapace knows no personality flag: '%s'", flags[0]);
}

static void parse_personality(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "domain", personality_domain }, { "flags", personality_flags }, { 0 }
	};

	parse_fields(o, t, fields);
	if (member(o, t, "domain") < 0)
		bad(o, "domain: missing");
	o->c->oci.personality_given = true;
}

static void parse_mount_label(struct oci *o, int t)
{
	if (*string(o, t))
		bad(o, "carapace has no SELinux support");
}

static void parse_intel_rdt(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	bad(o, "carapace has no Intel RDT support");
}

static void parse_time_offsets(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	empty_or_refused(o, t, "carapace makes no time namespace");
}

static void parse_net_devices(struct oci *o, int t)
{
	expect_type(o, t, JSMN_OBJECT, "an object");
	empty_or_refused(o, t, "carapace moves no network device");
}

/* hooks */

static void hook_path(struct oci *o, int t, struct hook *h)
{
	h->path = string(o, t);
	expect_absolute(o, h->path);
}

static void parse_hook(struct oci *o, int t, struct hook *h)
{
	int path = member(o, t, "path"), args = member(o, t, "args"), env = member(o, t, "env");
	size_t mark;
	int64_t v;

	expect_type(o, t, JSMN_OBJECT, "an object");
	if (path < 0)
		bad(o, "path: missing");
	mark = push_key(o, "path");
	hook_path(o, path, h);
	pop(o, mark);
	if (args >= 0) {
		mark = push_key(o, "args");
		h->args = string_array(o, args, NULL);
		pop(o, mark);
	}
	if (env >= 0) {
		mark = push_key(o, "env");
		h->env = string_array(o, env, NULL);
		pop(o, mark);
	}
	if (member_integer(o, t, "timeout", 1, INT_MAX, &v))
		h->timeout = (int)v;
}

static const char *const hook_names[N_HOOK_KINDS] = {
	[HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_CREATE_CONTAINER] = "createContainer", [HOOK_START_CONTAINER] = "startContainer",
	[HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
};

static void parse_hooks(struct oci *o, int t)
{
	struct oci_settings *s = &o->c->oci;

	expect_type(o, t, JSMN_OBJECT, "an object");
	for (int kind = 0; kind < N_HOOK_KINDS; kind++) {
		int list = member(o, t, hook_names[kind]);
		size_t mark, n;

		if (list < 0)
			continue;
		mark = push_key(o, hook_names[kind]);
		expect_type(o, list, JSMN_ARRAY, "an array");
		n = (size_t)o->tok[list].size;
		s->hooks[kind] = xrealloc(NULL, (n + 1) * sizeof *s->hooks[kind]);
		s->hooks_len[kind] = n;
		for (size_t i = 0, h = (size_t)list + 1; i < n; i++, h = (size_t)skip(o, (int)h)) {
			size_t m = push_index(o, i);

			s->hooks[kind][i] = (struct hook){ 0 };
			parse_hook(o, (int)h, &s->hooks[kind][i]);
			pop(o, m);
		}
		pop(o, mark);
	}
}

static void parse_resources(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "pids", resources_pids }, { "memory", resources_memory },
		{ "cpu", resources_cpu }, { "devices", resources_devices },
		{ "blockIO", resources_block_io }, { "hugepageLimits", resources_hugepages },
		{ "unified", resources_unified }, { "network", resources_network },
		{ "rdma", resources_rdma }, { 0 }
	};

	parse_fields(o, t, fields);
}

/* linux.seccomp: src/oci-seccomp.c reads the object's own text. */
static void parse_seccomp(struct oci *o, int t)
{
	oci_parse_seccomp(o->c, o->text + o->tok[t].start, (size_t)(o->tok[t].end - o->tok[t].start));
}

static void parse_linux(struct oci *o, int t)
{
	static const struct field fields[] = {
		{ "namespaces", parse_namespaces }, { "uidMappings", parse_uid_mappings },
		{ "gidMappings", parse_gid_mappings }, { "cgroupsPath", parse_cgroups_path },
		{ "resources", parse_resources }, { "maskedPaths", parse_masked_paths },
		{ "readonlyPaths", parse_readonly_paths }, { "devices", parse_devices },
		{ "sysctl", parse_sysctl }, { "rootfsPropagation", parse_root_propagation },
		{ "personality", parse_personality }, { "seccomp", parse_seccomp },
		{ "mountLabel", parse_mount_label }, { "intelRdt", parse_intel_rdt },
		{ "timeOffsets", parse_time_offsets }, { "netDevices", parse_net_devices },
		{ 0 }
	};

	parse_fields(o, t, fields);
}

/* ------------------------------------------------------------------ */
/* The whole                                                          */
/* ------------------------------------------------------------------ */

static void parse_top(struct oci *o)
{
	static const struct field fields[] = {
		{ "ociVersion", parse_version }, { "process", parse_process },
		{ "root", parse_root }, { "hostname", parse_hostname },
		{ "domainname", parse_domainname }, { "mounts", parse_mounts },
		{ "hooks", parse_hooks }, { "annotations", parse_annotations },
		{ "linux", parse_linux }, { 0 }
	};

	if (member(o, 0, "ociVersion") < 0)
		bad(o, "ociVersion: missing");
	parse_fields(o, 0, fields);
	if (member(o, 0, "root") < 0)
		bad(o, "root: missing");
	if (member(o, 0, "process") < 0)
		bad(o, "process: missing");
}

/* What the config left unsaid, as the spec says it: nothing more. */
static void oci_defaults(struct oci *o)
{
	struct container *c = o->c;
	struct utsname u;

	if (c->process.tty == TTY_AUTO)	/* no terminal: none, whatever stdin is */
		c->process.tty = TTY_NEVER;
	if (!c->process.env)
		c->process.env = xrealloc(NULL, sizeof(char *)), c->process.env[0] = NULL;
	if (!c->privileges.masked_paths)
		c->privileges.masked_paths = no_paths;
	if (!c->privileges.readonly_paths)
		c->privileges.readonly_paths = no_paths;
	if (!c->root.readonly)
		c->root.rw = true;	/* the bundle's rootfs is the container's, as runc */
	c->root.make_targets = true;	/* the engine's mounts expect it, as runc does */
	if (c->oci.hostname_given && !o->uts_ns) {
		o->path_len = 0;
		push_key(o, "hostname");
		bad(o, "needs a UTS namespace of the container's own");
	}
	if (c->oci.domainname && !o->uts_ns) {
		o->path_len = 0;
		push_key(o, "domainname");
		bad(o, "needs a UTS namespace of the container's own");
	}
	if (!c->hostname)	/* as a new UTS namespace has it: init sets none */
		c->hostname = xasprintf("%s", uname(&u) ? "" : u.nodename);
	if ((c->userns.uids.len || c->userns.gids.len) && !o->user_ns)
		bad(o, "linux.uidMappings: given without a user namespace");
	if (!(c->namespaces & CLONE_NEWNS))
		bad(o, "linux.namespaces: carapace needs a mount namespace of the container's own");
	if (!c->limits.parent)
		c->limits.parent = "carapace";
	if (!c->limits.name)	/* unique, as the command line's: carapace-PID-RANDOM */
		c->limits.name = made_up_name();
	if (!c->limits.pids)
		c->limits.pids = -1;
	if (!c->limits.memory)
		c->limits.memory = -1;
	if (!c->limits.memory_swap)
		c->limits.memory_swap = -1;
	if (!c->oci.seccomp && !c->privileges.seccomp)
		c->privileges.seccomp = "unconfined";	/* the spec's: no filter unless given */
	c->init.stop_timeout = 10;
}

void oci_parse_config(struct container *c, const char *json, size_t len, const char *bundle)
{
	struct oci o = { .c = c, .bundle = bundle, .early = true };
	const char *name = c->limits.name;	/* the container's id, if it has one yet */

	c->oci.bundle = bundle;
	c->oci.process.umask = -1;
	c->oci.resources.memory_swappiness = -1;
	c->limits.name = NULL;
	tokenize(&o, json, len);
	parse_top(&o);
	o.path_len = 0;
	o.path[0] = '\0';
	if (!c->limits.name)
		c->limits.name = name;
	oci_defaults(&o);
	free(o.tok);
}

/*
 * carapace update's --resources: a linux.resources object of LEN bytes
 * into C's limits, as config.json's; the keys that are there, no other.
 * A cpu.quota of -1 (no limit) is UINT64_MAX, which update writes as none.
 */
void oci_parse_resources(struct container *c, const char *json, size_t len)
{
	struct oci o = { .c = c, .strict = true };
	int quota;

	document = "update: --resources";
	tokenize(&o, json, len);
	parse_resources(&o, 0);
	quota = member(&o, 0, "cpu") >= 0 ? member(&o, member(&o, 0, "cpu"), "quota") : -1;
	if (quota >= 0 && integer(&o, quota, -1, INT64_MAX) == -1)
		c->limits.cpu_quota = UINT64_MAX;
	free(o.tok);
	document = "config.json";
}

/* Whether the config sets a limit that needs a cgroup of the container's own. */
static bool limits_asked(const struct container *c)
{
	const struct oci_settings *s = &c->oci;

	return c->limits.pids >= 0 || c->limits.memory >= 0 || c->limits.memory_swap != -1 ||
	       c->limits.cpu_quota || c->limits.cpu_shares || c->limits.cpuset_cpus ||
	       s->resources.memory_reservation || s->resources.disable_oom_killer ||
	       s->resources.memory_swappiness >= 0 || s->resources.cpuset_mems ||
	       s->resources.blkio_weight || s->resources.hugetlb_len || s->resources.unified_len;
}

/* BUNDLE/config.json into C: all that the container is. */
/*
 * The container's /sys/fs/cgroup shows its own cgroups only from a cgroup
 * namespace of its own: without one (podman's default on v1), the
 * hierarchies mounted there would be the host's whole trees. So carapace
 * makes one unless the config joins one.
 */
static void own_cgroup_namespace(struct container *c)
{
	for (size_t i = 0; i < c->oci.joins_len; i++)
		if (c->oci.joins[i].type == CLONE_NEWCGROUP)
			return;
	c->namespaces |= CLONE_NEWCGROUP;
}

/* Returns the text it read: create keeps it for the hooks of start and delete. */
char *oci_read_config(struct container *c, const char *bundle)
{
	struct text_file t;
	char *abs = realpath(bundle, NULL), *path, *text;
	struct stat st;

	if (!abs)
		die_errno("--bundle: %s", bundle);
	path = xasprintf("%s/config.json", abs);
	if (!open_text_file(&t, "", path))
		die(EXIT_CANT_RUN, "config.json: %s: %s", path, strerror(errno));
	oci_parse_config(c, t.data, t.len, abs);
	own_cgroup_namespace(c);
	/* The tokens point into it no more; strings are copies. */
	text = xasprintf("%s", t.data);
	close_text_file(&t);
	if (stat(c->root.path, &st))
		die_errno("config.json: root.path: %s", c->root.path);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_CANT_RUN, "config.json: root.path: %s: %s", c->root.path, strerror(ENOTDIR));
	if (!(c->root.path = realpath(c->root.path, NULL)))
		die_errno("config.json: root.path");
	/* Rootless, a cgroup needs a delegation: as runc, none unless a limit asks. */
	if (geteuid() && !limits_asked(c)) {
		log_debug("cgroup: none: rootless, and config.json asks for no limit");
		c->limits.name = NULL;
	}
	free(path);
	return text;
}

/*
 * exec --process FILE: a process object alone, as podman and containerd's
 * shim write it; its fields replace the container's process.
 */
void oci_parse_process(struct container *c, const char *json, size_t len)
{
	struct oci o = { .c = c, .early = true };

	tokenize(&o, json, len);
	push_key(&o, "process");
	parse_process(&o, 0);
	free(o.tok);
}
