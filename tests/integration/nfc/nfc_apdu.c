/*
 * nfc_apdu: send APDUs to an ISO 14443-4 card through libnfc (the device in
 * LIBNFC_DEVICE) and print each response as hex, one line per APDU.
 * A test helper for lm-pn532sim's applet card.
 *
 * usage: nfc_apdu HEXAPDU...     exit 0, 1 (no card / transceive failed), 2 (usage)
 */
#include <nfc/nfc.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse hex (no separators) into buf; returns the length or -1. */
static long parse_hex(const char *s, uint8_t *buf, size_t cap)
{
    size_t n = strlen(s), i;

    if (n % 2u != 0u || n / 2u > cap)
        return -1;
    for (i = 0; i < n / 2u; i++) {
        unsigned v;
        if (sscanf(s + 2u * i, "%2x", &v) != 1)
            return -1;
        buf[i] = (uint8_t)v;
    }
    return (long)(n / 2u);
}

int main(int argc, char **argv)
{
    const nfc_modulation nm = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    nfc_context *ctx = NULL;
    nfc_device *dev = NULL;
    nfc_target target;
    int rc = 1, i;

    if (argc < 2) {
        fprintf(stderr, "usage: nfc_apdu HEXAPDU...\n");
        return 2;
    }
    nfc_init(&ctx);
    if (ctx == NULL || (dev = nfc_open(ctx, NULL)) == NULL) {
        fprintf(stderr, "nfc_apdu: cannot open the device\n");
        goto out;
    }
    if (nfc_initiator_init(dev) < 0 ||
        nfc_initiator_select_passive_target(dev, nm, NULL, 0, &target) <= 0) {
        fprintf(stderr, "nfc_apdu: no card\n");
        goto out;
    }
    for (i = 1; i < argc; i++) {
        uint8_t apdu[261], resp[260];
        long n = parse_hex(argv[i], apdu, sizeof(apdu));
        int r, k;

        if (n < 0) {
            fprintf(stderr, "nfc_apdu: bad hex %s\n", argv[i]);
            rc = 2;
            goto out;
        }
        r = nfc_initiator_transceive_bytes(dev, apdu, (size_t)n, resp, sizeof(resp), 2000);
        if (r < 0) {
            fprintf(stderr, "nfc_apdu: transceive: %s\n", nfc_strerror(dev));
            goto out;
        }
        for (k = 0; k < r; k++)
            printf("%02X", resp[k]);
        printf("\n");
    }
    rc = 0;
out:
    if (dev != NULL)
        nfc_close(dev);
    if (ctx != NULL)
        nfc_exit(ctx);
    return rc;
}
