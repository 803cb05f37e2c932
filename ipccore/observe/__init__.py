"""Watching programs that were not written against ipccore: the kernel's own accounts.

Headless and read-only: these modules read ``/proc``, ask the kernel over sock_diag
netlink and parse strace's output; they never write to another process. Sampling is
limited to processes of our own uid (:class:`procfs.NotOurs` otherwise).
"""
