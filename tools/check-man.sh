#!/usr/bin/env bash
# Checks the manual pages (issue 14): sockshim(1) in tools/, paccept(3), sockshim(3) and
# sockshim(7) in man/. For each page:
#   - `man --warnings -l` renders it at 80 columns with nothing on stderr;
#   - `mandoc -T lint -W style` prints nothing: no error, warning or style message;
#   - lexgrog (man-db) finds its NAME section;
#   - every cross reference names a page of the project or one installed on this system;
#   - a man(7) page's footer (.TH) names the version in Cargo.toml;
# then `make install` puts every page where `man` finds it by name, and `make uninstall`
# removes them. One line per check; the last line is `N passed, M failed, K skipped`.
#
# mandoc's lint runs at -W style: every message of level style, warning, error or worse
# fails. (Its default level, base, adds the conventions of the OpenBSD and NetBSD base
# systems and looks up cross references in /usr/share/man only, where Debian has no
# mandoc.db and the project's pages are not installed yet.) At -W style it looks cross
# references up in the manpath, so the lint runs with MANPATH set to a private tree that
# holds the project's pages and a copy of each system page they reference, indexed by
# makewhatis: a reference to a page that exists nowhere is reported, and nothing outside
# the tree is written.
#
# As root, missing tools are installed with apt-get (man-db, groff-base, mandoc, and
# manpages/manpages-dev for the pages referenced); otherwise their checks are skipped.
set -u
cd "$(dirname "$0")/.." || exit 1
PAGES="tools/sockshim.1 man/paccept.3 man/sockshim.3 man/sockshim.7"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok()   { passed=$((passed + 1)); echo "ok      $1"; }
fail() { failed=$((failed + 1)); echo "FAILED  $1"; [ -s "$tmp/why" ] && sed 's/^/    /' "$tmp/why" | head -n 40; }
skip() { skipped=$((skipped + 1)); echo "skip    $1"; }

# Tools: installed when root and missing.
need=()
command -v man >/dev/null && command -v lexgrog >/dev/null || need+=(man-db)
command -v groff >/dev/null || need+=(groff-base)
command -v mandoc >/dev/null && command -v makewhatis >/dev/null || need+=(mandoc)
[ -e /usr/share/man/man2/accept.2.gz ] || need+=(manpages-dev)
[ -e /usr/share/man/man7/signal.7.gz ] || need+=(manpages)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]}"
    { apt-get install -y -q "${need[@]}" || { apt-get update -q && apt-get install -y -q "${need[@]}"; }; } \
        >"$tmp/apt.log" 2>&1 || tail -n 5 "$tmp/apt.log"
fi
have_man=0 have_mandoc=0
command -v man >/dev/null && command -v lexgrog >/dev/null && command -v groff >/dev/null && have_man=1
command -v mandoc >/dev/null && command -v makewhatis >/dev/null && have_mandoc=1

# The cross references of a page, one "name section" a line: mdoc's `.Xr name sec` and
# man(7)'s `.BR name (sec)`.
xrefs() {
    sed -n -e 's/^\.Xr[[:space:]]\{1,\}\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}\([0-9][a-z]*\).*/\1 \2/p' \
           -e 's/^\.BR[[:space:]]\{1,\}\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}(\([0-9][a-z]*\)).*/\1 \2/p' "$1" | sort -u
}
# The name and section a page is installed as (the file name, as make install uses it).
page_id() { local b; b=$(basename "$1"); echo "${b%.*} ${b##*.}"; }

# The private manpath: the project's pages, and a copy of every system page they cite.
T=$tmp/man
mkdir -p "$T"
for p in $PAGES; do
    read -r n s < <(page_id "$p")
    mkdir -p "$T/man$s" && cp "$p" "$T/man$s/$n.$s"
done
: >"$tmp/missing"
for p in $PAGES; do
    xrefs "$p" | while read -r n s; do
        [ -e "$T/man$s/$n.$s" ] || [ -e "$T/man$s/$n.$s.gz" ] && continue
        if [ "$have_man" = 1 ] && f=$(man -w "$s" "$n" 2>/dev/null) && [ -n "$f" ]; then
            mkdir -p "$T/man$s"
            case $f in *.gz) cp "$f" "$T/man$s/$n.$s.gz" ;; *) cp "$f" "$T/man$s/$n.$s" ;; esac
        else
            echo "$p: $n($s)" >>"$tmp/missing"
        fi
    done
done
[ "$have_mandoc" = 1 ] && makewhatis "$T" >"$tmp/makewhatis.log" 2>&1

for p in $PAGES; do
    if [ ! -f "$p" ]; then
        echo "$p does not exist" >"$tmp/why"; fail "$p exists"; continue
    fi
    # Rendering, warnings as failures.
    if [ "$have_man" = 1 ]; then
        LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" >"$tmp/out" 2>"$tmp/why"
        if [ -s "$tmp/why" ]; then fail "man --warnings -l $p: no warnings"
        elif [ ! -s "$tmp/out" ]; then echo "no output" >"$tmp/why"; fail "man --warnings -l $p: no warnings"
        else ok "man --warnings -l $p: no warnings ($(wc -l <"$tmp/out") lines at 80 columns)"; fi
    else
        skip "man --warnings -l $p: man-db or groff not installed"
    fi
    # mandoc's lint, every level down to style.
    if [ "$have_mandoc" = 1 ]; then
        MANPATH=$T mandoc -T lint -W style "$p" >"$tmp/why" 2>&1
        if [ -s "$tmp/why" ]; then fail "mandoc -T lint -W style $p: clean"
        else ok "mandoc -T lint -W style $p: clean"; fi
    else
        skip "mandoc -T lint $p: mandoc not installed"
    fi
    # The NAME section, as man-db's indexer reads it.
    if [ "$have_man" = 1 ]; then
        read -r n s < <(page_id "$p")
        if lexgrog "$p" >"$tmp/why" 2>&1 && grep -q "\"$n - .\{8,\}\"" "$tmp/why"; then
            ok "lexgrog $p: NAME section ($(grep -c ' - ' "$tmp/why") names)"
        else
            fail "lexgrog $p: NAME section with $n"
        fi
    else
        skip "lexgrog $p: man-db not installed"
    fi
    # A man(7) page's footer names this version (.TH), so a release updates it (the mdoc
    # pages leave .Os empty, as libbsd's do: mandoc's lint asks that of BSD pages).
    if grep -q '^\.TH ' "$p"; then
        if grep -q -E "^\.TH .* \"?sockshim $VERSION\"?( |\$)" "$p"; then
            ok "$p: footer says sockshim $VERSION"
        else
            grep '^\.TH' "$p" >"$tmp/why"; fail "$p: footer says sockshim $VERSION (Cargo.toml)"
        fi
    fi
    # Cross references.
    if [ "$have_man" = 1 ]; then
        grep "^$p: " "$tmp/missing" | sed "s|^$p: |not found: |" >"$tmp/why"
        if [ -s "$tmp/why" ]; then fail "$p: every cross reference exists"
        else ok "$p: every cross reference exists ($(xrefs "$p" | wc -l) pages)"; fi
    else
        skip "$p: cross references: man-db not installed"
    fi
done

# make install puts the pages where man finds them by name; make uninstall removes them.
if ! make -q target/release/libsockshim.so 2>/dev/null; then
    skip "make install / uninstall of the pages: the library is not built or is stale (run make)"
else
    D=$tmp/destdir
    if make -s install DESTDIR="$D" PREFIX=/usr >"$tmp/why" 2>&1; then
        : >"$tmp/why"
        for want in "1 sockshim" "3 paccept" "3 sockshim" "7 sockshim"; do
            read -r s n <<<"$want"
            f=$D/usr/share/man/man$s/$n.$s
            [ -f "$f" ] || { echo "missing $f" >>"$tmp/why"; continue; }
            if [ "$have_man" = 1 ]; then
                got=$(MANPATH=$D/usr/share/man man -w "$s" "$n" 2>>"$tmp/why")
                [ "$got" = "$f" ] || echo "man -w $s $n gave '$got', not $f" >>"$tmp/why"
            fi
        done
        if [ -s "$tmp/why" ]; then fail "make install: man 1 sockshim, 3 paccept, 3 sockshim, 7 sockshim"
        else ok "make install: man 1 sockshim, 3 paccept, 3 sockshim, 7 sockshim"; fi
        make -s uninstall DESTDIR="$D" PREFIX=/usr >"$tmp/why" 2>&1
        find "$D" -type f -path '*/man/*' >>"$tmp/why"
        if [ -s "$tmp/why" ]; then fail "make uninstall removes the pages"
        else ok "make uninstall removes the pages"; fi
    else
        fail "make install DESTDIR=... PREFIX=/usr"
    fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
