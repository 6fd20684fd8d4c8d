/* Against the installed liblaufmappe: verify one vector (tests/vectors). */
#include <laufmappe/lm_err.h>
#include <laufmappe/lm_key.h>
#include <laufmappe/lm_trust.h>
#include <laufmappe/lm_util.h>
#include <stdio.h>

int main(void)
{
	struct lm_key *root;
	struct lm_trust *t = lm_trust_new();
	struct lm_verify_result r;
	uint8_t *list, *entry, holder[LM_HOLDER_LEN];
	size_t list_len, entry_len;
	if (!t || lm_key_load_public("root.pub", &root) ||
	    lm_file_read("trust.cose", 1 << 20, &list, &list_len) ||
	    lm_trust_load(t, list, list_len, root, 0) ||
	    lm_file_read("entries/ik_typical.cose", 4096, &entry, &entry_len) ||
	    lm_hex_decode("a1a2a3a4a5a6a7a8a9aaabacadaeafb0", holder, sizeof(holder)) ||
	    lm_trust_verify(t, holder, entry, entry_len, &r) != LM_OK)
		return 2;
	printf("ik_typical.cose: %s\n", lm_verdict_name(r.verdict));
	return r.verdict == LM_VALID ? 0 : 1;
}
