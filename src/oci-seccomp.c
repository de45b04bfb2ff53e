/*
 * oci-seccomp.c: config.json's linux.seccomp, the OCI form of a seccomp
 * profile, read into a struct seccomp_profile that src/seccomp.c compiles.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"
#define JSMN_STATIC
#define JSMN_STRICT	/* primitives are true, false, null and numbers only */
#include <jsmn.h>

/* The text and its tokens; every function below reads tokens by index. */
struct json {
	const char *js;
	jsmntok_t *t;
	int n;
	const char *what, *join;	/* for errors: "config.json: linux.seccomp" and ".",
					 * or "seccomp: FILE" and ": ", then the field */
};

/* The one line of bad input: FIELD is the path below linux.seccomp, or "". */
__attribute__((noreturn, format(printf, 3, 4)))
static void bad(const struct json *j, const char *field, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	die(EXIT_CANT_RUN, "%s%s%s: %s", j->what, *field ? j->join : "", field, why);
}

/* A field's path for errors, cut if it must be (a key of 100 KB). */
__attribute__((format(printf, 3, 4)))
static void name_field(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* The index after token I and all it holds. */
static int skip(const struct json *j, int i)
{
	for (int pending = 1; pending > 0; i++)
		pending += j->t[i].size - 1;
	return i;
}

static void need_type(const struct json *j, int i, jsmntype_t type, const char *field)
{
	static const char *const names[] = {
		[JSMN_OBJECT] = "an object", [JSMN_ARRAY] = "an array",
		[JSMN_STRING] = "a string", [JSMN_PRIMITIVE] = "a number",
	};

	if (j->t[i].type != type)
		bad(j, field, "not %s", names[type]);
}

/* A null value of an optional field is as good as none: Go writes nil slices so. */
static bool is_null(const struct json *j, int i)
{
	return j->t[i].type == JSMN_PRIMITIVE && j->t[i].end - j->t[i].start == 4 &&
	       !memcmp(j->js + j->t[i].start, "null", 4);
}

static bool key_is(const struct json *j, int i, const char *key)
{
	size_t len = (size_t)(j->t[i].end - j->t[i].start);

	return strlen(key) == len && !memcmp(j->js + j->t[i].start, key, len);
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Appends code point CP (below 0x10000, no surrogate) to OUT as UTF-8. */
static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80)
		return out[0] = (char)cp, 1;
	if (cp < 0x800)
		return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), 2;
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/*
 * String token I, unescaped, NUL-terminated. A NUL (\u0000) or a lone
 * surrogate can't be in a name or a path: refused rather than cut.
 */
static char *json_string(const struct json *j, int i, const char *field)
{
	const char *s = j->js + j->t[i].start, *end = j->js + j->t[i].end;
	char *out, *o;

	need_type(j, i, JSMN_STRING, field);
	out = o = xrealloc(NULL, (size_t)(end - s) + 1);
	while (s < end) {
		unsigned cp = 0;

		if ((unsigned char)*s < 0x20)
			bad(j, field, "a control character in a string");
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		switch (s[1]) {
		case '"': case '\\': case '/': *o++ = s[1]; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			for (int k = 2; k < 6; k++) {
				int d = s + k < end ? hex_digit(s[k]) : -1;

				if (d < 0)
					bad(j, field, "a bad \\u escape");
				cp = cp << 4 | (unsigned)d;
			}
			if (!cp || (cp >= 0xd800 && cp <= 0xdfff))
				bad(j, field, "\\u%04x can't be in a string here", cp);
			o += put_utf8(o, cp);
			s += 4;
			break;
		default:
			bad(j, field, "a bad escape in a string");
		}
		s += 2;
	}
	*o = '\0';
	return out;
}

/* Number token I: a whole number from 0 to MAX, in JSON's form (no sign, no leading 0). */
static uint64_t json_uint(const struct json *j, int i, uint64_t max, const char *field)
{
	const char *s = j->js + j->t[i].start, *end = j->js + j->t[i].end;
	uint64_t v = 0;

	need_type(j, i, JSMN_PRIMITIVE, field);
	if (s == end || *s < '0' || *s > '9' || (*s == '0' && end - s > 1))
		bad(j, field, "'%.*s' is not a whole number from 0", (int)(end - s), s);
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			bad(j, field, "'%.*s' is not a whole number", (int)(j->t[i].end - j->t[i].start),
			    j->js + j->t[i].start);
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			bad(j, field, "more than %llu", (unsigned long long)max);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		bad(j, field, "%llu is more than %llu", (unsigned long long)v, (unsigned long long)max);
	return v;
}

/* An action's name, as libseccomp spells it, and its SECCOMP_RET_* form. */
static const struct {
	const char *name;
	uint32_t ret;
	bool takes_errno;	/* errnoRet goes into SECCOMP_RET_DATA; EPERM if none */
} actions[] = {
	{ "SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, false },	/* libseccomp's KILL */
	{ "SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SECCOMP_RET_TRAP, false },
	{ "SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, true },
	{ "SCMP_ACT_TRACE", SECCOMP_RET_TRACE, true },
	{ "SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, false },
	{ "SCMP_ACT_LOG", SECCOMP_RET_LOG, false },
};

/* ERRNO_RET: errnoRet's value, or -1 when not given. */
static uint32_t parse_action(const struct json *j, const char *name, int64_t errno_ret, const char *field)
{
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (!strcmp(name, actions[i].name))
			return actions[i].ret | (actions[i].takes_errno ?
						 (uint32_t)(errno_ret < 0 ? EPERM : errno_ret) : 0);
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		bad(j, field, "SCMP_ACT_NOTIFY needs a seccomp agent, which carapace does not support");
	bad(j, field, "unknown action '%.64s'", name);
}

static enum seccomp_op parse_op(const struct json *j, const char *name, const char *field)
{
	static const char *const ops[] = {
		[SECCOMP_OP_NE] = "SCMP_CMP_NE", [SECCOMP_OP_LT] = "SCMP_CMP_LT",
		[SECCOMP_OP_LE] = "SCMP_CMP_LE", [SECCOMP_OP_EQ] = "SCMP_CMP_EQ",
		[SECCOMP_OP_GE] = "SCMP_CMP_GE", [SECCOMP_OP_GT] = "SCMP_CMP_GT",
		[SECCOMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	};

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(name, ops[i]))
			return (enum seccomp_op)i;
	bad(j, field, "unknown op '%.64s'", name);
}

/* One of a rule's args: {index, value, valueTwo, op}; returns the next token. */
static int parse_arg(const struct json *j, int i, struct seccomp_arg *a, const char *field)
{
	bool index_given = false, value_given = false, op_given = false;
	char sub[160];
	int end;

	need_type(j, i, JSMN_OBJECT, field);
	end = skip(j, i);
	for (i++; i < end; i = skip(j, i + 1)) {
		name_field(sub, sizeof sub, "%s.%.*s", field, j->t[i].end - j->t[i].start,
			 j->js + j->t[i].start);
		if (is_null(j, i + 1))
			continue;
		if (key_is(j, i, "index"))
			a->index = (unsigned)json_uint(j, i + 1, 5, sub), index_given = true;
		else if (key_is(j, i, "value"))
			a->value = json_uint(j, i + 1, UINT64_MAX, sub), value_given = true;
		else if (key_is(j, i, "valueTwo"))
			a->value_two = json_uint(j, i + 1, UINT64_MAX, sub);
		else if (key_is(j, i, "op"))
			a->op = parse_op(j, json_string(j, i + 1, sub), sub), op_given = true;
	}
	if (!index_given || !value_given || !op_given)
		bad(j, field, "needs %s", !index_given ? "an index" : !value_given ? "a value" : "an op");
	return i;
}

static void parse_args(const struct json *j, int i, struct seccomp_rule *r, const char *field)
{
	char sub[160];

	need_type(j, i, JSMN_ARRAY, field);
	if (j->t[i].size > 6)
		bad(j, field, "%d comparisons: at most 6", j->t[i].size);
	r->args_len = (size_t)j->t[i].size;
	i++;
	for (size_t k = 0; k < r->args_len; k++) {
		name_field(sub, sizeof sub, "%s[%zu]", field, k);
		i = parse_arg(j, i, &r->args[k], sub);
	}
}

static void parse_names(const struct json *j, int i, struct seccomp_rule *r, const char *field)
{
	char sub[160];

	need_type(j, i, JSMN_ARRAY, field);
	if (!j->t[i].size)
		bad(j, field, "no system call named");
	r->names_len = (size_t)j->t[i].size;
	r->names = xrealloc(NULL, r->names_len * sizeof *r->names);
	for (size_t k = 0; k < r->names_len; k++) {
		name_field(sub, sizeof sub, "%s[%zu]", field, k);
		r->names[k] = json_string(j, i + 1 + (int)k, sub);
	}
}

/* syscalls[N]: {names, action, errnoRet, args}; returns the next token. */
static int parse_rule(const struct json *j, int i, struct seccomp_rule *r, const char *field)
{
	int end, action = -1;
	int64_t errno_ret = -1;
	char sub[160];

	need_type(j, i, JSMN_OBJECT, field);
	end = skip(j, i);
	for (i++; i < end; i = skip(j, i + 1)) {
		name_field(sub, sizeof sub, "%s.%.*s", field, j->t[i].end - j->t[i].start,
			 j->js + j->t[i].start);
		if (is_null(j, i + 1))
			continue;
		if (key_is(j, i, "names"))
			parse_names(j, i + 1, r, sub);
		else if (key_is(j, i, "action"))
			action = i + 1;
		else if (key_is(j, i, "errnoRet"))
			errno_ret = (int64_t)json_uint(j, i + 1, 4095, sub);
		else if (key_is(j, i, "args"))
			parse_args(j, i + 1, r, sub);
	}
	if (!r->names)
		bad(j, field, "no names");
	if (action < 0)
		bad(j, field, "no action");
	name_field(sub, sizeof sub, "%s.action", field);
	r->action = parse_action(j, json_string(j, action, sub), errno_ret, sub);
	return i;
}

static void parse_rules(const struct json *j, int i, struct seccomp_profile *p)
{
	char field[64];

	need_type(j, i, JSMN_ARRAY, "syscalls");
	p->len = (size_t)j->t[i].size;
	p->rules = xrealloc(NULL, p->len * sizeof *p->rules);
	memset(p->rules, 0, p->len * sizeof *p->rules);
	i++;
	for (size_t k = 0; k < p->len; k++) {
		name_field(field, sizeof field, "syscalls[%zu]", k);
		i = parse_rule(j, i, &p->rules[k], field);
	}
}

/*
 * The ABIs of the machine built for, sorted: its own, and the compat ones,
 * which build_seccomp kills whatever the profile says.
 */
#if defined(__x86_64__)
#define NATIVE_ARCH "SCMP_ARCH_X86_64"
static const char *const arch_names[] = { "SCMP_ARCH_X32", "SCMP_ARCH_X86", NATIVE_ARCH };
#elif defined(__aarch64__)
#define NATIVE_ARCH "SCMP_ARCH_AARCH64"
static const char *const arch_names[] = { NATIVE_ARCH, "SCMP_ARCH_ARM" };
#else
#error "oci-seccomp: carapace knows the ABIs of x86-64 and arm64 only"
#endif

const char *const *seccomp_arch_names(size_t *n)
{
	*n = sizeof arch_names / sizeof arch_names[0];
	return arch_names;
}

/*
 * architectures: this machine's ABIs, and libseccomp's names of the
 * other machines' (accepted, as engines list them all, and meaningless
 * here). How the compat ones are treated: build_seccomp.
 */
static void parse_arches(const struct json *j, int i, struct seccomp_profile *p)
{
	static const char *const others[] = {
		"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
		"SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
		"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
		"SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
		"SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH",
		"SCMP_ARCH_SHEB",
	};
	char field[64];

	need_type(j, i, JSMN_ARRAY, "architectures");
	for (int k = 0, n = j->t[i].size; k < n; k++) {
		const char *name;
		bool ours = false, known = false;

		name_field(field, sizeof field, "architectures[%d]", k);
		name = json_string(j, i + 1 + k, field);
		for (size_t a = 0; a < sizeof arch_names / sizeof arch_names[0]; a++)
			ours |= !strcmp(name, arch_names[a]);
		if (!strcmp(name, NATIVE_ARCH))
			p->arches |= SECCOMP_ARCH_BIT_NATIVE;
		else if (ours)
			p->arches |= SECCOMP_ARCH_BIT_COMPAT;
		else {
			for (size_t o = 0; o < sizeof others / sizeof others[0]; o++)
				known |= !strcmp(name, others[o]);
			if (!known)
				bad(j, field, "unknown architecture '%.64s'", name);
			p->arches |= SECCOMP_ARCH_BIT_OTHER;
		}
	}
}

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/*
 * flags: LOG and SPEC_ALLOW go to seccomp(2); TSYNC too, harmless for
 * the one thread the workload has then. WAIT_KILLABLE_RECV is about a
 * listener, which carapace never makes: accepted, and nothing to pass.
 */
static void parse_flags(const struct json *j, int i, struct seccomp_profile *p)
{
	static const struct { const char *name; unsigned flag; } flags[] = {
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0 },
	};
	char field[64];

	need_type(j, i, JSMN_ARRAY, "flags");
	for (int k = 0, n = j->t[i].size; k < n; k++) {
		const char *name;
		size_t f = 0;

		name_field(field, sizeof field, "flags[%d]", k);
		name = json_string(j, i + 1 + k, field);
		while (f < sizeof flags / sizeof flags[0] && strcmp(name, flags[f].name))
			f++;
		if (f == sizeof flags / sizeof flags[0])
			bad(j, field, "unknown flag '%.64s'", name);
		p->flags |= flags[f].flag;
	}
}

/*
 * The index after token I and all it holds, once its shape is checked:
 * jsmn lets through an object whose key has no value or two ("a": 1 "b"
 * makes "b" a second child of "a"), which the readers below would walk
 * past the tokens' end. Each key is a string with one value; nothing
 * else holds a token but arrays; profiles are shallow.
 */
static int check_shape(const struct json *j, int i, int depth)
{
	const jsmntok_t *t = &j->t[i];

	if (depth > 16)
		bad(j, "", "nested too deep");
	if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
		i++;
		for (int k = 0; k < t->size; k++) {
			if (i >= j->n)
				bad(j, "", "not valid JSON");
			if (t->type == JSMN_OBJECT && (j->t[i].type != JSMN_STRING ||
						       j->t[i].size != 1 || ++i >= j->n))
				bad(j, "", "not valid JSON: a key without one value");
			i = check_shape(j, i, depth + 1);
		}
		return i;
	}
	if (t->size)
		bad(j, "", "not valid JSON: a value where a comma belongs");
	return i + 1;
}

/* Tokens of LEN bytes of JSON, which must be one object and nothing else. */
static void tokenize(struct json *j, const char *json, size_t len)
{
	jsmn_parser parser;

	if (memchr(json, '\0', len))
		bad(j, "", "a NUL byte");	/* where jsmn would stop */
	jsmn_init(&parser);
	j->n = jsmn_parse(&parser, json, len, NULL, 0);
	if (j->n < 1)
		bad(j, "", "not valid JSON");
	j->t = xrealloc(NULL, (size_t)j->n * sizeof *j->t);
	jsmn_init(&parser);
	if (jsmn_parse(&parser, json, len, j->t, (unsigned)j->n) != j->n)
		bad(j, "", "not valid JSON");
	if (j->t[0].type != JSMN_OBJECT || check_shape(j, 0, 0) != j->n)
		bad(j, "", "not one JSON object");
}

/* JSON of LEN bytes into c->oci.seccomp; errors begin with WHAT, then JOIN and the field. */
void parse_seccomp_json(struct container *c, const char *json, size_t len, const char *what,
			const char *join)
{
	struct seccomp_profile *p = xrealloc(NULL, sizeof *p);
	struct json j = { .js = json, .what = what, .join = join };
	int64_t errno_ret = -1;
	int action = -1;

	memset(p, 0, sizeof *p);
	tokenize(&j, json, len);
	for (int i = 1; i < j.n; i = skip(&j, i + 1)) {
		if (is_null(&j, i + 1))
			continue;
		if (key_is(&j, i, "defaultAction"))
			action = i + 1;
		else if (key_is(&j, i, "defaultErrnoRet"))
			errno_ret = (int64_t)json_uint(&j, i + 1, 4095, "defaultErrnoRet");
		else if (key_is(&j, i, "architectures"))
			parse_arches(&j, i + 1, p);
		else if (key_is(&j, i, "flags"))
			parse_flags(&j, i + 1, p);
		else if (key_is(&j, i, "listenerPath"))
			p->listener_path = json_string(&j, i + 1, "listenerPath");
		else if (key_is(&j, i, "listenerMetadata"))
			json_string(&j, i + 1, "listenerMetadata");	/* for the agent alone */
		else if (key_is(&j, i, "syscalls"))
			parse_rules(&j, i + 1, p);
		else
			log_debug("%s%s%.*s: not known, ignored", what, join,
				  j.t[i].end - j.t[i].start, json + j.t[i].start);
	}
	if (action < 0)
		bad(&j, "defaultAction", "missing");
	p->default_action = parse_action(&j, json_string(&j, action, "defaultAction"), errno_ret,
					 "defaultAction");
	free(j.t);
	c->oci.seccomp = p;
}

void oci_parse_seccomp(struct container *c, const char *json, size_t len)
{
	parse_seccomp_json(c, json, len, "config.json: linux.seccomp", ".");
}
