/* SPDX-License-Identifier: MIT */
/*
 * The process a confused deputy would hurt (test_pull_guard setuid): run
 * setuid root, it holds a secret in its heap, tells fd 3 where it is and its
 * euid, waits for a byte on fd 4, then reports on fd 3 whether anyone wrote
 * into the secret.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VICTIM_LEN 65536
#define VICTIM_BYTE 0x53

int main(void)
{
	unsigned char *secret = malloc(VICTIM_LEN);
	size_t changed = 0;
	char b;

	if (!secret)
		return 1;
	memset(secret, VICTIM_BYTE, VICTIM_LEN);
	dprintf(3, "%llx %d\n", (unsigned long long)(uintptr_t)secret, (int)geteuid());
	if (read(4, &b, 1) != 1) {
		free(secret);
		return 1;
	}
	for (size_t i = 0; i < VICTIM_LEN; i++)
		changed += secret[i] != VICTIM_BYTE;
	dprintf(3, "%s %zu\n", changed ? "changed" : "intact", changed);
	free(secret);
	return 0;
}
