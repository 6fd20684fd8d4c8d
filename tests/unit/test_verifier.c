/*
 * test_verifier.c - the daemon's verifier process (daemon/verifier.c):
 * its verdicts are lm_trust_check's, requests queue and are answered in
 * order, a child that dies or was forked under another trust list is
 * replaced, and a child holds no descriptor of the daemon but its socket.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "trust_fixture.h"
#include "verifier.h"

static const uint8_t holder_a[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3};
static const uint8_t holder_b[LM_HOLDER_LEN] = {0xb1, 0xb2, 0xb3};
#define DAY 20416 /* 2026-11-24 */

struct fixture {
	struct lm_key *root, *vhs, *exam, *rogue;
	struct lm_trust *t, *t2; /* t2: the same institutions in the other order */
};

static struct lm_trust *make_list(struct fixture *f, int exam_first)
{
	struct lm_trust *t = lm_trust_new();
	t->version = 7;
	t->issued = 1764000000;
	t->next_update = t->issued + 30 * 86400;
	if (exam_first)
		add_key(t, f->exam, "telc", LM_ROLE_EXAM_CENTRE, 1u << LM_TYPE_DTZ);
	add_key(t, f->vhs, "VHS Krefeld", LM_ROLE_COURSE_PROVIDER, 1u << LM_TYPE_IK);
	if (!exam_first)
		add_key(t, f->exam, "telc", LM_ROLE_EXAM_CENTRE, 1u << LM_TYPE_DTZ);
	static uint8_t list[8192];
	size_t len;
	assert_int_equal(lm_trust_sign(t, f->root, list, sizeof(list), &len), LM_OK);
	lm_trust_free(t);
	t = lm_trust_new();
	assert_int_equal(lm_trust_load(t, list, len, f->root, 0), LM_OK);
	assert_int_equal(lm_trust_precompute(t), LM_OK); /* as the daemon, before it forks */
	return t;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || lm_key_generate(&f->root) || lm_key_generate(&f->vhs) ||
	    lm_key_generate(&f->exam) || lm_key_generate(&f->rogue))
		return -1;
	f->t = make_list(f, 0);
	f->t2 = make_list(f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lm_key_free(f->root);
	lm_key_free(f->vhs);
	lm_key_free(f->exam);
	lm_key_free(f->rogue);
	lm_trust_free(f->t);
	lm_trust_free(f->t2);
	free(f);
	return 0;
}

/* The child's answer for bytes, into a prepared result, as the pool takes it. */
static void ask(struct verifier *v, const struct lm_trust *t, const uint8_t *bytes, size_t len,
		struct lm_verify_result *r, int *rc)
{
	unsigned tk;
	assert_int_equal(lm_trust_prepare(bytes, len, r), LM_OK);
	assert_int_equal(verifier_send(v, t, holder_a, bytes, len, &tk), LM_OK);
	assert_int_equal(verifier_recv(v, t, tk, r, rc), LM_OK);
}

/* Every verdict the child gives is the one lm_trust_check gives here. */
static void test_verdicts_as_in_line(void **state)
{
	struct fixture *f = *state;
	struct {
		struct lm_key *k;
		const uint8_t *for_holder;
		int hint;
		unsigned type;
		enum lm_verdict want;
	} cases[] = {
		{f->vhs, holder_a, 0, LM_TYPE_IK, LM_VALID},
		{f->exam, holder_a, 0, LM_TYPE_DTZ, LM_VALID},
		{f->rogue, holder_a, 0, LM_TYPE_IK, LM_UNKNOWN_ISSUER},
		{f->vhs, holder_a, 0, LM_TYPE_DTZ, LM_TYPE_NOT_ALLOWED},
		{f->vhs, holder_b, 0, LM_TYPE_IK, LM_BAD_SIGNATURE},
		{f->vhs, holder_b, 1, LM_TYPE_IK, LM_WRONG_HOLDER},
	};
	struct verifier v;
	verifier_init(&v);
	struct lm_verify_result *mine = malloc(sizeof(*mine)), *theirs = malloc(sizeof(*theirs));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[LM_ENTRY_MAX];
		size_t len = sign_entry(cases[i].k, cases[i].for_holder, cases[i].hint,
					cases[i].type, DAY, buf);
		int rc;
		ask(&v, f->t, buf, len, theirs, &rc);
		assert_int_equal(lm_trust_prepare(buf, len, mine), LM_OK);
		assert_int_equal(rc, lm_trust_check(f->t, holder_a, mine));
		assert_int_equal(theirs->verdict, cases[i].want);
		assert_int_equal(theirs->verdict, mine->verdict);
		assert_int_equal(theirs->err, mine->err);
		assert_ptr_equal(theirs->issuer, mine->issuer);
	}
	assert_true(v.pid > 0);
	verifier_stop(&v);
	assert_int_equal(v.pid, 0);
	free(mine);
	free(theirs);
}

/* Requests queue at the child and are answered in the order sent. */
static void test_queued_in_order(void **state)
{
	struct fixture *f = *state;
	uint8_t a[LM_ENTRY_MAX], b[LM_ENTRY_MAX], c[LM_ENTRY_MAX];
	size_t la = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, DAY, a);
	size_t lb = sign_entry(f->rogue, holder_a, 0, LM_TYPE_IK, DAY, b);
	size_t lc = sign_entry(f->exam, holder_a, 0, LM_TYPE_DTZ, DAY, c);
	struct verifier v;
	verifier_init(&v);
	unsigned ta, tb, tc;
	assert_int_equal(verifier_send(&v, f->t, holder_a, a, la, &ta), LM_OK);
	assert_int_equal(verifier_send(&v, f->t, holder_a, b, lb, &tb), LM_OK);
	assert_int_equal(verifier_send(&v, f->t, holder_a, c, lc, &tc), LM_OK);
	assert_int_equal(v.inflight, 3);
	struct lm_verify_result *r = malloc(sizeof(*r));
	int rc;
	assert_int_equal(verifier_recv(&v, f->t, ta, r, &rc), LM_OK);
	assert_int_equal(r->verdict, LM_VALID);
	assert_ptr_equal(r->issuer, &f->t->inst[0]);
	assert_int_equal(verifier_recv(&v, f->t, tb, r, &rc), LM_OK);
	assert_int_equal(r->verdict, LM_UNKNOWN_ISSUER);
	assert_int_equal(verifier_recv(&v, f->t, tc, r, &rc), LM_OK);
	assert_int_equal(r->verdict, LM_VALID);
	assert_ptr_equal(r->issuer, &f->t->inst[1]);
	/* nothing owed: a receive is refused, not waited for */
	assert_int_not_equal(verifier_recv(&v, f->t, tc, r, &rc), LM_OK);
	verifier_stop(&v);
	free(r);
}

/* A child that died fails the request it owed; the next send forks anew. */
static void test_dead_child_replaced(void **state)
{
	struct fixture *f = *state;
	uint8_t e[LM_ENTRY_MAX];
	size_t len = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, DAY, e);
	struct verifier v;
	verifier_init(&v);
	assert_int_equal(verifier_start(&v, f->t), LM_OK);
	pid_t first = v.pid;
	assert_int_equal(kill(first, SIGKILL), 0);
	struct lm_verify_result *r = malloc(sizeof(*r));
	int rc;
	assert_int_equal(lm_trust_prepare(e, len, r), LM_OK);
	/* The send may still land in the socket; then the receive fails. */
	unsigned tk;
	if (verifier_send(&v, f->t, holder_a, e, len, &tk) == LM_OK)
		assert_int_not_equal(verifier_recv(&v, f->t, tk, r, &rc), LM_OK);
	assert_int_equal(v.pid, 0); /* reaped */
	ask(&v, f->t, e, len, r, &rc);
	assert_true(v.pid > 0 && v.pid != first);
	assert_int_equal(r->verdict, LM_VALID);
	verifier_stop(&v);
	free(r);
}

/*
 * The answer a dead child owed is never taken from its successor: a sent
 * to the first child, which dies; b goes to a new one; a's receive fails
 * (checked in line) instead of returning b's verdict.
 */
static void test_lost_answer_not_mixed_up(void **state)
{
	struct fixture *f = *state;
	uint8_t a[LM_ENTRY_MAX], b[LM_ENTRY_MAX];
	size_t la = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, DAY, a);
	size_t lb = sign_entry(f->rogue, holder_a, 0, LM_TYPE_IK, DAY, b);
	struct verifier v;
	verifier_init(&v);
	unsigned ta, tb;
	assert_int_equal(verifier_send(&v, f->t, holder_a, a, la, &ta), LM_OK);
	pid_t first = v.pid;
	assert_int_equal(kill(first, SIGKILL), 0);
	/* b: refused by the dead child's socket, then sent to a new child */
	int sent = verifier_send(&v, f->t, holder_a, b, lb, &tb) == LM_OK;
	if (!sent || v.pid == first) {
		/* the socket still took it: the dead child is found at a's receive */
		struct lm_verify_result *r = malloc(sizeof(*r));
		int rc;
		assert_int_not_equal(verifier_recv(&v, f->t, ta, r, &rc), LM_OK);
		free(r);
		assert_int_equal(verifier_send(&v, f->t, holder_a, b, lb, &tb), LM_OK);
	}
	assert_true(v.pid != first);
	struct lm_verify_result *r = malloc(sizeof(*r));
	int rc;
	assert_int_equal(lm_trust_prepare(a, la, r), LM_OK);
	assert_int_not_equal(verifier_recv(&v, f->t, ta, r, &rc), LM_OK);
	assert_int_equal(lm_trust_prepare(b, lb, r), LM_OK);
	assert_int_equal(verifier_recv(&v, f->t, tb, r, &rc), LM_OK);
	assert_int_equal(r->verdict, LM_UNKNOWN_ISSUER);
	verifier_stop(&v);
	free(r);
}

/* A child forked under one list is replaced before it checks under
 * another: the issuer index is the new list's. */
static void test_new_list_new_child(void **state)
{
	struct fixture *f = *state;
	uint8_t e[LM_ENTRY_MAX];
	size_t len = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, DAY, e);
	struct verifier v;
	verifier_init(&v);
	struct lm_verify_result *r = malloc(sizeof(*r));
	int rc;
	ask(&v, f->t, e, len, r, &rc);
	assert_ptr_equal(r->issuer, &f->t->inst[0]);
	pid_t first = v.pid;
	ask(&v, f->t2, e, len, r, &rc);
	assert_true(v.pid != first);
	assert_ptr_equal(r->issuer, &f->t2->inst[1]);
	assert_string_equal(r->issuer->name, "VHS Krefeld");
	/* An answer owed under the old list: no new child until it is taken. */
	unsigned tk, tk2;
	assert_int_equal(verifier_send(&v, f->t2, holder_a, e, len, &tk), LM_OK);
	assert_int_not_equal(verifier_send(&v, f->t, holder_a, e, len, &tk2), LM_OK);
	assert_int_equal(verifier_recv(&v, f->t2, tk, r, &rc), LM_OK);
	verifier_stop(&v);
	free(r);
}

/* The child keeps its socket (and stdio), no other descriptor of the
 * daemon, and gains no privilege by exec. */
static void test_child_holds_no_descriptor(void **state)
{
	struct fixture *f = *state;
	int fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 3);
	struct verifier v;
	verifier_init(&v);
	assert_int_equal(verifier_start(&v, f->t), LM_OK);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)v.pid);
	/* The child closes them right after the fork: wait for one answer. */
	uint8_t e[LM_ENTRY_MAX];
	size_t len = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, DAY, e);
	struct lm_verify_result *r = malloc(sizeof(*r));
	int rc;
	ask(&v, f->t, e, len, r, &rc);
	/* No privilege gained by exec (and not dumpable: its /proc is root's). */
	char status[64], line[256];
	snprintf(status, sizeof(status), "/proc/%d/status", (int)v.pid);
	FILE *sf = fopen(status, "r");
	assert_non_null(sf);
	int nnp = 0;
	while (fgets(line, sizeof(line), sf))
		if (!strncmp(line, "NoNewPrivs:", 11))
			nnp = atoi(line + 11);
	fclose(sf);
	assert_int_equal(nnp, 1);
	if (geteuid() != 0) {
		verifier_stop(&v);
		close(fd);
		free(r);
		skip(); /* the descriptors of a process that is not dumpable */
	}
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		assert_true(atoi(de->d_name) <= 3);
	}
	closedir(d);
	assert_true(n >= 1 && n <= 4);
	verifier_stop(&v);
	close(fd);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts_as_in_line),
		cmocka_unit_test(test_queued_in_order),
		cmocka_unit_test(test_dead_child_replaced),
		cmocka_unit_test(test_lost_answer_not_mixed_up),
		cmocka_unit_test(test_new_list_new_child),
		cmocka_unit_test(test_child_holds_no_descriptor),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
