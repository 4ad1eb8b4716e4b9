/* plugin_load.c - opening a plugin file: dlopen, its one entry symbol, then the registry's checks.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "out.h"
#include "registry.h"

int pl_registry_load(pl_registry *r, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		char ebuf[64];
		snprintf(err, errlen, "cannot load plugin '%s': %s", path,
			 pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		return PL_D_PLUGIN_OPEN;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot load plugin '%s': not a regular file", path);
		return PL_D_PLUGIN_OPEN;
	}
	/* A name without a slash would be searched for by dlopen() in the
	 * system's library path; the user meant this file. */
	char local[4096];
	const char *open_path = path; /* messages name the file as it was given */
	if (strchr(path, '/') == NULL) {
		snprintf(local, sizeof(local), "./%s", path);
		open_path = local;
	}
	dlerror();
	void *h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();
		/* glibc starts the reason with the file name: said already. */
		size_t n = strlen(open_path);
		if (why != NULL && strncmp(why, open_path, n) == 0 &&
		    strncmp(why + n, ": ", 2) == 0)
			why += n + 2;
		if (why != NULL && strstr(why, "undefined symbol") != NULL)
			snprintf(
				err, errlen,
				"cannot load plugin '%s': %s (a plugin links against nothing of "
				"pipeline: it calls the runner through w->host; link the libraries "
				"it needs itself)",
				path, why);
		else
			snprintf(err, errlen,
				 "cannot load plugin '%s': %s (a plugin is a shared object built "
				 "with -shared -fPIC; see docs/plugins.md)",
				 path, why ? why : "unknown error");
		return PL_D_PLUGIN_OPEN;
	}
	if (pl__registry_holds(r, h)) {
		dlclose(h); /* loaded already: dlopen() counted one more reference */
		return 0;
	}
	dlerror();
	void *sym = dlsym(h, PL_PLUGIN_ENTRY);
	if (sym == NULL) {
		snprintf(err, errlen,
			 "'%s' is not a pipeline plugin: it has no '%s' symbol (define it with "
			 "PL_PLUGIN_EXPORT(descriptor) from pipeline/plugin.h)",
			 path, PL_PLUGIN_ENTRY);
		dlclose(h);
		return PL_D_PLUGIN_SYMBOL;
	}
	pl_plugin_entry_fn entry;
	/* POSIX dlsym() returns data pointers; this is its documented use. */
	memcpy(&entry, &sym, sizeof(entry));
	const pl_plugin *p = entry();
	char why[512];
	int rc = pl_registry_add_plugin(r, p, path, why, sizeof(why));
	if (rc != 0) {
		if (rc != PL_ENOMEM)
			snprintf(err, errlen, "plugin '%s' refused: %s", path, why);
		dlclose(h);
		return rc;
	}
	if (pl__registry_keep(r, h) != 0) {
		/* Its stages are registered: the file must stay loaded.  Out of
		 * memory here leaks one handle rather than unmap live code. */
		return PL_ENOMEM;
	}
	return 0;
}
