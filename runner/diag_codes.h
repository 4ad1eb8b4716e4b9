/* diag_codes.h - every diagnostic the config checks can give, with its stable code.
 *
 * A code never changes meaning and is never reused: docs/diagnostics.md
 * explains each one with an example fix, and tests/invalid/ holds a config
 * that triggers it.  X(number, identifier, severity). */
#ifndef PL_RUNNER_DIAG_CODES_H
#define PL_RUNNER_DIAG_CODES_H

#define PL_DIAG_CODES(X)                                                \
	/* The file and its YAML */                                     \
	X(1, IO, ERROR)                                                 \
	X(2, FILE_TOO_LARGE, ERROR)                                     \
	X(3, NOT_UTF8, ERROR)                                           \
	X(4, SYNTAX, ERROR)                                             \
	X(5, TOO_DEEP, ERROR)                                           \
	X(6, EMPTY_FILE, ERROR)                                         \
	X(7, TWO_DOCUMENTS, ERROR)                                      \
	/* The form of the config */                                    \
	X(10, EXPECTED_MAPPING, ERROR)                                  \
	X(11, EXPECTED_LIST, ERROR)                                     \
	X(12, KEY_NOT_SCALAR, ERROR)                                    \
	X(13, DUPLICATE_KEY, ERROR)                                     \
	X(14, UNKNOWN_KEY, ERROR)                                       \
	X(15, NOT_STRING, ERROR)                                        \
	X(16, NOT_INTEGER, ERROR)                                       \
	X(17, OUT_OF_RANGE, ERROR)                                      \
	X(18, BAD_NAME, ERROR)                                          \
	X(19, MISSING_KEY, ERROR)                                       \
	X(20, BAD_VERSION, ERROR)                                       \
	X(21, NO_NODES, ERROR)                                          \
	X(22, TOO_MANY, ERROR)                                          \
	X(23, UNKNOWN_TYPE, ERROR)                                      \
	X(24, PARAM_NOT_SCALAR, ERROR)                                  \
	X(25, PARAM_EMPTY, ERROR)                                       \
	X(26, INPUT_AND_INPUTS, ERROR)                                  \
	X(27, ONE_CHANNEL, ERROR)                                       \
	X(28, BAD_VALUE, ERROR)                                         \
	/* Environment variables and --set */                           \
	X(30, ENV_UNSET, ERROR)                                         \
	X(31, ENV_SYNTAX, ERROR)                                        \
	X(32, SET_NO_NODE, ERROR)                                       \
	X(33, SET_NOT_SCALAR, ERROR)                                    \
	/* Nodes */                                                     \
	X(40, DUPLICATE_NODE, ERROR)                                    \
	X(41, KEY_NOT_FOR_TYPE, ERROR)                                  \
	X(42, NEEDS_STAGE, ERROR)                                       \
	X(43, NEEDS_INPUT, ERROR)                                       \
	X(44, NEEDS_OUTPUT, ERROR)                                      \
	X(45, FANIN_INPUTS, ERROR)                                      \
	X(46, GENERATOR_WORKERS, ERROR)                                 \
	X(47, BROADCAST_OUTPUTS, ERROR)                                 \
	X(48, OUTPUT_TWICE, ERROR)                                      \
	/* Stages and their parameters */                               \
	X(50, UNKNOWN_STAGE, ERROR)                                     \
	X(51, STAGE_KIND, ERROR)                                        \
	X(52, STAGE_WORKERS, ERROR)                                     \
	X(53, STAGE_MALFORMED, ERROR)                                   \
	X(54, UNKNOWN_PARAM, ERROR)                                     \
	X(55, PARAM_TYPE, ERROR)                                        \
	X(56, PARAM_RANGE, ERROR)                                       \
	X(57, PARAM_MISSING, ERROR)                                     \
	X(58, STAGE_UNAVAILABLE, ERROR)                                 \
	X(59, STAGE_PARAMS, ERROR)                                      \
	/* Channels: exactly one producer and one consumer, no cycle */ \
	X(60, TWO_PRODUCERS, ERROR)                                     \
	X(61, TWO_CONSUMERS, ERROR)                                     \
	X(62, UNKNOWN_CHANNEL, ERROR)                                   \
	X(63, INPUT_TWICE, ERROR)                                       \
	X(64, NO_PRODUCER, ERROR)                                       \
	X(65, NO_CONSUMER, ERROR)                                       \
	X(66, CYCLE, ERROR)                                             \
	X(67, NATS_UNAVAILABLE, ERROR)                                  \
	X(68, TRANSPORT_KEY, ERROR)                                     \
	/* Warnings: valid, but probably not what was meant */          \
	X(70, UNUSED_CHANNEL, WARNING)                                  \
	X(71, FANOUT_ONE_WORKER, WARNING)                               \
	X(72, RENDEZVOUS_FANOUT, WARNING)                               \
	/* Starting the stages (pipeline run only) */                   \
	X(80, STAGE_INIT, ERROR)                                        \
	/* Plugins */                                                   \
	X(90, PLUGIN_OPEN, ERROR)                                       \
	X(91, PLUGIN_SYMBOL, ERROR)                                     \
	X(92, PLUGIN_ABI, ERROR)                                        \
	X(93, PLUGIN_MALFORMED, ERROR)                                  \
	X(94, PLUGIN_CLASH, ERROR)

enum pl_diag_code {
#define PL_DIAG_ENUM(num, id, sev) PL_D_##id = (num),
	PL_DIAG_CODES(PL_DIAG_ENUM)
#undef PL_DIAG_ENUM
};

#endif /* PL_RUNNER_DIAG_CODES_H */
