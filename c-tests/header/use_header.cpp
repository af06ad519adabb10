/* The same checks as use_header.c, compiled as C++17. */
#include "use_header.c"
