/* Size classes at every boundary, sync forcing rendezvous, truncation. */
#include "myrixen/abi.h"
#include "classify.h"
#include "check.h"

static void boundaries(uint32_t mm)
{
	CHECK_EQ(mxl_classify(0, mm, false), MXL_CLASS_TINY);
	CHECK_EQ(mxl_classify(1, mm, false), MXL_CLASS_TINY);
	CHECK_EQ(mxl_classify(32, mm, false), MXL_CLASS_TINY);
	CHECK_EQ(mxl_classify(33, mm, false), MXL_CLASS_SMALL);
	CHECK_EQ(mxl_classify(128, mm, false), MXL_CLASS_SMALL);
	CHECK_EQ(mxl_classify(129, mm, false), MXL_CLASS_MEDIUM);
	CHECK_EQ(mxl_classify(mm - 1, mm, false), MXL_CLASS_MEDIUM);
	CHECK_EQ(mxl_classify(mm, mm, false), MXL_CLASS_MEDIUM);
	CHECK_EQ(mxl_classify(mm + 1, mm, false), MXL_CLASS_LARGE);
	CHECK_EQ(mxl_classify(4u << 20, mm, false), MXL_CLASS_LARGE);
}

int main(void)
{
	struct mxl_trunc t;

	boundaries(MXN_MEDIUM_MAX_DEFAULT);
	boundaries(4096);
	boundaries(MXN_MEDIUM_MAX_LIMIT);
	/* a daemon announcing more than the ABI limit is clamped */
	CHECK_EQ(mxl_classify(MXN_MEDIUM_MAX_LIMIT + 1, 1u << 20, false), MXL_CLASS_LARGE);
	/* synchronous sends always rendezvous, even empty ones */
	CHECK_EQ(mxl_classify(0, MXN_MEDIUM_MAX_DEFAULT, true), MXL_CLASS_LARGE); /* empty region */
	CHECK_EQ(mxl_classify(1, MXN_MEDIUM_MAX_DEFAULT, true), MXL_CLASS_LARGE);
	CHECK_EQ(mxl_classify(32, MXN_MEDIUM_MAX_DEFAULT, true), MXL_CLASS_LARGE);
	CHECK_EQ(mxl_classify(1000, MXN_MEDIUM_MAX_DEFAULT, true), MXL_CLASS_LARGE);

	t = mxl_truncate(100, 100);
	CHECK(!t.truncated);
	CHECK_EQ(t.xfer_length, 100);
	t = mxl_truncate(100, 1000);
	CHECK(!t.truncated);
	CHECK_EQ(t.xfer_length, 100);
	t = mxl_truncate(100, 99);
	CHECK(t.truncated);
	CHECK_EQ(t.xfer_length, 99);
	t = mxl_truncate(5, 0);
	CHECK(t.truncated);
	CHECK_EQ(t.xfer_length, 0);
	t = mxl_truncate(0, 0);
	CHECK(!t.truncated);
	CHECK_EQ(t.xfer_length, 0);
	t = mxl_truncate(4u << 20, 1ull << 40);
	CHECK(!t.truncated);
	CHECK_EQ(t.xfer_length, 4u << 20);
	DONE();
}
