/* A program linked with `pkg-config --libs sockshim` under --as-needed that references
 * none of sockshim's symbols (it links it only to interpose the C library's calls):
 * the dependency stays, so fcntl(F_GETNOSIGPIPE = 0x530D) is sockshim's answer (0), not
 * Linux's EINVAL. */
#include <fcntl.h>
#include <stdio.h>

int main(void)
{
    int r = fcntl(0, 0x530D);
    printf("%d\n", r);
    return r == 0 ? 0 : 1;
}
