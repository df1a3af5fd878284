// rprocd: the remote processor manager. Everything lives in RprocDaemon.
import RprocDaemon

DaemonCommand.runMain()
