/*
 * crypto_fault.c - an LD_PRELOAD shim that makes mbed TLS's ECDSA verify
 * fail as it does when memory runs out (MBEDTLS_ERR_MPI_ALLOC_FAILED), so
 * tests can show that a failure to compute is never taken for a verdict.
 *
 * It fails while LM_FAULT_FILE names a file that exists (a test can switch
 * the fault on and off under a running daemon), or always when
 * LM_FAULT_ECDSA=nomem.  Otherwise the real function runs.  Nothing of
 * this is in the library: the seam is the dynamic linker's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>

typedef int (*verify_fn)(mbedtls_ecp_group *, const unsigned char *, size_t,
			 const mbedtls_ecp_point *, const mbedtls_mpi *, const mbedtls_mpi *);

static int fault_on(void)
{
	const char *mode = getenv("LM_FAULT_ECDSA");
	if (mode && !strcmp(mode, "nomem"))
		return 1;
	const char *file = getenv("LM_FAULT_FILE");
	return file && access(file, F_OK) == 0;
}

int mbedtls_ecdsa_verify(mbedtls_ecp_group *grp, const unsigned char *buf, size_t blen,
			 const mbedtls_ecp_point *Q, const mbedtls_mpi *r, const mbedtls_mpi *s)
{
	if (fault_on())
		return MBEDTLS_ERR_MPI_ALLOC_FAILED;
	verify_fn real;
	void *sym = dlsym(RTLD_NEXT, "mbedtls_ecdsa_verify");
	memcpy(&real, &sym, sizeof(real)); /* POSIX: dlsym's object pointer is the function */
	return real ? real(grp, buf, blen, Q, r, s) : MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
}
