/* plain.c - a real shared library that is no plugin: it exports a function, not the entry. */

int plain_add(int a, int b);

__attribute__((visibility("default"))) int plain_add(int a, int b)
{
	return a + b;
}
