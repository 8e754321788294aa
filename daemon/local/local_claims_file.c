/* SPDX-License-Identifier: MIT */
/* The local claims file and process start times: see local_claims.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "local_claims.h"

#define MXD_CLAIMS_FILE_MAX 65536   /* 255 lines of at most 70 bytes fit */

static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*len += (size_t)n;
		if (*len == cap)
			return -EFBIG;
	}
	return 0;
}

int mxd_claims_load(const char *path, struct mxd_claims *t)
{
	char *buf = NULL;
	struct stat st;
	size_t len;
	int fd, err;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = -errno;
	if (fstat(fd, &st))
		goto out;
	err = -EPERM;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		goto out;
	err = -ENOMEM;
	buf = malloc(MXD_CLAIMS_FILE_MAX);
	if (!buf)
		goto out;
	err = read_all(fd, buf, MXD_CLAIMS_FILE_MAX, &len);
	if (!err)
		err = mxd_claims_parse(t, buf, len);
out:
	free(buf);
	close(fd);
	return err;
}

int mxd_claims_save(const char *path, const struct mxd_claims *t)
{
	char tmp[PATH_MAX], *buf = NULL;
	size_t len = mxd_claims_format(t, NULL, 0);
	int fd = -1, err = -ENAMETOOLONG;

	if (!len) /* nobody to re-attach: no file left behind */
		return unlink(path) && errno != ENOENT ? -errno : 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		goto out;
	err = -ENOMEM;
	buf = malloc(len + 1);
	if (!buf)
		goto out;
	mxd_claims_format(t, buf, len + 1);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	err = -errno;
	if (fd < 0)
		goto out;
	err = write(fd, buf, len) == (ssize_t)len ? 0 : -EIO;
	if (close(fd) && !err)
		err = -errno;
	fd = -1;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		(void)unlink(tmp);
out:
	free(buf);
	return err;
}

int mxd_proc_start(uint32_t pid, uint64_t *start)
{
	char path[64], line[1024], *p;
	unsigned long long v;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* comm may hold spaces and parentheses: fields count from the last ')'. */
	if (!p || !(p = strrchr(line, ')')))
		return -ESRCH;
	p++;
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &v) != 1)
		return -ESRCH;
	*start = v;
	return 0;
}
