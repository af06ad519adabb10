/*
 * sockshim overlay for <sys/uio.h> (the libbsd-overlay convention): the system header,
 * then <sockshim.h>, which adds nothing NetBSD keeps here, but the binding of the calls it declares,
 * and binds the socket, write and descriptor calls to libsockshim (sockshim/bind.h).
 * Use: `pkg-config --cflags --libs sockshim-overlay`, which puts this folder on the
 * system include path (-isystem), so unmodified BSD code and its configure probes find
 * the names where NetBSD has them.
 */
#include_next <sys/uio.h>
#include <sockshim.h>
