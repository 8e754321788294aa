/* SPDX-License-Identifier: MIT */
/*
 * MPI_THREAD_MULTIPLE (Open MPI then asks libfabric for FI_THREAD_SAFE):
 * ranks 0 and 1 each run 4 threads; thread t ping-pongs 100 messages of
 * 1 B .. 256 KiB with its peer thread on tag t, bytes checked, while the other
 * threads do the same on the same endpoint.
 */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NT 4
#define ITERS 100

static int rank;
static int bad[NT];

static void *worker(void *arg)
{
	int t = (int)(long)arg, i, k, peer = !rank, n;
	unsigned char *b = malloc(262144);

	for (i = 0; i < ITERS; i++) {
		n = 1 + (i * 9973 + t * 1031) % 262144;
		if (rank == 0) {
			for (k = 0; k < n; k++)
				b[k] = (unsigned char)(k + i + t);
			MPI_Send(b, n, MPI_BYTE, peer, t, MPI_COMM_WORLD);
			MPI_Recv(b, n, MPI_BYTE, peer, t, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			for (k = 0; k < n; k++)
				bad[t] |= b[k] != (unsigned char)(k + i + t + 1);
		} else {
			MPI_Recv(b, n, MPI_BYTE, peer, t, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			for (k = 0; k < n; k++) {
				bad[t] |= b[k] != (unsigned char)(k + i + t);
				b[k]++;
			}
			MPI_Send(b, n, MPI_BYTE, peer, t, MPI_COMM_WORLD);
		}
	}
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	int provided, t, any = 0, all = 0;
	pthread_t th[NT];

	MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	if (provided < MPI_THREAD_MULTIPLE) {
		if (!rank)
			fprintf(stderr, "FAIL: MPI_THREAD_MULTIPLE not provided (%d)\n", provided);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	if (rank < 2) {
		for (t = 0; t < NT; t++)
			pthread_create(&th[t], NULL, worker, (void *)(long)t);
		for (t = 0; t < NT; t++) {
			pthread_join(th[t], NULL);
			any |= bad[t];
		}
	}
	MPI_Allreduce(&any, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (!rank)
		printf("%s: MPI_THREAD_MULTIPLE, %d threads x %d ping-pongs, bytes checked\n",
		       all ? "FAIL" : "ok", NT, ITERS);
	MPI_Finalize();
	return all;
}
