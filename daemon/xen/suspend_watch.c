/* SPDX-License-Identifier: MIT */
/* Telling a cancelled suspend from a save: see suspend_watch.h. */
#include "suspend_watch.h"

enum mxd_xen_susp mxd_xen_susp_step(bool *seen, const struct mxd_xen_susp_obs *o)
{
	if (!o->exists || o->dying)
		return MXD_XEN_SUSP_GONE;
	if (o->shutdown) {
		/* poweroff, reboot, crash: it goes away; suspend: it may not */
		if (o->reason == MXD_XEN_SHUTDOWN_SUSPEND)
			*seen = true;
		return MXD_XEN_SUSP_WAIT;
	}
	return *seen ? MXD_XEN_SUSP_RESUMED : MXD_XEN_SUSP_WAIT;
}
