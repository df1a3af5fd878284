// rprocctl: a thin main over RprocCtl.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import RprocCtl

exit(rprocctlMain(Array(CommandLine.arguments.dropFirst())))
