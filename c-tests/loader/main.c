/*
 * The loader of the library builds of the conformance suite: a program that knows
 * nothing of sockshim (no header, no -lsockshim) and links libconformance.so, which was
 * compiled against <sockshim.h> and links libsockshim. glibc comes before libsockshim
 * in this program's lookup scope, so every case passes only if the header's binding,
 * not the link order, brings the suite's calls to sockshim (SPEC.md "Linked use").
 */
int suite_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return suite_main(argc, argv);
}
