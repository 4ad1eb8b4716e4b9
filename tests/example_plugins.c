/* example_plugins.c - loading the example plugins (stages/examples/) into a test's registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "example_plugins.h"

void pl_test_load_example_plugins(pl_registry *reg)
{
	DIR *dir = opendir(PL_PLUGIN_BUILD_DIR);
	if (dir == NULL) {
		fail_msg("cannot open %s: are the example plugins built?", PL_PLUGIN_BUILD_DIR);
		return;
	}
	size_t loaded = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (len < 4 || ent->d_name[0] == '.' || strcmp(ent->d_name + len - 3, ".so") != 0)
			continue;
		char path[1024], err[1024];
		snprintf(path, sizeof(path), "%s/%s", PL_PLUGIN_BUILD_DIR, ent->d_name);
		if (pl_registry_load(reg, path, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		loaded++;
	}
	closedir(dir);
	if (loaded == 0)
		fail_msg("no plugin in %s: are the example plugins built?", PL_PLUGIN_BUILD_DIR);
}
