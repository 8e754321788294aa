/* SPDX-License-Identifier: MIT */
/* The xen_attach policy: see attach_policy.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "attach_policy.h"

#define INCOMING "--incoming"   /* xl migrate-receive's temporary suffix */

/* The next comma-separated pattern of *s, blanks trimmed, into out;
 * false at the end of the list. */
static bool next_pattern(const char **s, char out[MXD_ATTACH_PATTERN_MAX], size_t *len)
{
	const char *p = *s, *e;

	if (!*p)
		return false;
	e = strchr(p, ',');
	if (!e)
		e = p + strlen(p);
	*s = *e ? e + 1 : e;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*len = (size_t)(e - p);
	if (*len < MXD_ATTACH_PATTERN_MAX) {
		memcpy(out, p, *len);
		out[*len] = '\0';
	}
	return true;
}

/* xl's domain names: letters, digits, '.', '-', '_' (and our globbing). */
static bool pattern_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr(".-_*?[]!", c) != NULL;
}

/* A boolean where a policy belongs: the user meant all or none. */
static bool boolean_word(const char *w)
{
	static const char *const words[] = { "yes", "no", "true", "false", "on", "off", "1", "0" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(w, words[i]))
			return true;
	return false;
}

int mxd_attach_policy_check(const char *v, char *why, size_t whylen)
{
	char pat[MXD_ATTACH_PATTERN_MAX];
	const char *s = v, *c;
	size_t len;

	if (!strcmp(v, "all") || !strcmp(v, "none"))
		return 0;
	if (strlen(v) >= MXD_ATTACH_POLICY_MAX) {
		snprintf(why, whylen, "too long (at most %d characters)", MXD_ATTACH_POLICY_MAX - 1);
		return -EINVAL;
	}
	if (!*v) {
		snprintf(why, whylen, "empty (all, none, or domain name patterns)");
		return -EINVAL;
	}
	while (next_pattern(&s, pat, &len)) {
		if (!len) {
			snprintf(why, whylen, "empty pattern in '%s'", v);
			return -EINVAL;
		}
		if (len >= MXD_ATTACH_PATTERN_MAX) {
			snprintf(why, whylen, "a pattern is longer than %d characters",
				 MXD_ATTACH_PATTERN_MAX - 1);
			return -EINVAL;
		}
		for (c = pat; *c; c++)
			if (!pattern_char_ok(*c)) {
				snprintf(why, whylen, "'%s' is not a domain name pattern "
					 "(letters, digits, . - _ and * ? [ ] !)", pat);
				return -EINVAL;
			}
		if (boolean_word(pat)) {
			snprintf(why, whylen, "'%s' is not a policy: say all or none "
				 "(or list domain name patterns)", pat);
			return -EINVAL;
		}
		if (!strcmp(pat, "all") || !strcmp(pat, "none")) {
			snprintf(why, whylen, "'%s' cannot be part of a list", pat);
			return -EINVAL;
		}
	}
	if (s > v && s[-1] == ',') {
		snprintf(why, whylen, "empty pattern in '%s'", v);
		return -EINVAL;
	}
	return 0;
}

bool mxd_attach_policy_match(const char *policy, const char *name)
{
	char pat[MXD_ATTACH_PATTERN_MAX], base[MXD_ATTACH_POLICY_MAX];
	size_t len, n = strlen(name), k = strlen(INCOMING);
	const char *s = policy;

	if (!strcmp(policy, "all"))
		return true;
	if (!strcmp(policy, "none") || !n || n >= sizeof(base))
		return false;
	memcpy(base, name, n + 1);
	if (n > k && !strcmp(base + n - k, INCOMING))
		base[n - k] = '\0';
	while (next_pattern(&s, pat, &len))
		if (len && len < MXD_ATTACH_PATTERN_MAX && !fnmatch(pat, base, 0))
			return true;
	return false;
}
