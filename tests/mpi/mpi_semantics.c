/* SPDX-License-Identifier: MIT */
/*
 * Unmodified MPI, 4 ranks: MPI_ANY_SOURCE with MPI_ANY_TAG, MPI_Iprobe,
 * MPI_Improbe + MPI_Mrecv (eager and rendezvous sizes), MPI_Cancel of a
 * receive nobody sends to, and MPI_Ssend completing only once received.
 * Every payload byte, source, tag and count is checked; exit 0 only when
 * every rank saw every check pass.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG 300000

static int rank;
static int bad;

#define EXPECT(c) do { if (!(c)) { fprintf(stderr, "rank %d: %s:%d: %s\n", rank, __FILE__, \
				  __LINE__, #c); bad = 1; } } while (0)

static void fill(unsigned char *b, int n, int seed)
{
	int i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + seed * 13 + 1);
}

static int same(const unsigned char *b, int n, int seed)
{
	int i;

	for (i = 0; i < n; i++)
		if (b[i] != (unsigned char)(i * 7 + seed * 13 + 1))
			return 0;
	return 1;
}

/* Ranks 1..3 each send one message; rank 0 takes them with wildcards. */
static void any_source_any_tag(int nranks)
{
	unsigned char buf[64];
	int seen[16] = { 0 }, i, n;
	MPI_Status st;

	if (rank) {
		fill(buf, 40 + rank, rank);
		MPI_Send(buf, 40 + rank, MPI_BYTE, 0, 10 + rank, MPI_COMM_WORLD);
		return;
	}
	for (i = 1; i < nranks; i++) {
		memset(buf, 0, sizeof(buf));
		MPI_Recv(buf, sizeof(buf), MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
		MPI_Get_count(&st, MPI_BYTE, &n);
		EXPECT(st.MPI_SOURCE > 0 && st.MPI_SOURCE < nranks && !seen[st.MPI_SOURCE]);
		EXPECT(st.MPI_TAG == 10 + st.MPI_SOURCE);
		EXPECT(n == 40 + st.MPI_SOURCE && same(buf, n, st.MPI_SOURCE));
		seen[st.MPI_SOURCE] = 1;
	}
}

/* Rank 1 sends 1000 bytes tagged 77; rank 0 probes for it, by source and
 * tag, without receiving, then checks a non-matching probe finds nothing. */
static void iprobe(void)
{
	unsigned char buf[1000];
	int flag = 0, n;
	MPI_Status st;

	if (rank == 1) {
		fill(buf, sizeof(buf), 77);
		MPI_Send(buf, sizeof(buf), MPI_BYTE, 0, 77, MPI_COMM_WORLD);
	}
	if (rank != 0)
		return;
	while (!flag)
		MPI_Iprobe(1, 77, MPI_COMM_WORLD, &flag, &st);
	MPI_Get_count(&st, MPI_BYTE, &n);
	EXPECT(st.MPI_SOURCE == 1 && st.MPI_TAG == 77 && n == 1000);
	MPI_Iprobe(2, 77, MPI_COMM_WORLD, &flag, &st);   /* wrong source */
	EXPECT(!flag);
	MPI_Iprobe(1, 78, MPI_COMM_WORLD, &flag, &st);   /* wrong tag */
	EXPECT(!flag);
	MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
	EXPECT(flag && st.MPI_SOURCE == 1);
	MPI_Recv(buf, sizeof(buf), MPI_BYTE, 1, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	EXPECT(same(buf, sizeof(buf), 77));
}

/* Rank 2 sends a small and a rendezvous-sized message tagged 88; rank 0
 * matches each with MPI_Improbe and receives exactly that one with Mrecv. */
static void improbe(void)
{
	static unsigned char big[BIG];
	int sizes[2] = { 100, BIG }, i, flag, n;
	MPI_Message msg;
	MPI_Status st;

	if (rank == 2) {
		for (i = 0; i < 2; i++) {
			fill(big, sizes[i], 88 + i);
			MPI_Send(big, sizes[i], MPI_BYTE, 0, 88, MPI_COMM_WORLD);
		}
	}
	if (rank != 0)
		return;
	for (i = 0; i < 2; i++) {
		flag = 0;
		while (!flag)
			MPI_Improbe(MPI_ANY_SOURCE, 88, MPI_COMM_WORLD, &flag, &msg, &st);
		MPI_Get_count(&st, MPI_BYTE, &n);
		EXPECT(st.MPI_SOURCE == 2 && n == sizes[i]);
		/* Claimed: a plain probe must not see it any more. */
		MPI_Iprobe(2, 88, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
		EXPECT(!flag || i == 0);
		memset(big, 0, sizeof(big));
		MPI_Mrecv(big, BIG, MPI_BYTE, &msg, &st);
		MPI_Get_count(&st, MPI_BYTE, &n);
		EXPECT(n == sizes[i] && same(big, n, 88 + i));
		EXPECT(msg == MPI_MESSAGE_NULL);
	}
}

/* A receive nobody will ever match is cancelled. */
static void cancel(void)
{
	MPI_Request req;
	MPI_Status st;
	int buf, flag = 0;

	if (rank != 0)
		return;
	MPI_Irecv(&buf, 1, MPI_INT, 3, 999, MPI_COMM_WORLD, &req);
	MPI_Cancel(&req);
	MPI_Wait(&req, &st);
	MPI_Test_cancelled(&st, &flag);
	EXPECT(flag);
}

/* Rank 3's MPI_Ssend cannot return before rank 0 posts the receive, which
 * it does only after 300 ms. */
static void ssend(void)
{
	unsigned char buf[64];
	double t0;

	if (rank == 3) {
		fill(buf, sizeof(buf), 55);
		t0 = MPI_Wtime();
		MPI_Ssend(buf, sizeof(buf), MPI_BYTE, 0, 55, MPI_COMM_WORLD);
		EXPECT(MPI_Wtime() - t0 >= 0.25);
	} else if (rank == 0) {
		usleep(300000);
		MPI_Recv(buf, sizeof(buf), MPI_BYTE, 3, 55, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		EXPECT(same(buf, sizeof(buf), 55));
	}
}

/* Phases are separated by barriers; MYX_MPI_TRACE=1 names each one done. */
static void phase(const char *name)
{
	if (getenv("MYX_MPI_TRACE"))
		fprintf(stderr, "rank %d: %s done\n", rank, name);
	MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv)
{
	int nranks, all_bad = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	if (nranks < 4) {
		if (!rank)
			fprintf(stderr, "needs 4 ranks\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	any_source_any_tag(nranks);
	phase("any-source");
	iprobe();
	phase("iprobe");
	improbe();
	phase("improbe");
	cancel();
	phase("cancel");
	ssend();
	MPI_Allreduce(&bad, &all_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%s: any-source/any-tag, iprobe, improbe+mrecv, cancel, ssend\n",
		       all_bad ? "FAIL" : "ok");
	MPI_Finalize();
	return all_bad;
}
