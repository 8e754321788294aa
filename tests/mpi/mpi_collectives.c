/* SPDX-License-Identifier: MIT */
/*
 * Unmodified MPI collectives on every rank: barrier, bcast (small and
 * 1 MiB), allreduce (sum and max over 1000 ints) and alltoall, every
 * result checked against the value computed locally.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define BC (1 << 20)

int main(int argc, char **argv)
{
	int rank, n, i, bad = 0, all_bad = 0;
	int *in, *out, *a2a_in, *a2a_out;
	unsigned char *bc;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &n);
	for (i = 0; i < 10; i++)
		MPI_Barrier(MPI_COMM_WORLD);

	bc = malloc(BC);
	for (i = 0; i < BC; i++)
		bc[i] = rank == n - 1 ? (unsigned char)(i * 3 + 5) : 0;
	MPI_Bcast(bc, 16, MPI_BYTE, n - 1, MPI_COMM_WORLD);
	MPI_Bcast(bc, BC, MPI_BYTE, n - 1, MPI_COMM_WORLD);
	for (i = 0; i < BC; i++)
		bad |= bc[i] != (unsigned char)(i * 3 + 5);

	in = malloc(1000 * sizeof(int));
	out = malloc(1000 * sizeof(int));
	for (i = 0; i < 1000; i++)
		in[i] = i * (rank + 1);
	MPI_Allreduce(in, out, 1000, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	for (i = 0; i < 1000; i++)
		bad |= out[i] != i * n * (n + 1) / 2;
	MPI_Allreduce(in, out, 1000, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	for (i = 0; i < 1000; i++)
		bad |= out[i] != i * n;

	a2a_in = malloc((size_t)n * 256 * sizeof(int));
	a2a_out = malloc((size_t)n * 256 * sizeof(int));
	for (i = 0; i < n * 256; i++)
		a2a_in[i] = rank * 1000000 + i;   /* block i/256 goes to rank i/256 */
	MPI_Alltoall(a2a_in, 256, MPI_INT, a2a_out, 256, MPI_INT, MPI_COMM_WORLD);
	for (i = 0; i < n * 256; i++) {
		int src = i / 256, k = i % 256;

		bad |= a2a_out[i] != src * 1000000 + rank * 256 + k;
	}
	MPI_Allreduce(&bad, &all_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%s: %d ranks: barrier, bcast 16 B + 1 MiB, allreduce sum/max, alltoall\n",
		       all_bad ? "FAIL" : "ok", n);
	free(bc);
	free(in);
	free(out);
	free(a2a_in);
	free(a2a_out);
	MPI_Finalize();
	return all_bad;
}
