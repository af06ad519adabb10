/*
 * sockshim overlay for <sys/socket.h> (the libbsd-overlay convention): the system header,
 * then <sockshim.h>, which adds SOCK_NOSIGPIPE, SO_NOSIGPIPE and paccept(), where NetBSD declares them,
 * and binds the socket, write and descriptor calls to libsockshim (sockshim/bind.h).
 * Use: `pkg-config --cflags --libs sockshim-overlay`, which puts this folder on the
 * system include path (-isystem), so unmodified BSD code and its configure probes find
 * the names where NetBSD has them.
 */
#include_next <sys/socket.h>
#include <sockshim.h>
