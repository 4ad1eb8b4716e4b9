/* error.c - names and messages for the PL_E* codes. */
#include "error.h"

const char *pl_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define PL__ERRNO_TEXT(name, value, text) \
	case PL_##name:                   \
		return text;
		PL_ERRNO_MAP(PL__ERRNO_TEXT)
#undef PL__ERRNO_TEXT
	default:
		return "unknown error";
	}
}

const char *pl_err_name(int err)
{
	switch (err) {
	case 0:
		return "OK";
#define PL__ERRNO_NAME(name, value, text) \
	case PL_##name:                   \
		return "PL_" #name;
		PL_ERRNO_MAP(PL__ERRNO_NAME)
#undef PL__ERRNO_NAME
	default:
		return "PL_E?";
	}
}
