/* sockshim(1): run a program with libsockshim preloaded and the chosen policies; say
 * whether the library can reach a program (--check) and what it does in a running
 * process (--status).
 *
 *   sockshim [--nosigpipe] [--cloexec] [--accept-inherit] [--personality netbsd|linux]
 *            [--quiet] [--] PROGRAM [ARGS...]
 *   sockshim [--quiet] --check [OPTION]... [--] PROGRAM [ARGS...]
 *   sockshim [--quiet] --status PID
 *
 * SPEC.md "Policies": the launcher sets the policy variables and appends the library's
 * absolute path to any existing LD_PRELOAD, never replacing it (LESSONS.md pitfall 14).
 * Exit status as env(1): 125 for the launcher's own errors, 126 when PROGRAM was found
 * but could not be run, 127 when it was not found. --check: 0 reachable, 1 not
 * reachable, 2 cannot tell. --status: 0 the library is mapped, 1 it is not, 2 cannot tell.
 *
 * The library is found relative to this executable: SOCKSHIM_LIB_REL (set by the
 * Makefile: "../lib/libsockshim.so.0" both in the build tree and when installed).
 *
 * The checks read files and /proc only: no sockets, no name-service lookups (getpwuid
 * could load NSS modules and talk to nscd), nothing a preloaded library changes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SOCKSHIM_LIB_REL
#define SOCKSHIM_LIB_REL "../lib/libsockshim.so.0"
#endif
/* The build for musl programs (SPEC.md "Platforms"), used when the program is linked
 * with musl and the file exists: "../lib/musl/libsockshim.so.0" in the build tree. */
#ifndef SOCKSHIM_MUSL_LIB_REL
#define SOCKSHIM_MUSL_LIB_REL "../lib/musl/libsockshim.so.0"
#endif
#ifndef SOCKSHIM_VERSION
#define SOCKSHIM_VERSION "unknown"
#endif

enum { EXIT_LAUNCHER = 125, EXIT_CANNOT_RUN = 126, EXIT_NOT_FOUND = 127 };
/* --check and --status */
enum { EXIT_YES = 0, EXIT_NO = 1, EXIT_CANNOT_TELL = 2 };

static const char usage_text[] =
    "Usage: sockshim [OPTION]... [--] PROGRAM [ARG]...\n"
    "  or:  sockshim --check [OPTION]... [--] PROGRAM [ARG]...\n"
    "  or:  sockshim --status PID\n"
    "Run PROGRAM with libsockshim preloaded (NetBSD socket semantics on Linux).\n"
    "\n"
    "  --nosigpipe             every socket the program creates or accepts is no-SIGPIPE\n"
    "                          (SOCKSHIM_NOSIGPIPE=1)\n"
    "  --cloexec               every socket the program creates or accepts is close-on-exec,\n"
    "                          atomically (SOCKSHIM_CLOEXEC=1)\n"
    "  --accept-inherit        accept() inherits O_NONBLOCK, O_ASYNC and the SIGIO owner of the\n"
    "                          listener, as on BSD (SOCKSHIM_ACCEPT_INHERIT=1)\n"
    "  --personality=NAME      'netbsd' (every NetBSD-fidelity choice) or 'linux' (the default)\n"
    "                          (SOCKSHIM_PERSONALITY)\n"
    "  --quiet                 no warning when the library cannot reach PROGRAM; with --check\n"
    "                          or --status, print nothing: the exit status tells\n"
    "  --check                 do not run PROGRAM: say whether the library can reach it (its\n"
    "                          ELF file, a #! script's interpreter, setuid/setgid, capabilities)\n"
    "  --status PID            is the library mapped in process PID, with which policies, and\n"
    "                          which of its sockets are close-on-exec\n"
    "  --help                  print this help and exit\n"
    "  --version               print the version and exit\n"
    "\n"
    "The library is appended to any existing LD_PRELOAD. Before running PROGRAM, sockshim warns\n"
    "on stderr (one line) when the library cannot reach it: static, Go, setuid, capabilities,\n"
    "another C library or architecture.\n"
    "Exit status: PROGRAM's, or 125 if sockshim itself failed, 126 if PROGRAM was found but\n"
    "could not be run, 127 if it was not found. --check: 0 reachable, 1 not reachable,\n"
    "2 cannot tell. --status: 0 the library is mapped, 1 it is not, 2 cannot tell. A bad\n"
    "option: 125.\n";

/* snprintf, for messages that may be cut at the buffer's end on purpose. */
static int sfmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sfmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}

static _Noreturn void die(const char *fmt, const char *arg)
{
    fputs("sockshim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(EXIT_LAUNCHER);
}

static _Noreturn void bad_usage(const char *fmt, const char *arg)
{
    fputs("sockshim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'sockshim --help' for more information.\n", stderr);
    exit(EXIT_LAUNCHER);
}

static void set(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) die("cannot set the environment: %s", strerror(errno));
}

/* The library's absolute path, from this executable's own location (for a program
 * linked with musl, `musl`, the musl build when it is there): 0, or -1 with the reason
 * in err. */
static int find_library(char out[PATH_MAX], char *err, size_t errlen, int musl)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        sfmt(err, errlen, "cannot find my own executable: %s", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        sfmt(err, errlen, "cannot find my own directory in '%s'", self);
        return -1;
    }
    slash[1] = '\0';
    char joined[2 * PATH_MAX];
    sfmt(joined, sizeof joined, "%s%s", self, SOCKSHIM_MUSL_LIB_REL);
    if (!musl || realpath(joined, out) == NULL) sfmt(joined, sizeof joined, "%s%s", self, SOCKSHIM_LIB_REL);
    if (realpath(joined, out) == NULL) {
        sfmt(err, errlen, "cannot find the library %s", joined);
        return -1;
    }
    /* ld.so splits LD_PRELOAD at spaces and colons. */
    if (strpbrk(out, " :") != NULL) {
        sfmt(err, errlen, "the library's path '%s' contains a space or a colon", out);
        return -1;
    }
    return 0;
}

static void library_path(char out[PATH_MAX], int musl)
{
    char err[2 * PATH_MAX + 64];
    if (find_library(out, err, sizeof err, musl) != 0) die("%s", err);
}

/* Is `word` (not NUL-terminated) the file `lib` is? (Any path to it: a second copy of
 * the library in one process would be a second, inactive descriptor table.) */
static int same_file(const char *word, size_t len, const struct stat *lib)
{
    char path[PATH_MAX];
    struct stat st;
    if (len == 0 || len >= sizeof path) return 0;
    memcpy(path, word, len);
    path[len] = '\0';
    return stat(path, &st) == 0 && st.st_dev == lib->st_dev && st.st_ino == lib->st_ino;
}

/* LD_PRELOAD with `lib` appended, unless it is already there. */
static void append_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (old == NULL || old[strspn(old, " :")] == '\0') {
        set("LD_PRELOAD", lib);
        return;
    }
    struct stat self;
    if (stat(lib, &self) != 0) die("cannot find the library %s", lib);
    for (const char *p = old; *p != '\0';) {
        p += strspn(p, " :");
        size_t word = strcspn(p, " :");
        if (same_file(p, word, &self)) return;
        p += word;
    }
    size_t len = strlen(lib);
    size_t total = strlen(old) + 1 + len + 1;
    char *value = malloc(total);
    if (value == NULL) die("%s", strerror(errno));
    sfmt(value, total, "%s:%s", old, lib);
    set("LD_PRELOAD", value);
    free(value);
}

/* ---------------------------------------------------------------------------------- */
/* Reading ELF files: either class, either byte order, from a descriptor (pread). */

enum libc { LIBC_UNKNOWN, LIBC_NONE, LIBC_GLIBC, LIBC_MUSL, LIBC_BIONIC, LIBC_UCLIBC };
static const char *const libc_name[] = {"an unknown C library", "no C library", "glibc",
                                        "musl", "bionic", "uClibc"};

#define NAMES 512   /* room for a list of names (DT_NEEDED) */
#define MAX_LOADS 64
#define MAX_NEEDED 64

struct elfinfo {
    int is64, be;
    unsigned type, machine, osabi;
    int has_interp, has_dynamic, pie_flag, nneeded;
    char interp[PATH_MAX];
    char needed[NAMES];          /* "libc.so.6, libm.so.6" */
    char soname[128];
    enum libc libc;              /* from PT_INTERP, else DT_NEEDED */
    char libc_why[PATH_MAX + 32];
    const char *go;              /* how it was recognised as Go, or NULL */
};

struct elf {
    int fd;
    uint64_t size;
    int is64, be;
};

static char elf_error[256];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(elf_error, sizeof elf_error, fmt, ap);
    va_end(ap);
    return -1;
}

/* Exactly len bytes at off, or -1 (a short file is an error too). */
static int read_at(const struct elf *e, uint64_t off, void *buf, size_t len)
{
    if (off > e->size || len > e->size - off)
        return fail("truncated: %zu bytes at offset %llu are past its end", len,
                    (unsigned long long)off);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(e->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("cannot read it: %s", strerror(errno));
        if (n == 0) return fail("truncated while reading it");
        done += (size_t)n;
    }
    return 0;
}

/* A NUL-terminated string at off (at most cap-1 bytes), or -1. */
static int read_string(const struct elf *e, uint64_t off, char *out, size_t cap)
{
    if (off >= e->size) return fail("a string offset past the end of the file");
    size_t len = cap - 1;
    if (len > e->size - off) len = (size_t)(e->size - off);
    if (read_at(e, off, out, len) != 0) return -1;
    out[len] = '\0';
    if (memchr(out, '\0', len) == NULL && len == cap - 1) return fail("a string too long");
    return 0;
}

static uint64_t getn(const struct elf *e, const unsigned char *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) v |= (uint64_t)p[e->be ? size - 1 - i : i] << (8 * i);
    return v;
}

/* A field of an ELF structure of either class, by name. */
#define F(e, buf, T, field)                                                                  \
    ((e)->is64 ? getn((e), (buf) + offsetof(Elf64_##T, field), sizeof(((Elf64_##T *)0)->field)) \
               : getn((e), (buf) + offsetof(Elf32_##T, field), sizeof(((Elf32_##T *)0)->field)))
#define SIZE(e, T) ((e)->is64 ? sizeof(Elf64_##T) : sizeof(Elf32_##T))

static int prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == NULL ? path : slash + 1;
}

static enum libc libc_of_interp(const char *interp)
{
    const char *b = base_name(interp);
    if (prefix(b, "ld-musl-")) return LIBC_MUSL;
    if (prefix(b, "ld-linux") || prefix(b, "ld64.so.") || strcmp(b, "ld.so.1") == 0)
        return LIBC_GLIBC;
    if (prefix(b, "linker")) return LIBC_BIONIC;
    if (prefix(b, "ld-uClibc")) return LIBC_UCLIBC;
    return LIBC_UNKNOWN;
}

static enum libc libc_of_needed(const char *name)
{
    if (strcmp(name, "libc.so.6") == 0 || prefix(name, "ld-linux")) return LIBC_GLIBC;
    if (prefix(name, "libc.musl-") || prefix(name, "ld-musl-") || strcmp(name, "libc.so") == 0)
        return LIBC_MUSL;
    if (strcmp(name, "libc.so.0") == 0 || prefix(name, "ld-uClibc")) return LIBC_UCLIBC;
    return LIBC_UNKNOWN;
}

static void append_name(char *list, size_t cap, const char *name)
{
    size_t len = strlen(list);
    if (len + strlen(name) + 8 >= cap) {
        if (len + 5 < cap && (len < 4 || strcmp(list + len - 3, "...") != 0))
            sfmt(list + len, cap - len, ", ...");
        return;
    }
    sfmt(list + len, cap - len, "%s%s", len ? ", " : "", name);
}

/* Does the string table [off, off+size) name Go's runtime (runtime.main, runtime.goexit)?
 * Not any "runtime." prefix: C libraries have file symbols such as "runtime.c". */
static int strtab_has_runtime(const struct elf *e, uint64_t off, uint64_t size)
{
    static const char main_[] = "\0runtime.main\0", goexit[] = "\0runtime.goexit";
    const size_t overlap = sizeof main_ - 2; /* the longer pattern's length, minus one */
    static char buf[65536];
    if (off > e->size || size > e->size - off) return 0;
    uint64_t pos = 0;
    while (pos < size) {
        size_t want = size - pos < sizeof buf ? (size_t)(size - pos) : sizeof buf;
        if (read_at(e, off + pos, buf, want) != 0) return 0;
        if (memmem(buf, want, main_, sizeof main_ - 1) != NULL ||
            memmem(buf, want, goexit, sizeof goexit - 1) != NULL)
            return 1;
        if (want < sizeof buf) break;
        pos += want - overlap; /* a match across the chunk boundary */
    }
    return 0;
}

/* Everything the check needs from an ELF file. 0, or -1 with elf_error. */
static int parse_elf(int fd, uint64_t size, struct elfinfo *info)
{
    memset(info, 0, sizeof *info);
    struct elf e = {fd, size, 0, 0};
    unsigned char eh[sizeof(Elf64_Ehdr)];
    if (size < EI_NIDENT) return fail("too short for an ELF header");
    if (read_at(&e, 0, eh, EI_NIDENT) != 0) return -1;
    if (eh[EI_CLASS] != ELFCLASS32 && eh[EI_CLASS] != ELFCLASS64)
        return fail("unknown ELF class %u", eh[EI_CLASS]);
    if (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB)
        return fail("unknown ELF byte order %u", eh[EI_DATA]);
    e.is64 = info->is64 = eh[EI_CLASS] == ELFCLASS64;
    e.be = info->be = eh[EI_DATA] == ELFDATA2MSB;
    info->osabi = eh[EI_OSABI];
    if (read_at(&e, 0, eh, SIZE(&e, Ehdr)) != 0) return -1;
    info->type = (unsigned)F(&e, eh, Ehdr, e_type);
    info->machine = (unsigned)F(&e, eh, Ehdr, e_machine);
    uint64_t phoff = F(&e, eh, Ehdr, e_phoff), shoff = F(&e, eh, Ehdr, e_shoff);
    unsigned phentsize = (unsigned)F(&e, eh, Ehdr, e_phentsize);
    unsigned shentsize = (unsigned)F(&e, eh, Ehdr, e_shentsize);
    uint64_t phnum = F(&e, eh, Ehdr, e_phnum), shnum = F(&e, eh, Ehdr, e_shnum);
    uint64_t shstrndx = F(&e, eh, Ehdr, e_shstrndx);

    unsigned char sh0[sizeof(Elf64_Shdr)];
    if (shoff != 0 && (phnum == PN_XNUM || shnum == 0 || shstrndx == SHN_XINDEX)) {
        if (shentsize < SIZE(&e, Shdr)) return fail("bad section header size %u", shentsize);
        if (read_at(&e, shoff, sh0, SIZE(&e, Shdr)) != 0) return -1;
        if (phnum == PN_XNUM) phnum = F(&e, sh0, Shdr, sh_info);
        if (shnum == 0) shnum = F(&e, sh0, Shdr, sh_size);
        if (shstrndx == SHN_XINDEX) shstrndx = F(&e, sh0, Shdr, sh_link);
    }

    /* Program headers: PT_INTERP, PT_DYNAMIC, and the PT_LOADs to find the dynamic
     * string table in the file. */
    struct { uint64_t vaddr, off, filesz; } loads[MAX_LOADS];
    size_t nloads = 0;
    uint64_t dyn_off = 0, dyn_size = 0;
    if (phnum > 0 && phentsize < SIZE(&e, Phdr))
        return fail("bad program header size %u", phentsize);
    if (phnum > 65536) return fail("%llu program headers", (unsigned long long)phnum);
    for (uint64_t i = 0; i < phnum; i++) {
        unsigned char ph[sizeof(Elf64_Phdr)];
        if (read_at(&e, phoff + i * phentsize, ph, SIZE(&e, Phdr)) != 0) return -1;
        uint64_t type = F(&e, ph, Phdr, p_type);
        uint64_t off = F(&e, ph, Phdr, p_offset), filesz = F(&e, ph, Phdr, p_filesz);
        if (type == PT_INTERP) {
            info->has_interp = 1;
            size_t len = filesz < sizeof info->interp ? (size_t)filesz : sizeof info->interp - 1;
            if (len == 0) return fail("an empty PT_INTERP");
            if (read_at(&e, off, info->interp, len) != 0) return -1;
            info->interp[len] = '\0';
            if (memchr(info->interp, '\0', len) == NULL && len == sizeof info->interp - 1)
                return fail("a PT_INTERP too long");
        } else if (type == PT_DYNAMIC) {
            info->has_dynamic = 1;
            dyn_off = off;
            dyn_size = filesz;
        } else if (type == PT_LOAD && nloads < MAX_LOADS) {
            loads[nloads].vaddr = F(&e, ph, Phdr, p_vaddr);
            loads[nloads].off = off;
            loads[nloads].filesz = filesz;
            nloads++;
        }
    }

    /* The dynamic section: DT_NEEDED, DT_SONAME, DT_FLAGS_1. */
    if (info->has_dynamic) {
        uint64_t needed[MAX_NEEDED], soname = 0, strtab = 0;
        int nneeded = 0, has_soname = 0, has_strtab = 0;
        size_t dsz = SIZE(&e, Dyn);
        for (uint64_t pos = 0; pos + dsz <= dyn_size; pos += dsz) {
            unsigned char d[sizeof(Elf64_Dyn)];
            if (read_at(&e, dyn_off + pos, d, dsz) != 0) return -1;
            uint64_t tag = F(&e, d, Dyn, d_tag), val = F(&e, d, Dyn, d_un);
            if (tag == DT_NULL) break;
            if (tag == DT_NEEDED) {
                if (nneeded < MAX_NEEDED) needed[nneeded] = val;
                nneeded++;
            } else if (tag == DT_SONAME) {
                soname = val;
                has_soname = 1;
            } else if (tag == DT_STRTAB) {
                strtab = val;
                has_strtab = 1;
            } else if (tag == DT_FLAGS_1 && (val & DF_1_PIE)) {
                info->pie_flag = 1;
            }
        }
        info->nneeded = nneeded;
        uint64_t stroff = 0;
        int found = 0;
        for (size_t i = 0; has_strtab && i < nloads && !found; i++) {
            if (strtab >= loads[i].vaddr && strtab - loads[i].vaddr < loads[i].filesz) {
                stroff = loads[i].off + (strtab - loads[i].vaddr);
                found = 1;
            }
        }
        if (!found && (nneeded > 0 || has_soname))
            return fail("its dynamic string table is not in the file");
        enum libc by_needed = LIBC_UNKNOWN;
        const char *libc_needed = NULL;
        static char names[MAX_NEEDED][256];
        for (int i = 0; i < nneeded && i < MAX_NEEDED; i++) {
            if (read_string(&e, stroff + needed[i], names[i], sizeof names[i]) != 0) return -1;
            append_name(info->needed, sizeof info->needed, names[i]);
            enum libc l = libc_of_needed(names[i]);
            if (l != LIBC_UNKNOWN && by_needed == LIBC_UNKNOWN) {
                by_needed = l;
                libc_needed = names[i];
            }
        }
        if (has_soname && read_string(&e, stroff + soname, info->soname, sizeof info->soname) != 0)
            return -1;
        enum libc by_interp = info->has_interp ? libc_of_interp(info->interp) : LIBC_UNKNOWN;
        if (by_interp != LIBC_UNKNOWN) {
            info->libc = by_interp;
            sfmt(info->libc_why, sizeof info->libc_why, "interpreter %s", info->interp);
        } else if (by_needed != LIBC_UNKNOWN) {
            info->libc = by_needed;
            sfmt(info->libc_why, sizeof info->libc_why, "needs %s", libc_needed);
        } else if (nneeded == 0) {
            info->libc = LIBC_NONE;
        }
    } else {
        info->libc = LIBC_NONE;
    }

    /* Sections: Go's own, then Go's runtime symbols (a stripped Go binary keeps its
     * .go.buildinfo and .gopclntab; one without them still names runtime.main). */
    if (shoff != 0 && shnum > 0 && shnum < 65536 && shentsize >= SIZE(&e, Shdr) &&
        shstrndx < shnum) {
        /* Unreadable sections (a packed or damaged file) leave only the Go test undone. */
        unsigned char sh[sizeof(Elf64_Shdr)];
        if (read_at(&e, shoff + shstrndx * shentsize, sh, SIZE(&e, Shdr)) != 0) return 0;
        uint64_t names_off = F(&e, sh, Shdr, sh_offset), names_size = F(&e, sh, Shdr, sh_size);
        uint64_t symtab_link = 0;
        int has_symtab = 0;
        for (uint64_t i = 1; i < shnum; i++) {
            if (read_at(&e, shoff + i * shentsize, sh, SIZE(&e, Shdr)) != 0) break;
            uint64_t name = F(&e, sh, Shdr, sh_name);
            if (F(&e, sh, Shdr, sh_type) == SHT_SYMTAB) {
                symtab_link = F(&e, sh, Shdr, sh_link);
                has_symtab = 1;
            }
            char n[32];
            if (name >= names_size || read_string(&e, names_off + name, n, sizeof n) != 0) continue;
            if (strcmp(n, ".go.buildinfo") == 0)
                info->go = "a .go.buildinfo section";
            else if (info->go == NULL && strcmp(n, ".gopclntab") == 0)
                info->go = "a .gopclntab section";
            else if (info->go == NULL && strcmp(n, ".note.go.buildid") == 0)
                info->go = "a .note.go.buildid section";
        }
        if (info->go == NULL && has_symtab && symtab_link < shnum) {
            if (read_at(&e, shoff + symtab_link * shentsize, sh, SIZE(&e, Shdr)) == 0 &&
                strtab_has_runtime(&e, F(&e, sh, Shdr, sh_offset), F(&e, sh, Shdr, sh_size)))
                info->go = "runtime.main/runtime.goexit symbols";
        }
    }
    return 0;
}

static const char *machine_name(unsigned m, int is64)
{
    static char other[32];
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return is64 ? "x86-64" : "x86-64 (x32)";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return is64 ? "riscv64" : "riscv32";
    case EM_PPC: return "powerpc";
    case EM_PPC64: return "powerpc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_SPARCV9: return "sparc64";
    case EM_LOONGARCH: return "loongarch";
    case EM_ALPHA: return "alpha";
    case EM_PARISC: return "parisc";
    default: sfmt(other, sizeof other, "machine %u", m); return other;
    }
}

/* "ELF 64-bit LSB x86-64" */
static void describe_arch(const struct elfinfo *i, char *out, size_t cap)
{
    sfmt(out, cap, "ELF %d-bit %s %s", i->is64 ? 64 : 32, i->be ? "MSB" : "LSB",
             machine_name(i->machine, i->is64));
}

/* ---------------------------------------------------------------------------------- */
/* The check: a verdict and its reasons. */

#define LINE 1024
#define MAX_LINES 40

struct report {
    int blocked, unknown;        /* a reason nothing is interposed; a reason we cannot tell */
    char blocked_why[LINE], unknown_why[LINE], ok_why[LINE];
    int nlines;
    char lines[MAX_LINES][LINE]; /* "key: text", printed indented */
};

static void vline(struct report *r, const char *fmt, va_list ap)
{
    if (r->nlines == MAX_LINES) return;
    vsnprintf(r->lines[r->nlines++], LINE, fmt, ap);
}

static void line(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(r, fmt, ap);
    va_end(ap);
}

/* A reason of one kind: the first one is the verdict's (`why`), later ones are listed. */
static void vreason(struct report *r, int *count, char *why, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void vreason(struct report *r, int *count, char *why, const char *fmt, va_list ap)
{
    char text[LINE];
    vsnprintf(text, sizeof text, fmt, ap);
    if ((*count)++ == 0) sfmt(why, LINE, "%s", text);
    else line(r, "also: %s", text);
}

/* A reason nothing will be interposed. */
static void block(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void block(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreason(r, &r->blocked, r->blocked_why, fmt, ap);
    va_end(ap);
}

/* A reason we cannot tell. */
static void unknown(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unknown(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreason(r, &r->unknown, r->unknown_why, fmt, ap);
    va_end(ap);
}

enum verdict { REACHABLE, NOT_REACHABLE, CANNOT_TELL };
static const char *const verdict_word[] = {"reachable", "not reachable", "cannot tell"};

static enum verdict verdict_of(const struct report *r)
{
    return r->blocked ? NOT_REACHABLE : r->unknown ? CANNOT_TELL : REACHABLE;
}

static const char *summary_of(const struct report *r)
{
    return r->blocked ? r->blocked_why : r->unknown ? r->unknown_why : r->ok_why;
}

struct library {
    int ok;                      /* found and parsed */
    char path[PATH_MAX];
    char error[2 * PATH_MAX + 64];
    struct elfinfo elf;
};

static void load_library(struct library *lib, int musl)
{
    memset(lib, 0, sizeof *lib);
    if (find_library(lib->path, lib->error, sizeof lib->error, musl) != 0) return;
    int fd = open(lib->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        sfmt(lib->error, sizeof lib->error, "cannot read %s: %s", lib->path, strerror(errno));
        if (fd >= 0) close(fd);
        return;
    }
    if (parse_elf(fd, (uint64_t)st.st_size, &lib->elf) != 0) {
        sfmt(lib->error, sizeof lib->error, "%s: %s", lib->path, elf_error);
        close(fd);
        return;
    }
    close(fd);
    lib->ok = 1;
}

/* The credentials of this process that decide secure execution (they are the
 * program's: the launcher execs it itself, unchanged). */
struct creds {
    int nnp;                     /* no_new_privs */
    uint64_t inh, prm, bnd;      /* CapInh, CapPrm, CapBnd */
    int known;
};

static void read_creds(struct creds *c)
{
    memset(c, 0, sizeof *c);
    c->bnd = ~(uint64_t)0;
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL) return;
    char buf[256];
    unsigned long long v;
    while (fgets(buf, sizeof buf, f) != NULL) {
        if (sscanf(buf, "CapInh: %llx", &v) == 1) c->inh = v;
        else if (sscanf(buf, "CapPrm: %llx", &v) == 1) c->prm = v;
        else if (sscanf(buf, "CapBnd: %llx", &v) == 1) c->bnd = v;
        else if (sscanf(buf, "NoNewPrivs: %llu", &v) == 1) c->nnp = v != 0;
    }
    c->known = !ferror(f);
    fclose(f);
}

static const char *const cap_names[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
    "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
    "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
    "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
    "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore"};

static void cap_list(uint64_t set, char *out, size_t cap)
{
    out[0] = '\0';
    for (unsigned b = 0; b < 64; b++) {
        if (!(set >> b & 1)) continue;
        char name[40];
        if (b < sizeof cap_names / sizeof cap_names[0])
            sfmt(name, sizeof name, "cap_%s", cap_names[b]);
        else sfmt(name, sizeof name, "cap_%u", b);
        size_t len = strlen(out);
        sfmt(out + len, cap - len, "%s%s", len ? "," : "", name);
    }
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* setuid, setgid, file capabilities: does exec run it in secure-execution mode (the
 * kernel's AT_SECURE, under which ld.so ignores LD_PRELOAD paths)? The kernel's rule
 * (fs/exec.c bprm_fill_uid, security/commoncap.c cap_bprm_creds_from_file): the bits are
 * ignored on a nosuid mount and under no_new_privs; otherwise AT_SECURE is set when the
 * new effective uid differs from the real uid or the new effective gid from the real
 * gid, or, for a caller whose real uid is not 0, when file capabilities have the
 * effective bit or give permitted capabilities. */
static void check_secure(const char *path, const struct stat *st, struct report *r)
{
    struct statvfs vfs;
    int nosuid = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
    struct creds c;
    read_creds(&c);
    uid_t ruid = getuid();
    gid_t rgid = getgid();
    int suid = (st->st_mode & S_ISUID) != 0;
    /* S_ISGID without S_IXGRP is mandatory locking, not setgid. */
    int sgid = (st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
    if (suid || sgid) {
        const char *bits = suid && sgid ? "setuid and setgid bits"
                           : suid       ? "setuid bit"
                                        : "setgid bit";
        if (nosuid) {
            line(r, "note: its %s is ignored: its file system is mounted nosuid", bits);
        } else if (c.nnp) {
            line(r, "note: its %s is ignored: this process has no_new_privs set", bits);
        } else {
            uid_t euid = suid ? st->st_uid : geteuid();
            gid_t egid = sgid ? st->st_gid : getegid();
            if (euid != ruid)
                block(r, "setuid to uid %u while your real uid is %u: the kernel runs it in "
                      "secure-execution mode (AT_SECURE), where the dynamic linker ignores "
                      "LD_PRELOAD (only an effective uid equal to the real uid avoids this)",
                      (unsigned)euid, (unsigned)ruid);
            if (egid != rgid)
                block(r, "setgid to gid %u while your real gid is %u: the kernel runs it in "
                      "secure-execution mode (AT_SECURE), where the dynamic linker ignores "
                      "LD_PRELOAD (being root does not help: only a real gid equal to the "
                      "file's group does)", (unsigned)egid, (unsigned)rgid);
            if (suid && !sgid && euid == ruid && egid == rgid)
                line(r, "note: setuid to uid %u, which is your real uid: no secure-execution mode "
                     "(AT_SECURE is not set), LD_PRELOAD is honoured", (unsigned)euid);
            else if (!suid && euid == ruid && egid == rgid)
                line(r, "note: setgid to gid %u, which is your real gid: no secure-execution mode "
                     "(AT_SECURE is not set), LD_PRELOAD is honoured", (unsigned)egid);
            else if (euid == ruid && egid == rgid)
                line(r, "note: setuid to uid %u and setgid to gid %u, which are your real uid and "
                     "gid: no secure-execution mode (AT_SECURE is not set), LD_PRELOAD is honoured",
                     (unsigned)euid, (unsigned)egid);
        }
    }

    unsigned char x[24];
    ssize_t n = getxattr(path, "security.capability", x, sizeof x);
    if (n < 0) {
        if (errno != ENODATA && errno != ENOTSUP)
            unknown(r, "cannot read its file capabilities (security.capability): %s",
                    strerror(errno));
        return;
    }
    if (n < 4) {
        unknown(r, "a malformed security.capability attribute (%zd bytes)", n);
        return;
    }
    uint32_t magic = le32(x);
    uint32_t rev = magic & 0xFF000000u;
    int effective = (magic & 1u) != 0;
    uint64_t fp, fi;
    uint32_t rootid = 0;
    if (rev == 0x01000000u && n >= 12) {
        fp = le32(x + 4);
        fi = le32(x + 8);
    } else if ((rev == 0x02000000u && n >= 20) || (rev == 0x03000000u && n >= 24)) {
        fp = le32(x + 4) | (uint64_t)le32(x + 12) << 32;
        fi = le32(x + 8) | (uint64_t)le32(x + 16) << 32;
        if (rev == 0x03000000u) rootid = le32(x + 20);
    } else {
        unknown(r, "a security.capability attribute of unknown revision 0x%08x", (unsigned)magic);
        return;
    }
    char ps[LINE / 2], is[LINE / 4], text[LINE];
    cap_list(fp, ps, sizeof ps);
    cap_list(fi, is, sizeof is);
    sfmt(text, sizeof text, "%s%s%s%s%s%s", fp ? ps : "", fp ? (effective ? "=ep" : "=p") : "",
             fp && fi ? " " : "", fi ? is : "", fi ? "+i" : "", !fp && !fi ? "none" : "");
    if (nosuid) {
        line(r, "note: its file capabilities (%s) are ignored: its file system is mounted "
             "nosuid", text);
        return;
    }
    if (rootid != 0) {
        unknown(r, "namespaced file capabilities (%s) for the user namespace whose root is uid %u",
                text, (unsigned)rootid);
        return;
    }
    if (ruid == 0) {
        line(r, "note: file capabilities %s: your real uid is 0, so they do not make it "
             "secure-execution (AT_SECURE is not set), LD_PRELOAD is honoured", text);
        return;
    }
    uint64_t gained = (fp & c.bnd) | (fi & c.inh);
    if (c.nnp) gained &= c.prm;  /* no_new_privs: no more than it has */
    if (effective || gained != 0)
        block(r, "file capabilities %s while your real uid is %u, not 0: the kernel runs it in "
              "secure-execution mode (AT_SECURE), where the dynamic linker ignores LD_PRELOAD",
              text, (unsigned)ruid);
    else
        line(r, "note: file capabilities %s give you nothing (inheritable only, and you hold "
             "none of them): no secure-execution mode", text);
}

static void check_path(const char *path, int depth, const struct library *lib, struct report *r);

/* A dynamic linker run directly: glibc's by its soname; musl's (libc.so, no soname) by
 * its file name. */
static int is_dynamic_linker(const struct elfinfo *i, const char *path)
{
    const char *s = i->soname;
    if (prefix(s, "ld-linux") || prefix(s, "ld64.so") || prefix(s, "ld-musl")) return 1;
    char real[PATH_MAX];
    if (i->nneeded != 0 || i->pie_flag || realpath(path, real) == NULL) return 0;
    const char *b = base_name(real);
    return strcmp(b, "libc.so") == 0 || prefix(b, "ld-musl-");
}

static void check_elf(const char *path, int fd, const struct stat *st, const struct library *lib,
                      struct report *r)
{
    struct elfinfo i;
    if (parse_elf(fd, (uint64_t)st->st_size, &i) != 0) {
        unknown(r, "a damaged or unusual ELF file: %s", elf_error);
        return;
    }
    char arch[64], desc[LINE];
    describe_arch(&i, arch, sizeof arch);
    const char *kind = "unknown type";
    if (i.type == ET_EXEC) kind = "executable";
    else if (i.type == ET_DYN && (i.has_interp || i.pie_flag)) kind = "position-independent executable";
    else if (i.type == ET_DYN) kind = "shared object";
    else if (i.type == ET_REL) kind = "relocatable object";
    else if (i.type == ET_CORE) kind = "core file";
    int n = sfmt(desc, sizeof desc, "%s, %s", arch, kind);
    if (i.has_interp) n += sfmt(desc + n, sizeof desc - (size_t)n, ", interpreter %s", i.interp);
    else n += sfmt(desc + n, sizeof desc - (size_t)n, ", no PT_INTERP%s",
                   i.has_dynamic ? "" : ", no PT_DYNAMIC");
    if (i.nneeded > 0 && (size_t)n < sizeof desc)
        n += sfmt(desc + n, sizeof desc - (size_t)n, ", needs %s", i.needed);
    if (i.go != NULL && (size_t)n < sizeof desc)
        sfmt(desc + n, sizeof desc - (size_t)n, ", Go (%s)", i.go);
    line(r, "program: %s", desc);

    if (i.type != ET_EXEC && i.type != ET_DYN) {
        unknown(r, "an ELF %s, not a program", kind);
        return;
    }
    if (lib->ok &&
        (i.is64 != lib->elf.is64 || i.machine != lib->elf.machine || i.be != lib->elf.be)) {
        char larch[64];
        describe_arch(&lib->elf, larch, sizeof larch);
        block(r, "%s while libsockshim is %s: a dynamic linker does not load a library of "
              "another class or machine (glibc's says \"cannot be preloaded\" and goes on "
              "without it)",
              arch, larch);
    }

    if (!i.has_interp) {
        if (i.type == ET_DYN && is_dynamic_linker(&i, path)) {
            unknown(r, "a dynamic linker (%s), run directly: it reads LD_PRELOAD for the "
                    "program it is asked to load, which is not checked here",
                    i.soname[0] ? i.soname : "musl's libc.so");
        } else if (i.go != NULL) {
            block(r, "a Go program, statically linked (no PT_INTERP): it makes its own system "
                  "calls and no dynamic linker runs, so LD_PRELOAD is never read");
        } else if (!i.has_dynamic) {
            block(r, "statically linked (no PT_INTERP, no PT_DYNAMIC): no dynamic linker runs, "
                  "so LD_PRELOAD is never read");
        } else if (i.type == ET_DYN && (i.pie_flag || i.nneeded == 0)) {
            block(r, "static-pie (PT_DYNAMIC but no PT_INTERP): it relocates itself, no dynamic "
                  "linker runs, so LD_PRELOAD is never read");
        } else if (i.type == ET_DYN) {
            unknown(r, "a shared library (no PT_INTERP), not a program");
        } else {
            block(r, "no program interpreter (no PT_INTERP): no dynamic linker runs, so "
                  "LD_PRELOAD is never read");
        }
        return;
    }

    /* Dynamically linked. */
    if (access(i.interp, X_OK) != 0)
        unknown(r, "its dynamic linker %s cannot be run here (%s): the program cannot start",
                i.interp, strerror(errno));
    if (i.go != NULL) {
        if (i.libc != LIBC_NONE && i.libc != LIBC_UNKNOWN)
            block(r, "a Go program using cgo, dynamically linked with %s (%s): libsockshim is "
                  "loaded, but Go's net package makes its socket system calls directly; only C "
                  "code the program calls through cgo goes through the library",
                  libc_name[i.libc], i.libc_why);
        else
            block(r, "a Go program not linked with a C library: it makes its own system calls");
    }
    if (lib->ok && i.libc != LIBC_UNKNOWN && i.libc != LIBC_NONE && lib->elf.libc != i.libc &&
        lib->elf.libc != LIBC_UNKNOWN && lib->elf.libc != LIBC_NONE) {
        block(r, "linked with %s (%s) while libsockshim is built for %s (%s): its dynamic "
              "linker cannot use the library%s", libc_name[i.libc], i.libc_why,
              libc_name[lib->elf.libc], lib->elf.libc_why,
              i.libc == LIBC_MUSL ? " (musl's fails to load it and refuses to start the program: "
              "exit status 127)" : "");
    }
    if (i.libc == LIBC_UNKNOWN || i.libc == LIBC_NONE)
        unknown(r, "dynamically linked (interpreter %s) with %s: whether its socket calls go "
                "through a library cannot be told", i.interp, libc_name[i.libc]);
    if (lib->ok)
        sfmt(r->ok_why, sizeof r->ok_why, "dynamically linked with %s, as libsockshim is: "
                 "its dynamic linker (%s) will preload the library", libc_name[i.libc], i.interp);
    check_secure(path, st, r);
}

/* Copies the verdict of `sub` into `r`: one line "label: name: verdict: summary", its
 * lines indented, and "its label name is ..." as r's own reason. */
static void adopt(struct report *r, const struct report *sub, const char *label, const char *name)
{
    enum verdict v = verdict_of(sub);
    line(r, "%s: %s: %s: %s", label, name, verdict_word[v], summary_of(sub));
    for (int k = 0; k < sub->nlines; k++) line(r, "  %s", sub->lines[k]);
    if (v == NOT_REACHABLE)
        block(r, "its %s %s is not reachable: %s", label, name, summary_of(sub));
    else if (v == CANNOT_TELL) unknown(r, "its %s %s: %s", label, name, summary_of(sub));
    else sfmt(r->ok_why, sizeof r->ok_why, "its %s %s is reachable: %s", label, name, sub->ok_why);
}

/* PROGRAM as execvp(3) finds it: as given if it has a slash, else the first executable
 * regular file in PATH (glibc's default "/bin:/usr/bin" when PATH is unset; an empty
 * element is the current directory), else the first one found that is not (exec would
 * fail with EACCES). 0, or -1 if nothing by that name exists. */
static int resolve(const char *name, char out[PATH_MAX])
{
    if (strchr(name, '/') != NULL || name[0] == '\0') {
        if (strlen(name) >= PATH_MAX) return -1;
        strcpy(out, name);
        return 0;
    }
    const char *path = getenv("PATH");
    if (path == NULL) path = "/bin:/usr/bin";
    int have_fallback = 0;
    for (const char *p = path;;) {
        size_t len = strcspn(p, ":");
        char cand[PATH_MAX];
        int w = len == 0 ? sfmt(cand, sizeof cand, "%s", name)
                         : sfmt(cand, sizeof cand, "%.*s/%s", (int)len, p, name);
        struct stat st;
        if (w > 0 && (size_t)w < sizeof cand && stat(cand, &st) == 0) {
            if (S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
                strcpy(out, cand);
                return 0;
            }
            if (!have_fallback) {
                strcpy(out, cand);
                have_fallback = 1;
            }
        }
        if (p[len] == '\0') break;
        p += len + 1;
    }
    return have_fallback ? 0 : -1;
}

/* env(1) as a #! interpreter: the program it runs, from its one argument. */
static int env_target(const char *arg, char *out, size_t cap)
{
    if (prefix(arg, "-S")) {
        arg += 2;
        arg += strspn(arg, " \t");
        size_t len = strcspn(arg, " \t");
        if (len == 0 || len >= cap || arg[0] == '-' || strchr(arg, '=') != NULL) return -1;
        memcpy(out, arg, len);
        out[len] = '\0';
        return 0;
    }
    if (arg[0] == '-' || arg[0] == '\0' || strpbrk(arg, " \t=") != NULL || strlen(arg) >= cap)
        return -1;
    strcpy(out, arg);
    return 0;
}

static void check_script(const unsigned char *head, size_t n, const struct stat *st,
                         int depth, const struct library *lib, struct report *r)
{
    /* As the kernel reads it (fs/binfmt_script.c): the interpreter up to a blank, then
     * the rest of the line, trimmed, as one optional argument. */
    char text[257];
    memcpy(text, head, n);
    text[n] = '\0';
    char *nl = memchr(text, '\n', n);
    if (nl != NULL) *nl = '\0';
    char *interp = text + 2;
    interp += strspn(interp, " \t");
    size_t ilen = strcspn(interp, " \t");
    char *arg = interp + ilen;
    if (*arg != '\0') *arg++ = '\0';
    arg += strspn(arg, " \t");
    size_t alen = strlen(arg);
    while (alen > 0 && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t')) arg[--alen] = '\0';
    line(r, "script: #!%s%s%s", interp, alen ? " " : "", arg);
    if (interp[0] == '\0') {
        unknown(r, "a #! line without an interpreter: the kernel refuses it (ENOEXEC) and "
                "execvp(3) runs it with /bin/sh");
        return;
    }
    if (nl == NULL && n == 256) {
        unknown(r, "a #! line longer than the kernel reads (256 bytes)");
        return;
    }
    if (depth >= 4) {
        unknown(r, "more than four levels of #! interpreters: the kernel refuses it (ELOOP)");
        return;
    }
    if (st->st_mode & (S_ISUID | S_ISGID))
        line(r, "note: its setuid/setgid bit is ignored: Linux never runs a script setuid");
    struct report sub;
    memset(&sub, 0, sizeof sub);
    check_path(interp, depth + 1, lib, &sub);
    char target[PATH_MAX], resolved[PATH_MAX];
    if (strcmp(base_name(interp), "env") == 0 && verdict_of(&sub) != CANNOT_TELL) {
        /* env only execs the program named: that program's verdict is the script's. */
        line(r, "interpreter: %s: %s: %s", interp, verdict_word[verdict_of(&sub)],
             summary_of(&sub));
        if (alen == 0 || env_target(arg, target, sizeof target) != 0) {
            unknown(r, "run by %s with the arguments '%s': the program it runs is not checked",
                    interp, arg);
            return;
        }
        struct report prog;
        memset(&prog, 0, sizeof prog);
        char shown[2 * PATH_MAX + 8];
        if (resolve(target, resolved) != 0) {
            unknown(&prog, "not found in PATH");
            sfmt(shown, sizeof shown, "%s", target);
        } else {
            check_path(resolved, depth + 1, lib, &prog);
            if (strcmp(target, resolved) == 0) sfmt(shown, sizeof shown, "%s", target);
            else sfmt(shown, sizeof shown, "%s (%s)", target, resolved);
        }
        adopt(r, &prog, "program (run by env)", shown);
    } else {
        adopt(r, &sub, "interpreter", interp);
    }
    if (depth == 0)
        line(r, "note: the commands a script runs are programs of their own, each reached only if "
             "it is itself (sockshim --check COMMAND), and only if the interpreter passes "
             "LD_PRELOAD on");
}

static void check_path(const char *path, int depth, const struct library *lib, struct report *r)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        unknown(r, "%s", errno == ENOENT ? "no such file" : strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        unknown(r, "a directory, not a program: it cannot be run (EACCES)");
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        unknown(r, "not a regular file: it cannot be run (EACCES)");
        return;
    }
    if (access(path, X_OK) != 0) {
        unknown(r, "not executable by you: it cannot be run (%s)", strerror(errno));
        return;
    }
    struct statvfs vfs;
    if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC)) {
        unknown(r, "on a file system mounted noexec: it cannot be run (EACCES)");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        unknown(r, "cannot read it to check (%s)", strerror(errno));
        check_secure(path, &st, r);
        return;
    }
    unsigned char head[256];
    struct elf e = {fd, (uint64_t)st.st_size, 0, 0};
    size_t n = st.st_size < (off_t)sizeof head ? (size_t)st.st_size : sizeof head;
    if (read_at(&e, 0, head, n) != 0) {
        unknown(r, "%s", elf_error);
    } else if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) {
        check_elf(path, fd, &st, lib, r);
    } else if (n >= 2 && head[0] == '#' && head[1] == '!') {
        check_script(head, n, &st, depth, lib, r);
    } else if (depth > 0) {
        unknown(r, "neither an ELF program nor a #! script");
    } else {
        line(r, "program: neither ELF nor a #! script: the kernel refuses it (ENOEXEC) and "
             "execvp(3) runs it with /bin/sh");
        struct report sub;
        memset(&sub, 0, sizeof sub);
        check_path("/bin/sh", depth + 1, lib, &sub);
        adopt(r, &sub, "interpreter", "/bin/sh");
    }
    close(fd);
}

/* The whole check of PROGRAM (as on the command line). */
static enum verdict check_program(const char *name, const struct library *lib, struct report *r,
                                  char *shown, size_t cap)
{
    char path[PATH_MAX];
    memset(r, 0, sizeof *r);
    if (resolve(name, path) != 0) {
        sfmt(shown, cap, "%s", name);
        unknown(r, "not found in PATH: it cannot be run (sockshim would exit with 127)");
    } else {
        if (strcmp(path, name) == 0) sfmt(shown, cap, "%s", name);
        else sfmt(shown, cap, "%s (%s)", name, path);
        check_path(path, 0, lib, r);
    }
    if (!lib->ok) unknown(r, "libsockshim: %s", lib->error);
    return verdict_of(r);
}

/* Is the program `name` (found as execvp would) an ELF file linked with musl? */
static int linked_with_musl(const char *name)
{
    char path[PATH_MAX];
    struct elfinfo info;
    struct stat st;
    if (resolve(name, path) != 0) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int ok = fstat(fd, &st) == 0 && parse_elf(fd, (uint64_t)st.st_size, &info) == 0;
    close(fd);
    return ok && info.libc == LIBC_MUSL;
}

static int run_check(const char *name, int quiet)
{
    struct library lib;
    load_library(&lib, linked_with_musl(name));
    static struct report r;
    char shown[2 * PATH_MAX + 8];
    enum verdict v = check_program(name, &lib, &r, shown, sizeof shown);
    if (!quiet) {
        printf("%s: %s: %s\n", shown, verdict_word[v], summary_of(&r));
        for (int k = 0; k < r.nlines; k++) printf("  %s\n", r.lines[k]);
        if (lib.ok) {
            char arch[64];
            describe_arch(&lib.elf, arch, sizeof arch);
            printf("  library: %s: %s, for %s (%s)\n", lib.path, arch, libc_name[lib.elf.libc],
                   lib.elf.libc_why[0] ? lib.elf.libc_why : "no C library named");
        }
        if (fflush(stdout) != 0) return EXIT_CANNOT_TELL;
    }
    return v == REACHABLE ? EXIT_YES : v == NOT_REACHABLE ? EXIT_NO : EXIT_CANNOT_TELL;
}

/* The normal path: one line when nothing will be interposed. */
static void warn_if_unreachable(const char *name)
{
    struct library lib;
    load_library(&lib, linked_with_musl(name));
    static struct report r;
    char shown[2 * PATH_MAX + 8];
    if (check_program(name, &lib, &r, shown, sizeof shown) == NOT_REACHABLE)
        fprintf(stderr, "sockshim: warning: libsockshim will not reach %s: %s "
                "(sockshim --check for details, --quiet to silence)\n", name, summary_of(&r));
}

/* ---------------------------------------------------------------------------------- */
/* --status PID */

/* The whole of a /proc file (NUL bytes included, and one more after them) in a malloc'd
 * buffer, or NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    int e = buf == NULL ? ENOMEM : 0;
    while (e == 0) {
        if (used + 1 == cap) {
            char *bigger = cap < ((size_t)1 << 28) ? realloc(buf, cap * 2) : NULL;
            if (bigger == NULL) {
                e = cap < ((size_t)1 << 28) ? ENOMEM : EFBIG;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) e = errno;
        else if (n == 0) break;
        else used += (size_t)n;
    }
    close(fd);
    if (e != 0) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

/* AT_SECURE of process `pid`, from /proc/PID/auxv (its word size from /proc/PID/exe):
 * 1, 0, or -1 if unknown. */
static int at_secure(const char *pid)
{
    char p[64];
    sfmt(p, sizeof p, "/proc/%s/exe", pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    unsigned char ident[EI_NIDENT];
    ssize_t n = read(fd, ident, sizeof ident);
    close(fd);
    if (n != (ssize_t)sizeof ident || memcmp(ident, ELFMAG, SELFMAG) != 0) return -1;
    size_t word = ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
    sfmt(p, sizeof p, "/proc/%s/auxv", pid);
    size_t len;
    char *aux = slurp(p, &len);
    if (aux == NULL) return -1;
    int result = -1;
    for (size_t off = 0; off + 2 * word <= len; off += 2 * word) {
        uint64_t type = 0, val = 0;
        /* The process runs on this kernel: its byte order is ours. */
        if (word == 8) {
            memcpy(&type, aux + off, 8);
            memcpy(&val, aux + off + 8, 8);
        } else {
            uint32_t t, v;
            memcpy(&t, aux + off, 4);
            memcpy(&v, aux + off + 4, 4);
            type = t;
            val = v;
        }
        if (type == AT_NULL) break;
        if (type == AT_SECURE) result = val != 0;
    }
    free(aux);
    return result;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char needs_ptrace[] =
    "reading it takes the right to ptrace the process (as a rule, being its owner or root)";

static int run_status(const char *pid, int quiet)
{
    if (pid[0] == '\0' || strspn(pid, "0123456789") != strlen(pid) || strlen(pid) > 10)
        bad_usage("--status needs a process id, not '%s'", pid);
    FILE *out = quiet ? NULL : stdout;
    char p[PATH_MAX];
    sfmt(p, sizeof p, "/proc/%s/comm", pid);
    size_t len;
    char *comm = slurp(p, &len);
    if (comm == NULL) {
        if (out) printf("process %s: cannot tell: %s\n", pid,
                        errno == ENOENT ? "no such process" : strerror(errno));
        return EXIT_CANNOT_TELL;
    }
    comm[strcspn(comm, "\n")] = '\0';

    struct library lib;
    load_library(&lib, 0);
    struct stat lst;
    int have_lib = lib.ok && stat(lib.path, &lst) == 0;

    sfmt(p, sizeof p, "/proc/%s/maps", pid);
    char *maps = slurp(p, &len);
    if (maps == NULL) {
        if (out) printf("process %s (%s): cannot tell: cannot read /proc/%s/maps (%s): %s\n", pid,
                        comm, pid, strerror(errno), needs_ptrace);
        free(comm);
        return EXIT_CANNOT_TELL;
    }
    /* "start-end perms offset MM:mm inode   path": the library by device and inode, or
     * any file named libsockshim.so* (another copy). */
    char mapped[PATH_MAX] = "";
    for (char *l = maps; *l != '\0' && mapped[0] == '\0';) {
        char *end = strchr(l, '\n');
        if (end != NULL) *end = '\0';
        unsigned maj, min;
        unsigned long long ino;
        int pos = 0;
        if (sscanf(l, "%*s %*s %*s %x:%x %llu %n", &maj, &min, &ino, &pos) == 3 && pos > 0 &&
            l[pos] == '/') {
            const char *file = l + pos;
            int same = have_lib && ino == (unsigned long long)lst.st_ino &&
                       makedev(maj, min) == lst.st_dev;
            if (same || prefix(base_name(file), "libsockshim.so"))
                sfmt(mapped, sizeof mapped, "%s", file);
        }
        if (end == NULL) break;
        l = end + 1;
    }
    free(maps);
    int is_mapped = mapped[0] != '\0';
    if (out) {
        if (is_mapped)
            printf("process %s (%s): libsockshim is mapped: %s\n", pid, comm, mapped);
        else
            printf("process %s (%s): libsockshim is not mapped: its socket calls are the C "
                   "library's own\n", pid, comm);
    }
    free(comm);
    if (!out) return is_mapped ? EXIT_YES : EXIT_NO;

    /* The environment it was started with. */
    sfmt(p, sizeof p, "/proc/%s/environ", pid);
    char *env = slurp(p, &len);
    if (env == NULL) {
        printf("  policies: cannot read /proc/%s/environ (%s): %s\n", pid, strerror(errno),
               needs_ptrace);
    } else {
        char policies[LINE] = "", preload[LINE] = "";
        const char *vars[32];
        size_t nvars = 0;
        for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
            const char *var = env + off;
            if (prefix(var, "SOCKSHIM_") && nvars < sizeof vars / sizeof vars[0])
                vars[nvars++] = var;
            else if (prefix(var, "LD_PRELOAD=")) sfmt(preload, sizeof preload, "%s", var);
        }
        qsort(vars, nvars, sizeof vars[0], compare_strings);
        for (size_t k = 0; k < nvars; k++) {
            size_t used = strlen(policies);
            sfmt(policies + used, sizeof policies - used, "%s%s", used ? " " : "", vars[k]);
        }
        free(env);
        printf("  policies: %s (from /proc/%s/environ, the environment it was started with)\n",
               policies[0] ? policies : "none, no SOCKSHIM_* variable", pid);
        printf("  preload: %s\n", preload[0] ? preload : "no LD_PRELOAD");
    }
    int secure = at_secure(pid);
    if (secure == 1)
        printf("  note: a secure-execution process (AT_SECURE): the library ignores the policy "
               "variables\n");
    if (is_mapped)
        printf("  note: the no-SIGPIPE state lives in the process's memory and cannot be read "
               "from outside\n");

    /* Its sockets, and the O_CLOEXEC bit of each one's fdinfo flags. */
    sfmt(p, sizeof p, "/proc/%s/fd", pid);
    DIR *dir = opendir(p);
    if (dir == NULL) {
        printf("  sockets: cannot read /proc/%s/fd (%s): %s\n", pid, strerror(errno), needs_ptrace);
    } else {
        int count = 0;
        struct dirent *d;
        int list_error;
        for (;;) {
            errno = 0;
            d = readdir(dir);
            list_error = errno;
            if (d == NULL) break;
            if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
            char link[PATH_MAX], target[128];
            sfmt(link, sizeof link, "/proc/%s/fd/%s", pid, d->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n < 0) continue; /* closed meanwhile */
            target[n] = '\0';
            unsigned long long ino;
            if (sscanf(target, "socket:[%llu]", &ino) != 1) continue;
            char proto[64] = "";
            ssize_t pn = getxattr(link, "system.sockprotoname", proto, sizeof proto - 1);
            proto[pn > 0 ? pn : 0] = '\0';
            char info[PATH_MAX];
            sfmt(info, sizeof info, "/proc/%s/fdinfo/%s", pid, d->d_name);
            size_t flen;
            char *fdinfo = slurp(info, &flen);
            const char *cloexec = "unknown";
            const char *flags = fdinfo == NULL ? NULL : strstr(fdinfo, "flags:");
            unsigned long fl;
            if (flags != NULL && sscanf(flags, "flags: %lo", &fl) == 1)
                cloexec = (fl & O_CLOEXEC) ? "yes" : "no";
            free(fdinfo);
            if (count++ == 0)
                printf("  sockets (close-on-exec: the O_CLOEXEC bit of flags in "
                       "/proc/%s/fdinfo):\n", pid);
            printf("  fd %s: socket inode %llu%s%s%s, cloexec %s\n", d->d_name, ino,
                   proto[0] ? " (" : "", proto, proto[0] ? ")" : "", cloexec);
        }
        if (list_error != 0)
            printf("  sockets: the list stopped early: %s\n", strerror(list_error));
        else if (count == 0) printf("  sockets: none\n");
        closedir(dir);
    }
    if (fflush(stdout) != 0) return EXIT_CANNOT_TELL;
    return is_mapped ? EXIT_YES : EXIT_NO;
}

int main(int argc, char **argv)
{
    const char *personality = NULL, *status = NULL;
    int nosigpipe = 0, cloexec = 0, inherit = 0, quiet = 0, check = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') break;
        if (strcmp(a, "--nosigpipe") == 0) {
            nosigpipe = 1;
        } else if (strcmp(a, "--cloexec") == 0) {
            cloexec = 1;
        } else if (strcmp(a, "--accept-inherit") == 0) {
            inherit = 1;
        } else if (strcmp(a, "--personality") == 0) {
            if (++i == argc) bad_usage("option '%s' needs an argument", a);
            personality = argv[i];
        } else if (strncmp(a, "--personality=", 14) == 0) {
            personality = a + 14;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--check") == 0) {
            check = 1;
        } else if (strcmp(a, "--status") == 0) {
            if (++i == argc) bad_usage("option '%s' needs an argument", a);
            status = argv[i];
        } else if (strncmp(a, "--status=", 9) == 0) {
            status = a + 9;
        } else if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER;
        } else if (strcmp(a, "--version") == 0) {
            printf("sockshim %s\n", SOCKSHIM_VERSION);
            return fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER;
        } else {
            bad_usage("unknown option '%s'", a);
        }
    }
    if (personality != NULL && strcmp(personality, "netbsd") != 0 && strcmp(personality, "linux") != 0)
        bad_usage("--personality must be 'netbsd' or 'linux', not '%s'", personality);
    if (status != NULL) {
        if (check) bad_usage("%s", "--check and --status cannot be combined");
        if (i != argc) bad_usage("--status takes no program ('%s')", argv[i]);
        return run_status(status, quiet);
    }
    if (i == argc) bad_usage("%s", "no program given");
    if (check) return run_check(argv[i], quiet);

    char lib[PATH_MAX];
    library_path(lib, linked_with_musl(argv[i]));
    append_preload(lib);
    if (nosigpipe) set("SOCKSHIM_NOSIGPIPE", "1");
    if (cloexec) set("SOCKSHIM_CLOEXEC", "1");
    if (inherit) set("SOCKSHIM_ACCEPT_INHERIT", "1");
    if (personality != NULL) set("SOCKSHIM_PERSONALITY", personality);
    if (!quiet) warn_if_unreachable(argv[i]);

    execvp(argv[i], &argv[i]);
    int e = errno;
    fprintf(stderr, "sockshim: '%s': %s\n", argv[i], strerror(e));
    return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
