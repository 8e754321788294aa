/* SPDX-License-Identifier: MIT */
/*
 * Unmodified MPI: one 256 MiB message from rank 0 to rank 1 and back,
 * every byte checked (a 64-bit pattern per 8 bytes, so misplaced blocks
 * show).  Size may be given in MiB as argv[1].
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256, n, i;
	int rank, bad = 0, all_bad = 0, cnt;
	uint64_t *b;
	MPI_Status st;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	n = mib << 17;                     /* uint64_t words */
	b = malloc(n * sizeof(*b));
	if (!b)
		MPI_Abort(MPI_COMM_WORLD, 2);
	if (rank == 0) {
		for (i = 0; i < n; i++)
			b[i] = i * 0x9e3779b97f4a7c15ull;
		MPI_Send(b, (int)n, MPI_UINT64_T, 1, 1, MPI_COMM_WORLD);
		memset(b, 0, n * sizeof(*b));
		MPI_Recv(b, (int)n, MPI_UINT64_T, 1, 2, MPI_COMM_WORLD, &st);
		for (i = 0; i < n; i++)
			bad |= b[i] != ~(i * 0x9e3779b97f4a7c15ull);
	} else if (rank == 1) {
		memset(b, 0, n * sizeof(*b));
		MPI_Recv(b, (int)n, MPI_UINT64_T, 0, 1, MPI_COMM_WORLD, &st);
		MPI_Get_count(&st, MPI_UINT64_T, &cnt);
		bad |= (size_t)cnt != n;
		for (i = 0; i < n; i++) {
			bad |= b[i] != i * 0x9e3779b97f4a7c15ull;
			b[i] = ~b[i];
		}
		MPI_Send(b, (int)n, MPI_UINT64_T, 0, 2, MPI_COMM_WORLD);
	}
	MPI_Allreduce(&bad, &all_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%s: %zu MiB each way, bytes checked\n", all_bad ? "FAIL" : "ok", mib);
	free(b);
	MPI_Finalize();
	return all_bad;
}
