/*
 * lm_nvm_ram.c - RAM-backed lm_nvm with power-loss injection; see lm_nvm_ram.h.
 */
#include "lm_nvm_ram.h"

#include <string.h>

/* Whether [off, off + len) lies inside the memory; counts the misses. */
static int in_range(struct lm_nvm_ram *r, uint32_t off, uint32_t len)
{
	if (off > r->nvm.size || len > r->nvm.size - off) {
		r->bad++;
		return 0;
	}
	return 1;
}

/* lm_nvm read: fails without power or out of range. */
static int ram_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct lm_nvm_ram *r = ctx;

	if (r->dead || !in_range(r, off, len))
		return -1;
	memcpy(buf, r->mem + off, len);
	return 0;
}

/*
 * lm_nvm write: lands completely, or, when this is the write fault injection
 * picked, lands tear_bytes of it and cuts the power.
 */
static int ram_write(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len)
{
	struct lm_nvm_ram *r = ctx;
	uint32_t n;

	if (r->dead || !in_range(r, off, len))
		return -1;
	if (r->fail_after >= 0 && r->writes >= (unsigned long)r->fail_after) {
		n = r->tear_bytes < len ? r->tear_bytes : len;
		memcpy(r->mem + off, buf, n);
		r->dead = 1;
		return -1;
	}
	memcpy(r->mem + off, buf, len);
	r->writes++;
	return 0;
}

void lm_nvm_ram_init(struct lm_nvm_ram *r, uint8_t *mem, uint32_t size)
{
	r->nvm.ctx = r;
	r->nvm.size = size;
	r->nvm.read = ram_read;
	r->nvm.write = ram_write;
	r->mem = mem;
	r->writes = 0;
	r->fail_after = -1;
	r->tear_bytes = 0;
	r->bad = 0;
	r->dead = 0;
}

void lm_nvm_ram_power_on(struct lm_nvm_ram *r)
{
	r->dead = 0;
	r->fail_after = -1;
}
