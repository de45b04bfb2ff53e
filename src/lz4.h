/*
 * An LZ4 block decoder for src/unpack.c, the start of a packed carapace,
 * which runs before any libc and so brings its own copy loops. Every
 * length and offset is checked against both buffers: a decoder fed a
 * damaged file writes nothing outside OUT and reads nothing outside IN.
 * t/unit.c feeds it damaged blocks and frames. (The formats: lz4's
 * doc/lz4_Block_format.md and doc/lz4_Frame_format.md.)
 */
#ifndef CARAPACE_LZ4_H
#define CARAPACE_LZ4_H

#include <stddef.h>
#include <stdint.h>

/* A length's extra bytes (255 means another follows); false past END. */
static inline int lz4_length(const uint8_t **ip, const uint8_t *end, size_t *len)
{
	uint8_t b;

	do {
		if (*ip >= end)
			return 0;
		b = *(*ip)++;
		*len += b;
	} while (b == 255 && *len < ((size_t)1 << 40));
	return b != 255;
}

/* 8 bytes, as one load and one store. */
static inline void lz4_copy8(uint8_t *to, const uint8_t *from)
{
	uint64_t v;

	__builtin_memcpy(&v, from, 8);
	__builtin_memcpy(to, &v, 8);
}

/*
 * LEN bytes from FROM to TO, 8 at a time where ROOM (what is left of OUT
 * from TO) allows: up to 7 bytes past LEN are written, which the next
 * sequences overwrite. STEP is how far FROM is behind TO in a match; 8 or
 * more lets a chunk be copied at once, less is a run copied byte by byte.
 */
static inline void lz4_copy(uint8_t *to, const uint8_t *from, size_t len, size_t room,
			    size_t step)
{
	size_t i = 0;

	if (step >= 8 && len <= 16 && room >= 16) {	/* most of them */
		lz4_copy8(to, from);
		lz4_copy8(to + 8, from + 8);
	} else if (step >= 8 && room >= len + 8)
		for (; i < len; i += 8)
			lz4_copy8(to + i, from + i);
	else
		for (; i < len; i++)
			to[i] = from[i];
}

/*
 * Decodes one block of IN_LEN bytes to OUT, OUT_LEN bytes at most. A match
 * may reach back to HIST, where the output began (before OUT if an earlier
 * block made some). Returns the bytes made, or -1 for a damaged block.
 */
static inline long lz4_decode_block(const uint8_t *in, size_t in_len, const uint8_t *hist,
				    uint8_t *out, size_t out_len)
{
	const uint8_t *ip = in, *iend = in + in_len;
	uint8_t *op = out, *oend = out + out_len;

	while (ip < iend) {
		uint8_t token = *ip++;
		size_t lit = token >> 4, match = token & 15, offset;

		if (lit == 15 && !lz4_length(&ip, iend, &lit))
			return -1;
		if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op))
			return -1;
		lz4_copy(op, ip, lit, (size_t)(iend - ip) < lit + 16 ? 0 : (size_t)(oend - op), 8);
		ip += lit;
		op += lit;
		if (ip == iend)		/* the last sequence: literals only */
			break;
		if (iend - ip < 2)
			return -1;
		offset = (size_t)ip[0] | (size_t)ip[1] << 8;
		ip += 2;
		if (offset == 0 || offset > (size_t)(op - hist))
			return -1;
		if (match == 15 && !lz4_length(&ip, iend, &match))
			return -1;
		match += 4;
		if (match > (size_t)(oend - op))
			return -1;
		lz4_copy(op, op - offset, match, (size_t)(oend - op), offset);
		op += match;
	}
	return op - out;
}

/*
 * One lz4 frame (the lz4 tool's: a header, blocks, an end mark) decoded
 * to OUT, which it must fill exactly. Only the frames this build makes
 * are taken: no dictionary, no block checksums.
 */
static inline int lz4_decode_frame(const uint8_t *in, const uint8_t *end, uint8_t *out, size_t len)
{
	size_t done = 0, head;
	uint8_t flags;

	if (end - in < 7 || in[0] != 0x04 || in[1] != 0x22 || in[2] != 0x4d || in[3] != 0x18)
		return -1;
	flags = in[4];
	if ((flags & 0xc0) != 0x40 || flags & 0x13)	/* version 1; no block sums, no dict */
		return -1;
	head = 7 + (flags & 0x08 ? 8 : 0);		/* magic, FLG, BD, [content size], HC */
	if ((size_t)(end - in) < head)
		return -1;
	if (flags & 0x08) {				/* a content size: this one */
		uint64_t size = 0;

		for (int i = 7; i >= 0; i--)
			size = size << 8 | in[6 + i];
		if (size != len)
			return -1;
	}
	in += head;
	for (;;) {
		uint32_t size;
		long n;

		if (end - in < 4)
			return -1;
		size = in[0] | in[1] << 8 | in[2] << 16 | (uint32_t)in[3] << 24;
		in += 4;
		if (!size) {	/* the end mark, a content checksum (not checked), the end */
			if (flags & 0x04 && end - in >= 4)
				in += 4;
			return done == len && in == end ? 0 : -1;
		}
		if ((size & 0x7fffffff) > (size_t)(end - in))
			return -1;
		if (size & 0x80000000) {		/* stored as it is */
			size &= 0x7fffffff;
			if (size > len - done)
				return -1;
			lz4_copy(out + done, in, size, 0, 8);
			n = size;
		} else if ((n = lz4_decode_block(in, size, out, out + done, len - done)) < 0)
			return -1;
		in += size & 0x7fffffff;
		done += (size_t)n;
	}
}

#endif
