/*
 * printf.c: vfprintf, which every printf of musl's (snprintf, dprintf,
 * fprintf, vasprintf...) calls, as carapace's formats need it: integers,
 * characters and strings, with flags, width and precision. musl's own
 * brought its floating-point formatter (fmt_fp and friends, 10 KB of the
 * binary), which no format here uses; a %f or any conversion this one
 * doesn't know is copied out as it stands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* The output, gathered so that a line to an unbuffered stderr is one write. */
struct out {
	FILE *f;
	size_t len;
	size_t total;
	bool failed;
	char buf[1024];
};

static void out_flush(struct out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->failed = true;
	o->len = 0;
}

static void out_put(struct out *o, const char *s, size_t n)
{
	o->total += n;
	while (n) {
		size_t room = sizeof o->buf - o->len, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof o->buf)
			out_flush(o);
	}
}

static void out_repeat(struct out *o, char c, size_t n)
{
	while (n--)
		out_put(o, &c, 1);
}

struct spec {
	bool left, zero, alt, plus, space;
	size_t width;
	int prec;		/* -1: none given */
};

/* PREFIX (a sign, 0x), ZEROS, then the N bytes of BODY, padded to the width. */
static void put_field(struct out *o, const struct spec *sp, const char *prefix,
		      size_t zeros, const char *body, size_t n)
{
	size_t len = strlen(prefix) + zeros + n;
	size_t pad = sp->width > len ? sp->width - len : 0;

	if (!sp->left && !sp->zero)
		out_repeat(o, ' ', pad);
	out_put(o, prefix, strlen(prefix));
	if (!sp->left && sp->zero)
		out_repeat(o, '0', pad);
	out_repeat(o, '0', zeros);
	out_put(o, body, n);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

/* V in BASE; NEG for a negative number's sign; CONV is the conversion. */
static void put_number(struct out *o, const struct spec *sp, uintmax_t v, bool neg, char conv)
{
	const char *xdigits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = conv == 'o' ? 8 : conv == 'x' || conv == 'X' || conv == 'p' ? 16 : 10;
	char digits[3 * sizeof v], *end = digits + sizeof digits, *p = end;
	const char *prefix = "";
	size_t zeros = 0;

	for (uintmax_t n = v; n || (p == end && sp->prec != 0); n /= base)
		*--p = xdigits[n % base];
	if (neg)
		prefix = "-";
	else if (sp->plus && base == 10)
		prefix = "+";
	else if (sp->space && base == 10)
		prefix = " ";
	else if (conv == 'p' || (sp->alt && v && base == 16))
		prefix = conv == 'X' ? "0X" : "0x";
	if (sp->prec >= 0 && (size_t)sp->prec > (size_t)(end - p))
		zeros = (size_t)sp->prec - (size_t)(end - p);
	if (sp->alt && base == 8 && !zeros && (p == end || *p != '0'))
		zeros = 1;
	put_field(o, sp, prefix, zeros, p, (size_t)(end - p));
}

/* The flags, width and precision after a %; *AP gives those of a *. */
static const char *read_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '#') sp->alt = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);

		sp->left |= w < 0;
		sp->width = w < 0 ? -(size_t)w : (size_t)w;
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (size_t)(*f - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->prec = sp->prec * 10 + (*f - '0');
	}
	return f;
}

/* Length modifiers, as the size of the argument they name. */
enum length { LEN_CHAR, LEN_SHORT, LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static const char *read_length(const char *f, enum length *len)
{
	*len = LEN_INT;
	switch (*f) {
	case 'h': *len = f[1] == 'h' ? LEN_CHAR : LEN_SHORT; return f + 1 + (f[1] == 'h');
	case 'l': *len = f[1] == 'l' ? LEN_LLONG : LEN_LONG; return f + 1 + (f[1] == 'l');
	case 'L': case 'q': *len = LEN_LLONG; return f + 1;
	case 'z': *len = LEN_SIZE; return f + 1;
	case 'j': *len = LEN_MAX; return f + 1;
	case 't': *len = LEN_PTRDIFF; return f + 1;
	}
	return f;
}

static intmax_t signed_arg(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return va_arg(*ap, ssize_t);
	case LEN_MAX: return va_arg(*ap, intmax_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static uintmax_t unsigned_arg(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	case LEN_PTRDIFF: return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned);
	}
}

/* One conversion, CONV; false: not one of ours. */
static bool convert(struct out *o, struct spec *sp, enum length len, char conv, va_list *ap)
{
	switch (conv) {
	case 'd': case 'i': {
		intmax_t v = signed_arg(len, ap);

		put_number(o, sp, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, conv);
		return true;
	}
	case 'u': case 'x': case 'X': case 'o':
		put_number(o, sp, unsigned_arg(len, ap), false, conv);
		return true;
	case 'p':
		put_number(o, sp, (uintptr_t)va_arg(*ap, void *), false, conv);
		return true;
	case 'c': {
		char c = (char)va_arg(*ap, int);

		sp->zero = false;
		put_field(o, sp, "", 0, &c, 1);
		return true;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);

		if (!s)
			s = "(null)";
		sp->zero = false;
		put_field(o, sp, "", 0, s, sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s));
		return true;
	}
	}
	return false;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap_in)
{
	struct out o = { .f = f };
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *p = fmt; *p; ) {
		const char *start = p;
		struct spec sp;
		enum length len;

		if (*p != '%' || p[1] == '%') {
			size_t n = *p == '%' ? 1 : strcspn(p, "%");

			out_put(&o, p, n);
			p += *p == '%' ? 2 : n;
			continue;
		}
		p = read_length(read_spec(p + 1, &sp, &ap), &len);
		if (sp.left || sp.prec >= 0)	/* C: then 0 pads nothing */
			sp.zero = false;
		if (!*p || !convert(&o, &sp, len, *p, &ap)) {
			out_put(&o, start, (size_t)(p - start) + (*p != 0));
			if (!*p)
				break;
		}
		p++;
	}
	va_end(ap);
	out_flush(&o);
	if (o.failed || o.total > INT_MAX) {
		errno = o.failed ? errno : EOVERFLOW;
		return -1;
	}
	return (int)o.total;
}
