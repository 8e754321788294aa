/* Every daemon header compiles on its own and together. */
#include "core.h"
#include "remote.h"
#include "transport.h"
#include "log.h"
#include "validate.h"
#include "recvq.h"
#include "backlog.h"
#include "loop.h"
#include "transport_local.h"
#include "daemon.h"

int main(void)
{
	return sizeof(struct mxd_endpoint) > 0 ? 0 : 1;
}
