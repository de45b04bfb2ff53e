/*
 * t/asan-options.c: the sanitizers' defaults for make check-asan's build,
 * whatever the environment (a test may run carapace with env -i): no leak
 * report (carapace frees what the kernel frees at exit), and any error
 * ends the process with exit 86, which no test expects.
 *
 * SPDX-License-Identifier: MIT
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "detect_leaks=0:exitcode=86:abort_on_error=0";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:exitcode=86";
}
