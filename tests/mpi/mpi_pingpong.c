/* SPDX-License-Identifier: MIT */
/*
 * Unmodified MPI: a ping-pong between ranks 0 and 1 over sizes from 0 bytes
 * to 1 MiB (every class of the MX path: tiny, small, medium, rendezvous),
 * every byte checked on both sides.  Exit status 0 only if all match.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pattern(size_t i, int size, int dir)
{
	return (unsigned char)(i * 131u + (unsigned)size * 7u + (unsigned)dir * 29u);
}

static void clear(unsigned char *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		b[i] = 0;
}

static int check(const unsigned char *b, int n, int dir, int rank)
{
	int i;

	for (i = 0; i < n; i++) {
		if (b[i] != pattern((size_t)i, n, dir)) {
			fprintf(stderr, "rank %d: size %d byte %d is %u, want %u\n", rank, n, i,
				b[i], pattern((size_t)i, n, dir));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 0, 1, 32, 33, 1000, 4096, 32768, 65536, 200000, 1 << 20 };
	int rank, nranks, bad = 0, all_bad = 0;
	unsigned char *buf;
	size_t k;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	buf = malloc(1 << 20);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && rank < 2 && nranks >= 2; k++) {
		int n = (int)sizes[k], it, i, got;
		MPI_Status st;

		for (it = 0; it < 5; it++) {
			if (rank == 0) {
				for (i = 0; i < n; i++)
					buf[i] = pattern((size_t)i, n, 0);
				MPI_Send(buf, n, MPI_BYTE, 1, 100 + it, MPI_COMM_WORLD);
				clear(buf, n);
				MPI_Recv(buf, n, MPI_BYTE, 1, 200 + it, MPI_COMM_WORLD, &st);
				MPI_Get_count(&st, MPI_BYTE, &got);
				bad |= got != n || check(buf, n, 1, rank);
			} else {
				clear(buf, n);
				MPI_Recv(buf, n, MPI_BYTE, 0, 100 + it, MPI_COMM_WORLD, &st);
				MPI_Get_count(&st, MPI_BYTE, &got);
				bad |= got != n || st.MPI_SOURCE != 0 || st.MPI_TAG != 100 + it ||
				       check(buf, n, 0, rank);
				for (i = 0; i < n; i++)
					buf[i] = pattern((size_t)i, n, 1);
				MPI_Send(buf, n, MPI_BYTE, 0, 200 + it, MPI_COMM_WORLD);
			}
		}
	}
	MPI_Allreduce(&bad, &all_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%s: ping-pong 0 B .. 1 MiB, bytes checked\n", all_bad ? "FAIL" : "ok");
	free(buf);
	MPI_Finalize();
	return all_bad;
}
