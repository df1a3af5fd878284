import RprocCtl
