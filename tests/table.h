/*
 * table.h - helpers of the table-driven unit tests: every row is checked,
 * each failing row is printed with what it got and wanted, and the test
 * fails once at the end (end_rows).  Include after <cmocka.h>.
 */
#ifndef BSC_TESTS_TABLE_H
#define BSC_TESTS_TABLE_H

#include <stdio.h>
#include <string.h>

#define N_ELEM(a) (sizeof (a) / sizeof ((a)[0]))

static int failures;
#define begin_rows() (failures = 0)
#define end_rows() assert_int_equal (failures, 0)

/* Compares two strings that may be NULL; names the row on failure. */
static inline void
check_str_ (size_t row, const char *what, const char *got, const char *want, const char *file,
	    int line)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp (got, want) != 0)) {
		print_error ("row %zu: %s: got %s%s%s, want %s%s%s\n", row, what,
			     got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
			     want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
		print_error ("%s:%d: row %zu failed\n", file, line, row);
		failures++;
	}
}
#define check_str(row, what, got, want) check_str_ (row, what, got, want, __FILE__, __LINE__)

static inline void
check_int_ (size_t row, const char *what, long long got, long long want, const char *file,
	    int line)
{
	if (got != want) {
		print_error ("row %zu: %s: got %lld, want %lld\n", row, what, got, want);
		print_error ("%s:%d: row %zu failed\n", file, line, row);
		failures++;
	}
}
#define check_int(row, what, got, want) check_int_ (row, what, got, want, __FILE__, __LINE__)

#endif /* BSC_TESTS_TABLE_H */
