/*
 * t/bpf-run.h: a classic BPF interpreter, for the tests that run
 * carapace's seccomp filters here rather than in the kernel (t/unit.c,
 * t/seccomp-verdicts.c). Include after src/carapace.h.
 *
 * SPDX-License-Identifier: MIT
 */
/*
 * Classic BPF as seccomp runs it, enough for carapace's filters: loads of
 * seccomp_data words, AND, jumps and returns. Any other instruction, a
 * jump out of the program or an unaligned load fails the test (~0u).
 */
static uint32_t run_bpf(const struct seccomp_filter *f, const struct seccomp_data *d)
{
	const struct sock_filter *p = f->insns + f->start;
	size_t len = BPF_MAXINSNS - f->start;
	uint32_t a = 0, word;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &p[pc];
		bool jump;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof *d)
				return ~0u;
			memcpy(&word, (const char *)d + i->k, 4);
			a = word;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			continue;
		case BPF_RET | BPF_K:
			return i->k;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K: jump = a == i->k; break;
		case BPF_JMP | BPF_JGT | BPF_K: jump = a > i->k; break;
		case BPF_JMP | BPF_JGE | BPF_K: jump = a >= i->k; break;
		case BPF_JMP | BPF_JSET | BPF_K: jump = a & i->k; break;
		default:
			return ~0u;
		}
		pc += jump ? i->jt : i->jf;
	}
	return ~0u;	/* fell off the end */
}
