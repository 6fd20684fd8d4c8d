/*
 * board.c - a stub Cortex-M4 board for the applet's size build.
 *
 * Not a product: it shows what the applet costs on a microcontroller.  The
 * NVM is a flash region reserved in board.ld; reads are plain loads, and
 * writes go through nvm_program(), which stands in for the part's flash or
 * EEPROM programming routine (a real board would erase/program pages or use
 * FRAM; here it stores through a volatile pointer).  The APDU transport is a
 * stub UART with vpcd's framing (2-byte big-endian length, then the bytes),
 * enough to keep the whole applet reachable so the linker cannot drop it.
 */
#include <stdint.h>
#include <string.h>

#include "lm_applet.h"

#define APDU_MAX 261u /* short APDU: header, Lc, 255 data bytes, Le */
#define RESP_MAX 258u /* 256 data bytes + SW1 SW2 */

/* A stub UART: data and status registers (TX ready bit 7, RX ready bit 5). */
#define UART_SR (*(volatile uint32_t *)0x40004400u)
#define UART_DR (*(volatile uint32_t *)0x40004404u)

extern uint8_t __nvm_start[], __nvm_end[];
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void reset_handler(void);
int main(void);

static struct lm_applet g_applet;
static uint8_t g_apdu[APDU_MAX];
static uint8_t g_resp[RESP_MAX];

/* Wait for and return one received byte. */
static uint8_t uart_get(void)
{
	while ((UART_SR & 0x20u) == 0)
		;
	return (uint8_t)UART_DR;
}

/* Send one byte. */
static void uart_put(uint8_t b)
{
	while ((UART_SR & 0x80u) == 0)
		;
	UART_DR = b;
}

/* NVM read: flash is memory-mapped. */
static int nvm_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	(void)ctx;
	memcpy(buf, __nvm_start + off, len);
	return 0;
}

/* NVM write: the stand-in for the part's programming routine. */
static int nvm_program(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len)
{
	volatile uint8_t *dst = __nvm_start + off;
	uint32_t i;

	(void)ctx;
	for (i = 0; i < len; i++)
		dst[i] = buf[i];
	return 0;
}

/*
 * Power-on: bind the applet to the NVM region, then serve framed APDUs
 * forever.  A frame of 1 byte is a control (0 power off, 2 reset: deselect);
 * a frame longer than APDU_MAX is drained and answered with 67 00.
 */
int main(void)
{
	struct lm_nvm nvm = {0, 0, nvm_read, nvm_program};

	nvm.size = (uint32_t)(__nvm_end - __nvm_start);
	(void)lm_applet_init(&g_applet, &nvm);
	for (;;) {
		uint32_t len = (uint32_t)uart_get() << 8;
		uint32_t i;
		size_t n;

		len |= uart_get();
		for (i = 0; i < len; i++) {
			uint8_t b = uart_get();
			if (i < APDU_MAX)
				g_apdu[i] = b;
		}
		if (len == 1) {
			if (g_apdu[0] != 1)
				lm_applet_deselect(&g_applet);
			continue;
		}
		if (len > APDU_MAX) {
			g_resp[0] = 0x67;
			g_resp[1] = 0x00;
			n = 2;
		} else {
			n = lm_applet_process(&g_applet, g_apdu, len, g_resp, RESP_MAX);
		}
		uart_put((uint8_t)(n >> 8));
		uart_put((uint8_t)n);
		for (i = 0; i < n; i++)
			uart_put(g_resp[i]);
	}
}

/* Reset: copy .data from flash, zero .bss, run main. */
void reset_handler(void)
{
	uint32_t *src = &_sidata, *dst = &_sdata;

	while (dst < &_edata)
		*dst++ = *src++;
	for (dst = &_sbss; dst < &_ebss; dst++)
		*dst = 0;
	(void)main();
	for (;;)
		;
}

/* Any fault or unexpected interrupt: stop. */
static void default_handler(void)
{
	for (;;)
		;
}

/* Core vectors: initial stack pointer, reset, NMI .. SysTick. */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
	(void (*)(void))&_estack, reset_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, 0, 0, 0, 0,
	default_handler, default_handler, 0, default_handler, default_handler,
};
