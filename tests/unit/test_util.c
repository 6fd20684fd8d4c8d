/*
 * test_util.c - lm_file_write: atomic, and its temporary file cannot be
 * turned into a write somewhere else by a symlink planted beside the
 * target (the old name was PATH.tmpPID, easy to guess).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"

static char dir[64], target[96], victim[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lm-test-util-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof(target), "%s/out.bin", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_contents(const char *path, const char *text)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(lm_file_read(path, 1 << 16, &buf, &len), LM_OK);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

/* How many entries the directory holds besides . and .. */
static int dir_entries(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_write_replaces_atomically(void **state)
{
	(void)state;
	put(target, "old");
	assert_int_equal(lm_file_write(target, (const uint8_t *)"new contents", 12, 0600), LM_OK);
	assert_contents(target, "new contents");
	struct stat st;
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(), 1); /* no temporary left behind */
	unlink(target);
}

/* A symlink at the temporary's (old, guessable) name pointing at another
 * file: that file stays untouched, the target is a regular file with the
 * new contents, and nothing is left but the planted link. */
static void test_planted_symlink_not_followed(void **state)
{
	(void)state;
	put(victim, "precious");
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", target, (long)getpid());
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(lm_file_write(target, (const uint8_t *)"written", 7, 0600), LM_OK);
	assert_contents(victim, "precious");
	struct stat st;
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_contents(target, "written");
	assert_int_equal(lstat(tmp, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(dir_entries(), 3);
	unlink(tmp);
	unlink(target);
	unlink(victim);
}

/* A write into a directory that does not exist fails cleanly. */
static void test_write_fails_cleanly(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof(p), "%s/no/such/file", dir);
	int before = dir_entries();
	assert_int_equal(lm_file_write(p, (const uint8_t *)"x", 1, 0600), LM_ERR_IO);
	assert_int_equal(dir_entries(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_replaces_atomically),
		cmocka_unit_test(test_planted_symlink_not_followed),
		cmocka_unit_test(test_write_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
