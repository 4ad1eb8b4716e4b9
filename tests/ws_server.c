/* ws_server.c - the test WebSocket server (tests/servers/ws_server.py) as a child of a test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_child.h"
#include "server_child.h"
#include "ws_server.h"

char *ws_server_events(const struct ws_server *s)
{
	return read_whole_file(s->log, NULL);
}

void ws_server_start(struct ws_server *s, const char *dir, int tls)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "%s/ws_server%s.log", dir, tls ? "-tls" : "");
	const char *py = server_child_python();
	static char script[] = PL_SOURCE_DIR "/tests/servers/ws_server.py";
	char *argv[] = { (char *)py, script, tls ? "0" : NULL, "--tls", NULL };
	s->pid = server_child_spawn(s->log, argv);
	char *text;
	int exited;
	s->port = server_child_wait_port(&s->pid, s->log, WS_SERVER_START_S, &text, &exited);
	if (s->port == 0)
		fail_msg("the test WebSocket server (%s tests/servers/ws_server.py, which needs "
			 "python3-websockets) %s; it printed:\n%s",
			 py, exited ? "exited as it started" : "did not print its port",
			 text != NULL ? text : "(nothing)");
}

void ws_server_stop(struct ws_server *s)
{
	server_child_stop(&s->pid, 5.0);
}

int ws_server_wait_event(const struct ws_server *s, const char *text, double seconds)
{
	double start = now_s();
	for (;;) {
		char *events = ws_server_events(s);
		int found = events != NULL && strstr(events, text) != NULL;
		free(events);
		if (found)
			return 1;
		if (now_s() - start > seconds)
			return 0;
		sleep_s(0.01);
	}
}
