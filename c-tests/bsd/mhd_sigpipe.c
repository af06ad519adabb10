/*
 * The SIGPIPE scenario of c-tests/bsd/run.sh: a libmicrohttpd server, with SIGPIPE at its
 * default action, serves a large file (MHD_create_response_from_fd, so MHD may use
 * sendfile) on 127.0.0.1 to clients that reset the connection mid-transfer; it must survive
 * and still serve the whole file afterwards.
 *
 * The program knows nothing of sockshim: it is compiled plainly against one build's
 * installed <microhttpd.h> and libmicrohttpd. Built against sockshim, libmicrohttpd creates
 * its sockets with SOCK_NOSIGPIPE and then trusts the flag (sendfile); built plainly for
 * Linux it relies on MSG_NOSIGNAL (send/sendmsg, no sendfile).
 *
 *   mhd_sigpipe serve FILE [--app-handles-sigpipe]
 *       Serves FILE at every URL but /quit, in MHD's external polling mode in this (the
 *       main) thread, so that MHD's own thread never blocks SIGPIPE for it. Prints
 *       "port N", then at /quit (or after 120 s) "served: ..." and exits 0.
 *       --app-handles-sigpipe passes MHD_OPTION_SIGPIPE_HANDLED_BY_APP (a lie: SIGPIPE stays
 *       at its default action), so a plain build takes sendfile without any protection:
 *       the control that shows these clients do raise SIGPIPE.
 *   mhd_sigpipe client PORT FILE RESETS
 *       RESETS clients that read a little and reset (SO_LINGER 0), then one client that
 *       reads the whole response and compares it with FILE, then GET /quit.
 *       Exit 0 when the full response matched.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *file_path;
static uint64_t file_size;
static int quit;
static unsigned n_requests, n_ok, n_error, n_other;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
    static int first_call_marker;
    struct MHD_Response *r;
    enum MHD_Result ret;
    int fd;
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size;
    if (*con_cls == NULL) { /* headers only so far: answer on the second call */
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    n_requests++;
    if (strcmp(url, "/quit") == 0) {
        quit = 1;
        r = MHD_create_response_from_buffer(3, (void *)"bye", MHD_RESPMEM_PERSISTENT);
    } else {
        fd = open(file_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return MHD_NO;
        r = MHD_create_response_from_fd((size_t)file_size, fd); /* MHD closes fd */
    }
    if (r == NULL)
        return MHD_NO;
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)c, (void)con_cls;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        n_ok++;
    else if (toe == MHD_REQUEST_TERMINATED_WITH_ERROR)
        n_error++;
    else
        n_other++;
}

static int serve(int argc, char **argv) {
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    struct stat st;
    struct sigaction old;
    sigset_t mask;
    time_t deadline = time(NULL) + 120;
    int app_handles = argc > 3 && strcmp(argv[3], "--app-handles-sigpipe") == 0;

    file_path = argv[2];
    if (stat(file_path, &st) != 0) {
        perror(file_path);
        return 2;
    }
    file_size = (uint64_t)st.st_size;
    /* SIGPIPE at its default action and not blocked, whatever the caller left. */
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&mask);
    sigaddset(&mask, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    sigaction(SIGPIPE, NULL, &old);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    d = MHD_start_daemon(MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                         app_handles ? MHD_OPTION_SIGPIPE_HANDLED_BY_APP : MHD_OPTION_END, 1,
                         MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "MHD_start_daemon failed\n");
        return 2;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("port %u\n", info ? (unsigned)info->port : 0u);
    printf("SIGPIPE action: %s; MHD %s; sendfile feature %d, autosuppress-SIGPIPE feature %d%s\n",
           old.sa_handler == SIG_DFL ? "default" : "NOT default", MHD_get_version(),
           MHD_is_feature_supported(MHD_FEATURE_SENDFILE),
           MHD_is_feature_supported(MHD_FEATURE_AUTOSUPPRESS_SIGPIPE),
           app_handles ? "; told the application handles SIGPIPE" : "");
    fflush(stdout);
    while (!quit && time(NULL) < deadline)
        if (MHD_run_wait(d, 100) != MHD_YES) {
            fprintf(stderr, "MHD_run_wait failed\n");
            break;
        }
    MHD_stop_daemon(d);
    printf("served: %u requests, %u completed, %u ended with an error, %u otherwise%s\n",
           n_requests, n_ok, n_error, n_other, quit ? "" : " (deadline reached, no /quit)");
    return quit ? 0 : 3;
}

/* A connected client socket with 10 s timeouts; rcvbuf > 0 sets SO_RCVBUF first. */
static int dial(int port, int rcvbuf) {
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(s);
        return -1;
    }
    return s;
}

static int send_request(int s, const char *url) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", url);
    return send(s, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* Reads the response on s: headers, then the body compared with the file. */
static int read_full(int s, const char *path, uint64_t *body_len, int *same) {
    static char buf[1 << 16], fbuf[1 << 16];
    char head[8192];
    size_t hl = 0;
    char *end = NULL;
    ssize_t n;
    FILE *f = fopen(path, "rb");
    *body_len = 0;
    *same = f != NULL;
    while (end == NULL) {
        n = recv(s, head + hl, sizeof head - 1 - hl, 0);
        if (n <= 0) {
            if (f) fclose(f);
            return -1;
        }
        hl += (size_t)n;
        head[hl] = 0;
        end = strstr(head, "\r\n\r\n");
        if (end == NULL && hl == sizeof head - 1) {
            if (f) fclose(f);
            return -1;
        }
    }
    if (strncmp(head, "HTTP/1.1 200", 12) != 0)
        *same = 0;
    {
        size_t rest = hl - (size_t)(end + 4 - head);
        memcpy(buf, end + 4, rest);
        n = (ssize_t)rest;
    }
    for (;;) {
        if (n > 0) {
            if (f && (fread(fbuf, 1, (size_t)n, f) != (size_t)n || memcmp(buf, fbuf, (size_t)n) != 0))
                *same = 0;
            *body_len += (uint64_t)n;
        }
        n = recv(s, buf, sizeof buf, 0);
        if (n == 0)
            break;
        if (n < 0) {
            if (f) fclose(f);
            return -1;
        }
    }
    if (f) {
        if (fgetc(f) != EOF) /* the file is longer than what came */
            *same = 0;
        fclose(f);
    }
    return 0;
}

static int client(char **argv) {
    int port = atoi(argv[2]), resets = atoi(argv[4]), i, s, same, failed = 0;
    const char *path = argv[3];
    static char buf[1 << 14];
    uint64_t len;
    struct linger lg = {1, 0};
    struct timespec pause = {0, 50 * 1000 * 1000};
    for (i = 0; i < resets; i++) {
        size_t got = 0;
        ssize_t n;
        s = dial(port, 4096);
        if (s < 0 || send_request(s, "/big") != 0) {
            printf("reset client %d: cannot connect or send: %s\n", i + 1, strerror(errno));
            failed = 1;
            if (s >= 0) close(s);
            continue;
        }
        while (got < 65536 && (n = recv(s, buf, sizeof buf, 0)) > 0)
            got += (size_t)n;
        /* Every second client also half-closes first: the server's socket is then in
         * CLOSE_WAIT when the reset comes, and its next send is EPIPE (not ECONNRESET). */
        if (i % 2 == 1)
            shutdown(s, SHUT_WR);
        nanosleep(&pause, NULL); /* the server fills the socket buffers meanwhile */
        setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(s);
        printf("reset client %d: read %zu bytes, then reset the connection%s\n", i + 1, got,
               i % 2 == 1 ? " (after shutdown SHUT_WR)" : "");
        nanosleep(&pause, NULL);
    }
    s = dial(port, 0);
    if (s < 0 || send_request(s, "/big") != 0 || read_full(s, path, &len, &same) != 0) {
        printf("full client: failed: %s\n", strerror(errno));
        if (s >= 0) close(s);
        return 1;
    }
    close(s);
    printf("full client: %llu bytes, %s\n", (unsigned long long)len,
           same ? "identical to the file" : "NOT the file");
    s = dial(port, 0);
    if (s >= 0 && send_request(s, "/quit") == 0) {
        while (recv(s, buf, sizeof buf, 0) > 0)
            ;
    }
    if (s >= 0) close(s);
    return same && !failed ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    if (argc == 5 && strcmp(argv[1], "client") == 0)
        return client(argv);
    fprintf(stderr, "usage: %s serve FILE [--app-handles-sigpipe] | client PORT FILE RESETS\n", argv[0]);
    return 2;
}
