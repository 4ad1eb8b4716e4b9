/* example_plugins.h - loading the example plugins (stages/examples/) into a test's registry. */
#ifndef PL_TESTS_EXAMPLE_PLUGINS_H
#define PL_TESTS_EXAMPLE_PLUGINS_H

#include "registry.h"

/*
 * Loads every *.so of PL_PLUGIN_BUILD_DIR (the build's plugins/, where the
 * example plugins rot13 and fibonacci are built, and which the build's
 * `pipeline` binary loads by default) into `reg`, so that an in-process check
 * of the files in pipelines/ sees the stages the binary sees.  Fails the test when
 * none is there or one does not load.
 */
void pl_test_load_example_plugins(pl_registry *reg);

#endif /* PL_TESTS_EXAMPLE_PLUGINS_H */
